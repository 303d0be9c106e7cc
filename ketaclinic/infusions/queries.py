"""Access-scoped reads of treatment sessions: clinical roles only, patients at the user's locations (else 404)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.domain.scheduling import local_day_bounds
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.infusions.services.checkin import CHAIR_ROUTES
from ketaclinic.ledger import queries as ledger_queries
from ketaclinic.ledger.models import Container, Product
from ketaclinic.ledger.queries import clinic_today
from ketaclinic.outcomes.hooks import CssrsPlace
from ketaclinic.patients.queries import patients_visible_to
from ketaclinic.plans.models import SessionOrder
from ketaclinic.scheduling.models import Appointment

ACTIVE = ("check_in", "infusing", "observation")


def sessions_for_appointments(appointment_ids: Sequence[int]) -> dict[int, int]:
    """``{appointment id: session id}`` for the sessions checked in from these appointments (the calendar's "My day"
    links them; registered in ``scheduling.hooks``). The caller has already scoped the appointments to the user."""
    return dict(TreatmentSession.objects.filter(appointment_id__in=appointment_ids).values_list("appointment_id", "pk"))


def sessions_visible_to(user: User) -> QuerySet[TreatmentSession]:
    if not role_can(getattr(user, "role", ""), "sessions.view"):
        return TreatmentSession.objects.none()
    return TreatmentSession.objects.filter(patient__in=patients_visible_to(user)).select_related(
        "patient", "location__clinic", "order__plan_version__plan", "checked_in_by", "started_by"
    )


def get_session_for_user(user: User, session_id: int) -> TreatmentSession:
    session = sessions_visible_to(user).filter(pk=session_id).first()
    if session is None:
        raise Http404("No such session.")
    return session


def orders_ready(user: User, *, on: dt.date | None = None) -> QuerySet[SessionOrder]:
    """Open orders of signed, current plans due on or before ``on`` (today), with no session yet: who can be checked
    in. Patients at the user's locations only."""
    if not role_can(getattr(user, "role", ""), "sessions.record"):
        return SessionOrder.objects.none()
    day = on or timezone.localdate()
    taken = TreatmentSession.objects.filter(order=OuterRef("pk")).exclude(status="cancelled")
    return (
        SessionOrder.objects.filter(
            status="open",
            plan_version__status="signed",
            plan_version__plan__status="active",
            plan_version__plan__patient__in=patients_visible_to(user),
            route__in=CHAIR_ROUTES,
            target_date__lte=day,
        )
        .exclude(Exists(taken))
        .select_related("plan_version__plan__patient")
        .order_by("target_date", "plan_version__plan__patient__family_name", "session_number")
    )


def get_order_for_user(user: User, order_id: int) -> SessionOrder:
    order = (
        SessionOrder.objects.filter(plan_version__plan__patient__in=patients_visible_to(user), pk=order_id)
        .select_related("plan_version__plan__patient")
        .first()
    )
    if order is None or not role_can(user.role, "sessions.record"):
        raise Http404("No such order.")
    return order


def board_locations(user: User) -> QuerySet[Location]:
    if not role_can(getattr(user, "role", ""), "floorboard.view"):
        return Location.objects.none()
    return user.locations.filter(is_active=True).order_by("name")


def board_sessions(user: User, location: Location) -> QuerySet[TreatmentSession]:
    """Every chair in use at ``location``: sessions in progress, and today's discharged ones waiting for their note."""
    today = timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    return (
        sessions_visible_to(user)
        .filter(location=location)
        .filter(Q(status__in=ACTIVE) | Q(status="discharged", discharged_at__gte=start))
        .order_by("chair", "pk")
    )


def appointments_today(user: User, locations: QuerySet[Location]) -> list[Appointment]:
    """Today's appointments (the clinic's calendar day) at ``locations`` for patients the user can see, every status,
    with the session each was checked in to: the floor board and the Sessions list read the day from the calendar
    (issue 17). A constant number of queries whatever the day holds."""
    if not role_can(getattr(user, "role", ""), "sessions.view"):
        return []
    found: list[Appointment] = []
    for location in locations.select_related("clinic"):
        start, end = local_day_bounds(clinic_today(location.clinic), location.clinic.timezone)
        found.extend(
            Appointment.objects.filter(
                location=location, starts_at__gte=start, starts_at__lt=end, patient__in=patients_visible_to(user)
            )
            .select_related("patient", "chair", "order", "location", "treatment_session")
            .order_by("starts_at", "pk")
        )
    return found


def get_appointment_for_user(user: User, appointment_id: int) -> Appointment:
    appointment = (
        Appointment.objects.filter(
            pk=appointment_id, location__in=board_locations(user), patient__in=patients_visible_to(user)
        )
        .select_related("patient", "chair", "order", "location__clinic")
        .first()
    )
    if appointment is None or not role_can(user.role, "sessions.record"):
        raise Http404("No such appointment.")
    return appointment


def containers_for(session: TreatmentSession) -> QuerySet[Container]:
    """Ledger stock at the session's location that this order can be given from: the right drug, usable, unexpired,
    not empty; for an injection, the order's strength."""
    substance = Product.Substance.ESKETAMINE if session.is_esketamine else Product.Substance.KETAMINE
    # Usable on the clinic's calendar day, with what another chair has drawn and not yet posted taken off: a vial in
    # use elsewhere shows its true remainder and who holds the rest (issue 15, item 3).
    containers = ledger_queries.usable(
        Container.objects.filter(location=session.location, lot__product__substance=substance),
        clinic_today(session.location.clinic),
    ).select_related("lot__product", "location__clinic")
    if session.order.concentration_mg_per_ml is not None and not session.is_esketamine:
        containers = containers.filter(lot__product__concentration_mg_per_ml=session.order.concentration_mg_per_ml)
    return containers.order_by("status", "lot__expires_on", "label")  # open vials first, then the earliest expiry


def sessions_started_before(patient_id: int, moment: dt.datetime) -> int:
    """Treatment sessions (not cancelled) the patient had started before ``moment`` (registered with
    ``outcomes.hooks``: scores and course summaries count the sessions given)."""
    return (
        TreatmentSession.objects.filter(patient_id=patient_id, started_at__lt=moment)
        .exclude(status=TreatmentSession.Status.CANCELLED)
        .count()
    )


def cssrs_place(patient_id: int) -> CssrsPlace | None:
    """The C-SSRS screener of the patient's session at check-in, the one moment a session scores it (registered with
    ``outcomes.hooks`` for the safety alert's "Record C-SSRS now")."""
    session = (
        TreatmentSession.objects.filter(patient_id=patient_id, status=TreatmentSession.Status.CHECK_IN)
        .order_by("-created_at", "-pk")
        .first()
    )
    if session is None:
        return None
    return CssrsPlace(
        url=reverse("infusions:scale", args=[session.pk, "cssrs_screener"]),
        label=f"at today's check-in ({session.chair})",
        capability="sessions.record",
    )
