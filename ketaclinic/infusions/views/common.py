"""What the session views share: the whole chair page's context, and running one service call for a form (errors
next to their fields; a stale version answered 409 with the page re-rendered and nothing written)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from ketaclinic.accounts.errors import ServiceError, apply_errors
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.domain import monitoring as monitoring_rules
from ketaclinic.infusions import forms
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.infusions.services import StaleSession, checklist, discharge, events, monitoring, rems
from ketaclinic.infusions.services.common import protocol_for
from ketaclinic.scheduling.models import PreVisitConfirmation


def session_url(session: TreatmentSession, anchor: str = "") -> str:
    return reverse("infusions:session", args=[session.pk]) + (f"#{anchor}" if anchor else "")


def chair_context(request: AuthedRequest, session: TreatmentSession, **overrides: Any) -> dict[str, Any]:
    """Everything the chair page shows, with fresh forms unless ``overrides`` brings bound ones (with errors)."""
    protocol = protocol_for(session)
    version = {"version": session.version}
    pregnancy = protocol.pregnancy_test_required and session.patient.sex != "male"
    context: dict[str, Any] = {
        "session": session,
        "patient": session.patient,
        "order": session.order,
        "protocol": protocol,
        "timer": monitoring.timer(session),
        "grid": grid(session),
        "sedation_label": checklist.LABELS[protocol.sedation_scale],
        "alerts": list(session.alerts.filter(acknowledged_at__isnull=False).select_related("acknowledged_by")),
        "open_alerts": monitoring.open_alerts(session),
        "scores": list(session.scores.select_related("recorded_by")),
        "side_effects": list(session.side_effects.all()),
        "rescues": list(session.rescue_medications.select_related("side_effect", "recorded_by")),
        "rate_changes": list(session.rate_changes.select_related("recorded_by")),
        "administrations": list(session.administrations.select_related("ledger_entry", "waste_entry", "hold")),
        "delivered_mg": events.delivered_mg(session),
        "expected_end": events.expected_end(session),
        "current_rate": events.current_rate(session),
        "paused_since": events.paused_since(session),
        "is_prescriber": request.user.role == "prescriber",
        "can_sign": role_can(request.user.role, "sessions.sign"),
        "labels": checklist.LABELS,
        "vitals_form": forms.VitalsForm(initial=version, sedation_scale=protocol.sedation_scale),
        "ack_form": forms.NoteForm(initial=version),
        "rems_status": rems.status(session),
        "instructions": discharge.instructions_for(session),
        "earliest_discharge": discharge.earliest_discharge(session),
        "observation_source": monitoring_rules.OBSERVATION_SOURCES[protocol.min_observation_basis],
    }
    if session.status == TreatmentSession.Status.CHECK_IN:
        items = checklist.checklist(session)
        context.update(
            items=items,
            blocking=checklist.blocking(items),
            checkin_form=forms.CheckInForm(session=session, pregnancy=pregnancy),
            risk_form=forms.RiskAckForm(initial=version),
            allergy=checklist.allergy_check(session),
            consents=list(
                session.patient.consents.filter(entered_in_error=False)
                .select_related("electronic_signature")
                .order_by("kind", "-signed_at")
            ),
            previsit=(
                PreVisitConfirmation.objects.filter(appointment_id=session.appointment_id).first()
                if session.appointment_id is not None
                else None
            ),
            allergy_form=forms.AllergyOverrideForm(initial=version),
            r1=checklist.r1_alert(session),
            scales=[
                *protocol.predose_measures,
                *(("cssrs_screener",) if checklist.needs_cssrs(checklist.latest_scores(session)) else ()),
            ],
        )
    if session.status == TreatmentSession.Status.INFUSING:
        context["rate_form"] = forms.RateForm(initial=version)
    context.update(overrides)
    return context


GRID_COLUMN = {"systolic_mmhg": "bp", "diastolic_mmhg": "bp", "moaas": "sedation", "rass": "sedation"}


def grid(session: TreatmentSession) -> list[dict[str, Any]]:
    """The vitals grid: each reading with its minute from the start and the cells its alerts mark."""
    rows = []
    for reading in session.readings.select_related("recorded_by", "entered_in_error_by").prefetch_related("alerts"):
        css: dict[str, str] = {}
        for alert in reading.alerts.all():
            column = GRID_COLUMN.get(alert.parameter, alert.parameter)
            if css.get(column) != "hit-stop":
                css[column] = "hit-stop" if alert.level == "stop" else "hit-alert"
        t = session.t_min(reading.taken_at)
        pre = t is None or t <= 0
        rows.append({"reading": reading, "css": css, "pre": pre, "t": "pre" if pre else f"+{t:.0f}"})
    return rows


def render_chair(
    request: AuthedRequest, session: TreatmentSession, *, status: int = 200, **overrides: Any
) -> HttpResponse:
    return render(request, "infusions/session.html", chair_context(request, session, **overrides), status=status)


def attempt(
    request: AuthedRequest,
    form: BaseForm,
    call: Callable[[], Any],
    *,
    success: str,
    done: Callable[[Any], HttpResponse],
    failed: Callable[[int], HttpResponse],
) -> HttpResponse:
    """Run one service call for a valid form: on success a message and ``done(result)``; on refusal the errors go on
    the form and ``failed(status)`` re-renders it (409 when someone else changed the session meanwhile)."""
    try:
        result = call()
    except StaleSession as error:
        form.add_error(None, error.message)
        return failed(409)
    except (ValidationError, ServiceError) as error:
        apply_errors(form, error)
        return failed(200)
    if success:
        messages.success(request, success)
    return done(result)


def back_to_chair(session: TreatmentSession, anchor: str = "") -> Callable[[Any], HttpResponse]:
    return lambda _result: redirect(session_url(session, anchor))


def version_of(form: BaseForm) -> int | None:
    value = form.cleaned_data.get("version")
    return int(value) if value is not None else None
