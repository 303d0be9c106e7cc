"""Today's list (who can be checked in, who is in a chair), a patient's sessions, and the floor board: every chair
at a location, refreshed without reloading (htmx polling a partial)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.audit.reads import record_patients_shown
from ketaclinic.infusions import forms, services
from ketaclinic.infusions.queries import (
    appointments_today,
    board_locations,
    board_sessions,
    get_appointment_for_user,
    get_order_for_user,
    orders_ready,
    sessions_visible_to,
)
from ketaclinic.infusions.services import events, monitoring
from ketaclinic.infusions.views.common import attempt, session_url
from ketaclinic.patients.queries import get_patient_for_user
from ketaclinic.scheduling.models import Appointment


@require_GET
@staff_view("sessions.view")
def today(request: AuthedRequest) -> HttpResponse:
    orders = list(orders_ready(request.user)[:100])
    in_chairs = sessions_visible_to(request.user).filter(status__in=("check_in", "infusing", "observation"))
    appointments = appointments_today(request.user, board_locations(request.user))
    audit.record(
        actor=request.user,
        action="session.today",
        detail={"orders": len(orders), "appointments": len(appointments)},
    )
    return render(
        request,
        "infusions/today.html",
        {"orders": orders, "in_chairs": in_chairs, "appointments": appointments, "form": forms.CheckInOrderForm()},
    )


@require_POST
@staff_view("sessions.record")
def check_in_appointment(request: AuthedRequest, appointment_id: int) -> HttpResponse:
    """Check in from today's appointment: its order, its chair (issue 17). A refusal goes back where the nurse was."""
    appointment = get_appointment_for_user(request.user, appointment_id)
    back = request.POST.get("next", "")
    try:
        session = services.check_in_appointment(by=request.user, appointment=appointment)
    except (ValidationError, ServiceError) as error:
        text = error.message if isinstance(error, ServiceError) else " ".join(error.messages)
        messages.error(request, f"Not checked in: {text}")
        return redirect(_back_url(back, appointment.location_id))
    messages.success(request, f"Checked in to {session.chair}. Work through the checklist.")
    return redirect(session_url(session))


def _back_url(back: str, location_id: int) -> str:
    if back == "board":
        return f"{reverse('infusions:board')}?location={location_id}"
    return reverse("infusions:today")


@require_POST
@staff_view("sessions.record")
def check_in(request: AuthedRequest, order_id: int) -> HttpResponse:
    order = get_order_for_user(request.user, order_id)
    form = forms.CheckInOrderForm(request.POST)
    if not form.is_valid():
        return render(
            request, "infusions/today.html", {"orders": [order], "form": form, "failed_order": order.pk}, status=200
        )
    return attempt(
        request,
        form,
        lambda: services.create_session(by=request.user, order=order, chair=form.cleaned_data["chair"]),
        success="Checked in. Work through the checklist.",
        done=lambda session: redirect(session_url(session)),
        failed=lambda status: render(
            request,
            "infusions/today.html",
            {"orders": [order], "form": form, "failed_order": order.pk},
            status=status,
        ),
    )


@require_GET
@staff_view("sessions.view")
def patient_sessions(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    sessions = sessions_visible_to(request.user).filter(patient=patient).order_by("-checked_in_at")
    orders = orders_ready(request.user).filter(plan_version__plan__patient=patient)
    appointments = list(
        Appointment.objects.filter(patient=patient, location__in=board_locations(request.user))
        .select_related("chair", "order", "location__clinic")
        .order_by("-starts_at", "-pk")[:100]
    )
    missed = {
        "no_show": sum(a.status == Appointment.Status.NO_SHOW for a in appointments),
        "late": sum(a.late_cancellation for a in appointments),
    }
    audit.record(actor=request.user, action="session.list", patient_id=patient.pk)
    return render(
        request,
        "infusions/patient_sessions.html",
        {
            "patient": patient,
            "sessions": sessions,
            "orders": orders,
            "appointments": appointments,
            "missed": missed,
            "form": forms.CheckInOrderForm(),
        },
    )


def _rows(
    request: AuthedRequest, location_id: str | None
) -> tuple[object, list[dict[str, object]], object, list[Appointment]]:
    locations = board_locations(request.user)
    location = locations.filter(pk=location_id).first() if location_id and location_id.isdigit() else None
    location = location or locations.first()
    rows: list[dict[str, object]] = []
    appointments = appointments_today(request.user, locations.filter(pk=location.pk)) if location else []
    if location is not None:
        for session in board_sessions(request.user, location):
            open_alerts = monitoring.open_alerts(session)
            rows.append(
                {
                    "session": session,
                    "timer": monitoring.timer(session),
                    "alerts": open_alerts,
                    "stop": any(a.level == "stop" for a in open_alerts),
                    "delivered_mg": events.delivered_mg(session),
                    "paused_since": events.paused_since(session),
                }
            )
    return location, rows, locations, appointments


@require_GET
@staff_view("floorboard.view")
def board(request: AuthedRequest) -> HttpResponse:
    location, rows, locations, appointments = _rows(request, request.GET.get("location"))
    audit.record(actor=request.user, action="session.board", obj=location, detail={"chairs": len(rows)})  # type: ignore[arg-type]
    _audit_patients_shown(request, location, rows, appointments)
    return render(
        request,
        "infusions/board.html",
        {"location": location, "rows": rows, "locations": locations, "appointments": appointments},
    )


@require_GET
@staff_view("floorboard.view")
def board_rows(request: AuthedRequest) -> HttpResponse:
    """The board's chairs alone, for htmx to swap in every few seconds (a background request: not user activity)."""
    location, rows, _, appointments = _rows(request, request.GET.get("location"))
    _audit_patients_shown(request, location, rows, appointments)
    return render(
        request, "infusions/_board_rows.html", {"location": location, "rows": rows, "appointments": appointments}
    )


def _audit_patients_shown(
    request: AuthedRequest, location: object, rows: list[dict[str, object]], appointments: list[Appointment]
) -> None:
    """Each patient the board shows is audited when they appear on it (security.md H4). Polls every 15 s would
    otherwise write a row per chair per poll: a patient who stays on the board is not recorded again
    (ketaclinic.audit.reads explains the choice)."""
    record_patients_shown(
        request,
        action="session.board_patient_shown",
        patient_ids=[
            *(row["session"].patient_id for row in rows),  # type: ignore[attr-defined]
            *(a.patient_id for a in appointments),
        ],
        detail={"location_id": getattr(location, "pk", None)},
    )
