"""Booking and cancelling appointments: the calendar's one write path (issue 17; CONTRACTS.md §6).

``book`` loads the facts the pure rules need (``ketaclinic.domain.scheduling.check``) inside one transaction that
holds row locks in the house order (``ketaclinic.locking``): the patient, its session order, then the
location. The location lock
serialises bookings at one location, so two front-desk users booking the last free chair at the same moment cannot
both pass the "chair is free" and nurse-ratio checks on PostgreSQL: the second waits, then sees the first one's row
and is told the slot is gone. SQLite serialises write transactions anyway (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.roles import Role, role_can
from ketaclinic.audit import services as audit
from ketaclinic.domain import scheduling as rules
from ketaclinic.locking import lock
from ketaclinic.patients.models import Consent, Patient
from ketaclinic.patients.queries import patients_visible_to
from ketaclinic.plans.evaluation import effective_protocol
from ketaclinic.plans.models import PlanVersion, SessionOrder, TreatmentPlan
from ketaclinic.scheduling import hooks
from ketaclinic.scheduling.models import Appointment, Chair, Closure, OpeningHours, RosterShift
from ketaclinic.scheduling.queries import LIVE, settings_for
from ketaclinic.scheduling.services.video import checked_video_url

__all__ = [
    "BookingNeedsOverride",
    "BookingRefused",
    "Proposal",
    "book",
    "cancel",
    "facts_for",
    "mark_checked_in",
    "mark_completed",
    "mark_no_show",
    "order_problem",
    "release_orders",
    "session_not_given",
    "settings_for",
    "timing_for",
]


class BookingRefused(ServiceError):
    """The rules refuse the booking; ``problems`` names every rule broken, each with its source.

    ``slot_gone`` is true when the only problem is that the chair (or the patient) was taken meanwhile: the API
    answers 409 for that, 422 for any other rule."""

    def __init__(self, problems: list[rules.Refusal]) -> None:
        super().__init__(" ".join(str(p) for p in problems), field=problems[0].field)
        self.problems = problems
        self.slot_gone = all(p.rule == "chair_free" for p in problems)


OVERRIDE_HINT = 'To book anyway (e.g. the renewal is pending), tick "book anyway" and say why.'
BLOCK_SOURCE = "the payer's prior authorisation on file"


class BookingNeedsOverride(BookingRefused):
    """An app above the calendar blocks the booking (e.g. a prior authorisation it would exceed): refused unless
    staff give an override reason. ``blocks`` names each, with its audit detail (API: 422)."""

    def __init__(self, blocks: list[hooks.BookingBlock]) -> None:
        ServiceError.__init__(self, " ".join([b.message for b in blocks] + [OVERRIDE_HINT]), field="override_reason")
        self.blocks = blocks
        self.problems = [
            rules.Refusal("prior_authorisation", b.message, BLOCK_SOURCE, "override_reason") for b in blocks
        ]
        self.slot_gone = False


def blocks_or_override(
    patient: Patient, proposals: list[hooks.ProposedBooking], override_reason: str
) -> tuple[list[hooks.BookingBlock], str]:
    """The blocks these bookings meet, and the override reason (trimmed); BookingNeedsOverride when there are blocks
    and no reason. A reason without blocks is dropped: nothing was overridden."""
    blocks = hooks.booking_blocks(patient, proposals)
    reason = (override_reason or "").strip()[:500]
    if blocks and not reason:
        raise BookingNeedsOverride(blocks)
    return blocks, reason if blocks else ""


def record_override(
    *, by: User, obj: Any, patient: Patient, blocks: list[hooks.BookingBlock], reason: str, appointments: list[int]
) -> None:
    """Audit a booking made past its blocks: the reason, the appointments, and each block's detail (the authorisation
    and the numbers)."""
    audit.record(
        actor=by,
        action="schedule.booking_override",
        obj=obj,
        patient_id=patient.pk,
        detail={"reason": reason, "appointments": appointments, "blocks": [b.detail for b in blocks]},
    )


def _require(actor: User, capability: str) -> None:
    if not role_can(actor.role, capability):
        raise PermissionDenied(f"Your role does not allow this ({capability}).")


def order_problem(kind: str, patient: Patient, order: SessionOrder | None) -> str | None:
    if order is None:
        return "A treatment session needs a session order from the patient's signed plan."
    version = order.plan_version
    if version.plan.patient_id != patient.pk:
        return "That session order belongs to another patient's plan."
    if version.status != PlanVersion.Status.SIGNED:
        return f"Plan version {version.version} is {version.get_status_display().lower()}, not signed."
    if version.plan.status != TreatmentPlan.Status.ACTIVE:
        return "The treatment plan has been stopped."
    if order.status != SessionOrder.Status.OPEN:
        return f"Session {order.session_number} is {order.get_status_display().lower()}, not open."
    if order.route != rules.ROUTE_FOR_KIND[kind]:
        return f"Session {order.session_number} is ordered for route {order.route!r}, not for {kind!r}."
    taken = Appointment.objects.filter(order=order, status__in=LIVE).first()
    if taken is not None:
        return f"Session {order.session_number} is already booked (appointment {taken.pk})."
    return None


def timing_for(kind: str, location: Location, order: SessionOrder | None) -> rules.SessionTiming:
    """The numbers the session's length is made of: the order and its protocol (with the clinic's tuning), and the
    clinic's turnover and check-in settings."""
    policy = settings_for(location)
    if kind not in rules.CHAIR_KINDS or order is None:
        return rules.SessionTiming(checkin_min=policy.checkin_min, turnover_min=policy.turnover_min)
    protocol, _ = effective_protocol(location.clinic, order.plan_version.protocol_id)
    interval = protocol.esketamine.device_interval_min if protocol.esketamine else 5
    return rules.SessionTiming(
        dosing_min=order.duration_min or protocol.infusion_duration_min or 0,
        observation_min=protocol.min_observation_min or 0,
        devices=order.devices or 0,
        device_interval_min=interval,
        checkin_min=policy.checkin_min,
        turnover_min=policy.turnover_min,
    )


def _intervals(rows: Iterable[tuple[dt.datetime, dt.datetime]]) -> list[rules.Interval]:
    return [rules.Interval(start, end) for start, end in rows]


@dataclass(frozen=True)
class Proposal:
    kind: str
    location: Location
    start: dt.datetime
    end: dt.datetime
    chair: Chair | None
    patient: Patient | None
    order_problem: str | None


def facts_for(proposal: Proposal, *, exclude: int | None = None) -> rules.BookingFacts:
    """Load everything the rules need about one proposed appointment (a handful of queries, none per row)."""
    location, start, end = proposal.location, proposal.start, proposal.end
    policy = settings_for(location)
    live = Appointment.objects.overlapping(start, end).filter(status__in=LIVE)
    if exclude is not None:
        live = live.exclude(pk=exclude)
    day_shifts = RosterShift.objects.overlapping(start, end).filter(location=location)
    chair = proposal.chair
    consents = proposal.patient.consents.filter(kind=Consent.Kind.ESKETAMINE_REMS) if proposal.patient else None
    return rules.BookingFacts(
        kind=proposal.kind,
        start=start,
        end=end,
        now=timezone.now(),
        location_id=location.pk,
        time_zone=location.clinic.timezone,
        hours=[
            rules.OpenHours(h.weekday, h.opens_at, h.closes_at) for h in OpeningHours.objects.filter(location=location)
        ],
        closures=[
            rules.Closure(c.first_day, c.last_day, c.reason)
            for c in Closure.objects.filter(location=location, last_day__gte=start.date() - dt.timedelta(days=1))
        ],
        closed_on_federal_holidays=policy.closed_on_federal_holidays,
        chair=None
        if chair is None
        else rules.ChairFacts(
            location_id=chair.location_id,
            is_room=chair.kind == Chair.Kind.ROOM,
            equipment=chair.equipment,
            active=chair.is_active,
        ),
        chair_busy=_intervals(live.filter(chair=chair).values_list("starts_at", "ends_at")) if chair else [],
        patient_busy=_intervals(live.filter(patient=proposal.patient).values_list("starts_at", "ends_at"))
        if proposal.patient
        else [],
        sessions_in_chairs=_intervals(
            live.filter(location=location, kind__in=rules.CHAIR_KINDS).values_list("starts_at", "ends_at")
        ),
        nurse_shifts=_intervals(day_shifts.filter(role=Role.NURSE).values_list("starts_at", "ends_at")),
        prescriber_shifts=_intervals(day_shifts.filter(role=Role.PRESCRIBER).values_list("starts_at", "ends_at")),
        patients_per_nurse=policy.patients_per_nurse,
        rems_enrolled=consents is not None and any(c.is_current() for c in consents.filter(entered_in_error=False)),
        order_problem=proposal.order_problem,
    )


def book(
    *,
    by: User,
    patient: Patient,
    kind: str,
    location: Location,
    start: dt.datetime,
    chair: Chair | None = None,
    order: SessionOrder | None = None,
    override_reason: str = "",
    blocks_checked: bool = False,
    video_url: str = "",
) -> Appointment:
    """Book one appointment, or refuse with every rule it breaks (nothing written).

    A booking an app above the calendar blocks (a prior authorisation it would exceed or fall outside) is refused
    (``BookingNeedsOverride``) unless ``override_reason`` says why it is booked anyway; the override is audited.
    ``blocks_checked``: the caller (``book_series``) has checked and audited the blocks for the whole series."""
    _require(by, "schedule.book")
    if kind not in rules.KINDS:
        raise ServiceError(f"Unknown appointment kind {kind!r}.", field="kind")
    if timezone.is_naive(start):
        raise ServiceError("The start time needs a time zone.", field="start")
    if not by.locations.filter(pk=location.pk).exists():
        raise PermissionDenied("You do not work at that location.")
    if not patients_visible_to(by).filter(pk=patient.pk).exists():
        raise PermissionDenied("That patient is not one you can see.")
    if order is not None and kind not in rules.CHAIR_KINDS:
        raise ServiceError("Only a treatment session is booked against a session order.", field="order")
    video_url = checked_video_url(kind, video_url)
    with transaction.atomic():
        lock(Patient.objects.filter(pk=patient.pk)).get()
        if order is not None:  # read it again under its lock: it may have been given or cancelled meanwhile
            order = lock(SessionOrder.objects.filter(pk=order.pk).select_related("plan_version__plan")).get()
        lock(Location.objects.filter(pk=location.pk)).get()
        duration = rules.booked_duration(kind, timing_for(kind, location, order))
        start = start.astimezone(dt.UTC).replace(second=0, microsecond=0)
        proposal = Proposal(
            kind=kind,
            location=location,
            start=start,
            end=start + duration.delta,
            chair=chair,
            patient=patient,
            order_problem=order_problem(kind, patient, order) if kind in rules.CHAIR_KINDS else None,
        )
        problems = rules.check(facts_for(proposal))
        if problems:
            raise BookingRefused(problems)
        blocks: list[hooks.BookingBlock] = []
        if not blocks_checked:
            asked = hooks.ProposedBooking(
                kind, proposal.start, order.dose_mg if order else None, order.devices if order else None
            )
            blocks, override_reason = blocks_or_override(patient, [asked], override_reason)
        appointment = Appointment.objects.create(
            patient=patient,
            kind=kind,
            location=location,
            chair=chair,
            starts_at=proposal.start,
            ends_at=proposal.end,
            order=order,
            duration_basis=duration.basis[:200],
            created_by=by,
            video_url=video_url,
        )
        audit.record(
            actor=by,
            action="schedule.book",
            obj=appointment,
            patient_id=patient.pk,
            detail={
                "kind": kind,
                "start": proposal.start.isoformat(),
                "chair": chair.pk if chair else None,
                "video_link": bool(video_url),
            },
        )
        if blocks:
            record_override(
                by=by,
                obj=appointment,
                patient=patient,
                blocks=blocks,
                reason=override_reason,
                appointments=[appointment.pk],
            )
    return appointment


def cancel(*, by: User, appointment: Appointment, reason: str) -> Appointment:
    """Cancel a booked appointment with a reason; the row stays (nothing on a patient's record is deleted).

    A cancellation inside the clinic's notice window (``SchedulingSettings.late_cancel_notice_h``, clinic policy with
    no default) is recorded as late; without a window set, none is."""
    _require(by, "schedule.book")
    reason = reason.strip()
    if not reason:
        raise ServiceError("Say why the appointment is cancelled.", field="reason")
    if not by.locations.filter(pk=appointment.location_id).exists():
        raise PermissionDenied("You do not work at that location.")
    with transaction.atomic():
        current = lock(Appointment.objects.filter(pk=appointment.pk)).get()
        if current.status != Appointment.Status.BOOKED:
            raise ServiceError(f"The appointment is {current.get_status_display().lower()}; it cannot be cancelled.")
        now = timezone.now()
        notice_h = settings_for(current.location).late_cancel_notice_h
        late = notice_h is not None and current.starts_at - now < dt.timedelta(hours=notice_h)
        Appointment.objects.filter(pk=current.pk).update(
            status=Appointment.Status.CANCELLED,
            cancel_reason=reason[:300],
            late_cancellation=late,
            cancelled_at=now,
            cancelled_by=by,
            version=current.version + 1,
        )
        current.refresh_from_db()
        audit.record(
            actor=by,
            action="schedule.cancel",
            obj=current,
            patient_id=current.patient_id,
            detail={"reason": reason, "late": late, "notice_h": notice_h},
        )
    return current


def mark_no_show(*, by: User, appointment: Appointment, reason: str) -> Appointment:
    """Record that the patient did not come: only once the appointment has started, with a reason; the row stays and
    its chair is free again (a no-show is not a live appointment)."""
    _require(by, "schedule.book")
    reason = reason.strip()
    if not reason:
        raise ServiceError("Say why the appointment was missed (or that no reason was given).", field="reason")
    if not by.locations.filter(pk=appointment.location_id).exists():
        raise PermissionDenied("You do not work at that location.")
    with transaction.atomic():
        current = lock(Appointment.objects.filter(pk=appointment.pk)).get()
        if current.status != Appointment.Status.BOOKED:
            raise ServiceError(
                f"The appointment is {current.get_status_display().lower()}; only a booked one can be a no-show."
            )
        now = timezone.now()
        if now < current.starts_at:
            raise ServiceError("The appointment has not started yet: a patient is a no-show only after its start.")
        Appointment.objects.filter(pk=current.pk).update(
            status=Appointment.Status.NO_SHOW,
            cancel_reason=reason[:300],
            cancelled_at=now,
            cancelled_by=by,
            version=current.version + 1,
        )
        current.refresh_from_db()
        audit.record(
            actor=by, action="schedule.no_show", obj=current, patient_id=current.patient_id, detail={"reason": reason}
        )
    return current


def mark_checked_in(*, by: User, appointment: Appointment) -> Appointment:
    """The patient has arrived for a booked treatment session today: mark it checked in (audited).

    Called by the chair-side check-in (``infusions.services.check_in_appointment``), which opens the session for the
    appointment's order in the appointment's chair in the same transaction; the calendar knows nothing of sessions
    (docs/architecture.md: infusions sits above scheduling)."""
    _require(by, "sessions.record")
    if not by.locations.filter(pk=appointment.location_id).exists():
        raise PermissionDenied("You do not work at that location.")
    with transaction.atomic():
        current = lock(Appointment.objects.filter(pk=appointment.pk)).select_related("location__clinic").get()
        if current.status != Appointment.Status.BOOKED:
            raise ServiceError(f"The appointment is {current.get_status_display().lower()}, not booked.")
        if current.kind not in rules.CHAIR_KINDS or current.order_id is None or current.chair_id is None:
            raise ServiceError("Only a treatment session booked against an order and a chair is checked in here.")
        zone = current.location.clinic.timezone
        start_utc, end_utc = rules.local_day_bounds(timezone.localdate(timezone.now(), ZoneInfo(zone)), zone)
        if not start_utc <= current.starts_at < end_utc:
            raise ServiceError("That appointment is not today: check in on the day of the appointment.")
        Appointment.objects.filter(pk=current.pk).update(
            status=Appointment.Status.CHECKED_IN, version=current.version + 1
        )
        current.refresh_from_db()
        audit.record(
            actor=by,
            action="schedule.check_in",
            obj=current,
            patient_id=current.patient_id,
            detail={"order": current.order_id, "chair": current.chair_id},
        )
    return current


def mark_completed(*, by: User, appointment: Appointment) -> Appointment:
    """The visit is done: mark the appointment completed (audited ``schedule.complete``); the row keeps its chair.

    A treatment session (a chair kind booked against an order) is completed by the chair side when the session note
    is signed (``infusions.services.sign_note`` calls this in its transaction: the signed note is what says the
    session happened), so it must have been checked in. Any other visit (consultation, follow-up, telehealth...) has
    no session: staff who book mark it completed from the day view once it has started. A cancelled or missed
    appointment is never completed."""
    if not (role_can(by.role, "schedule.book") or role_can(by.role, "sessions.sign")):
        raise PermissionDenied("Your role does not allow this (schedule.book).")
    if not by.locations.filter(pk=appointment.location_id).exists():
        raise PermissionDenied("You do not work at that location.")
    with transaction.atomic():
        current = lock(Appointment.objects.filter(pk=appointment.pk)).get()
        if current.status == Appointment.Status.COMPLETED:
            raise ServiceError("The appointment is already completed.")
        if current.status not in (Appointment.Status.BOOKED, Appointment.Status.CHECKED_IN):
            raise ServiceError(
                f"The appointment is {current.get_status_display().lower()}; only a booked or checked-in one can be "
                "completed."
            )
        session = current.kind in rules.CHAIR_KINDS and current.order_id is not None
        if session and current.status != Appointment.Status.CHECKED_IN:
            raise ServiceError("A treatment session is completed when its session note is signed at the chair.")
        if not session and timezone.now() < current.starts_at:
            raise ServiceError("The appointment has not started yet: complete it once the visit has begun.")
        Appointment.objects.filter(pk=current.pk).update(
            status=Appointment.Status.COMPLETED, version=current.version + 1
        )
        current.refresh_from_db()
        audit.record(
            actor=by,
            action="schedule.complete",
            obj=current,
            patient_id=current.patient_id,
            detail={"kind": current.kind, "order": current.order_id, "by_session": session},
        )
    return current


def session_not_given(*, by: User, appointment: Appointment, reason: str) -> Appointment:
    """The session checked in from this appointment did not go ahead (``infusions.services.cancel_session``): the
    appointment is cancelled with that reason, so its chair and its order can be booked again; the row stays."""
    _require(by, "sessions.record")
    with transaction.atomic():
        current = lock(Appointment.objects.filter(pk=appointment.pk)).get()
        if current.status != Appointment.Status.CHECKED_IN:
            return current
        text = f"Session not given: {reason.strip()}"[:300]
        Appointment.objects.filter(pk=current.pk).update(
            status=Appointment.Status.CANCELLED,
            cancel_reason=text,
            cancelled_at=timezone.now(),
            cancelled_by=by,
            version=current.version + 1,
        )
        current.refresh_from_db()
        audit.record(
            actor=by, action="schedule.cancel", obj=current, patient_id=current.patient_id, detail={"reason": text}
        )
    return current


def release_orders(*, by: User | None, order_ids: list[int], reason: str) -> int:
    """The plan's orders were cancelled (amended or stopped plan): cancel the future booked appointments for them,
    each with the reason and its own audit event (plans.hooks; runs in the plan change's transaction)."""
    now = timezone.now()
    released = 0
    for appointment in lock(
        Appointment.objects.filter(order_id__in=order_ids, status=Appointment.Status.BOOKED, starts_at__gte=now)
    ).order_by("pk"):
        cancel_for_plan_change(appointment, by=by, reason=reason)
        released += 1
    return released


def cancel_for_plan_change(appointment: Appointment, *, by: User | None, reason: str, rule: str = "") -> None:
    """Cancel one locked, booked appointment because its plan changed (inside the plan change's transaction),
    audited ``schedule.cancel`` with ``automatic: plan change`` and, when a booking rule refused a move, that rule."""
    Appointment.objects.filter(pk=appointment.pk).update(
        status=Appointment.Status.CANCELLED,
        cancel_reason=reason[:300],
        cancelled_at=timezone.now(),
        cancelled_by=by,
        version=appointment.version + 1,
    )
    detail = {"reason": reason, "automatic": "plan change"} | ({"rule": rule} if rule else {})
    audit.record(actor=by, action="schedule.cancel", obj=appointment, patient_id=appointment.patient_id, detail=detail)
