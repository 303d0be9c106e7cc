"""The chair page and everything up to the start of dosing: check-in facts, pre-dose scales, esketamine R1,
cancelling, and starting (product, lot, container, pump settings, start time)."""

from __future__ import annotations

from django.forms import HiddenInput
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.infusions import forms, services
from ketaclinic.infusions.queries import containers_for, get_session_for_user
from ketaclinic.infusions.services import checklist, events, monitoring
from ketaclinic.infusions.services.common import protocol_for
from ketaclinic.infusions.views.common import attempt, back_to_chair, render_chair, session_url, version_of
from ketaclinic.ledger import services as ledger
from ketaclinic.ledger.queries import expiry_window


@require_GET
@staff_view("sessions.view")
def session_detail(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = get_session_for_user(request.user, session_id)
    audit.record(actor=request.user, action="session.view", obj=session, patient_id=session.patient_id)
    return render_chair(request, session)


@require_GET
@staff_view("sessions.view")
def session_status(request: AuthedRequest, session_id: int) -> HttpResponse:
    """The status bar, polled by htmx: timer, overdue mark, open alerts, and a notice when the page is stale."""
    session = get_session_for_user(request.user, session_id)
    try:
        seen = int(request.GET.get("v", session.version))
    except ValueError:
        seen = session.version
    context = {
        "session": session,
        "timer": monitoring.timer(session),
        "paused_since": events.paused_since(session),
        "open_alerts": monitoring.open_alerts(session),
        "stale": seen != session.version,
        "seen_version": seen,
    }
    return render(request, "infusions/_status.html", context)


@require_POST
@staff_view("sessions.record")
def checkin_update(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = get_session_for_user(request.user, session_id)
    protocol = protocol_for(session)
    pregnancy = protocol.pregnancy_test_required and session.patient.sex != "male"
    form = forms.CheckInForm(request.POST, session=session, pregnancy=pregnancy)
    if not form.is_valid():
        return render_chair(request, session, checkin_form=form)
    return attempt(
        request,
        form,
        lambda: services.update_checkin(
            by=request.user, session=session, version=version_of(form), changes=form.changes()
        ),
        success="Check-in saved.",
        done=back_to_chair(session, "checklist"),
        failed=lambda status: render_chair(request, session, status=status, checkin_form=form),
    )


@require_POST
@staff_view("sessions.record")
def allergy_override(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = get_session_for_user(request.user, session_id)
    form = forms.AllergyOverrideForm(request.POST)
    if not form.is_valid():
        return render_chair(request, session, allergy_form=form)
    return attempt(
        request,
        form,
        lambda: services.override_allergy(
            by=request.user, session=session, version=version_of(form), note=form.cleaned_data["note"]
        ),
        success="Allergy override recorded.",
        done=back_to_chair(session, "checklist"),
        failed=lambda status: render_chair(request, session, status=status, allergy_form=form),
    )


@require_http_methods(["GET", "POST"])
@staff_view("sessions.record")
def scale(request: AuthedRequest, session_id: int, instrument: str) -> HttpResponse:
    """One rating scale, item by item: the pre-dose measure, the C-SSRS screener, or CADSS."""
    session = get_session_for_user(request.user, session_id)
    allowed = (*protocol_for(session).predose_measures, "cssrs_screener", "cadss")
    if instrument not in allowed:
        raise Http404("Not a scale of this session.")
    form_class = forms.scale_form_class(instrument)
    form = form_class(request.POST or None, initial={"version": session.version})
    context = {
        "session": session,
        "patient": session.patient,
        "form": form,
        "instrument": instrument,
        "title": checklist.LABELS.get(instrument, instrument),
    }
    if request.method == "POST" and form.is_valid():
        return attempt(
            request,
            form,
            lambda: services.record_score(
                by=request.user,
                session=session,
                version=version_of(form),
                instrument=instrument,
                answers=form.answers(),  # type: ignore[attr-defined]
                token=form.cleaned_data["token"],
            ),
            success=f"{context['title']} scored.",
            done=back_to_chair(session, "checklist" if instrument != "cadss" else "assessments"),
            failed=lambda status: render(request, "infusions/scale.html", context, status=status),
        )
    return render(request, "infusions/scale.html", context)


@require_POST
@staff_view("sessions.record")
def risk_acknowledge(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = get_session_for_user(request.user, session_id)
    form = forms.RiskAckForm(request.POST)
    if not form.is_valid():
        return render_chair(request, session, risk_form=form)
    return attempt(
        request,
        form,
        lambda: services.acknowledge_risk(
            by=request.user, session=session, version=version_of(form), note=form.cleaned_data["note"]
        ),
        success="Risk/benefit acknowledgement recorded.",
        done=back_to_chair(session, "checklist"),
        failed=lambda status: render_chair(request, session, status=status, risk_form=form),
    )


@require_http_methods(["GET", "POST"])
@staff_view("sessions.record")
def cancel(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = get_session_for_user(request.user, session_id)
    form = forms.ReasonForm(request.POST or None, initial={"version": session.version})
    context = {"session": session, "patient": session.patient, "form": form, "title": "Session not given"}
    if request.method == "POST" and form.is_valid():
        return attempt(
            request,
            form,
            lambda: services.cancel_session(
                by=request.user, session=session, version=version_of(form), reason=form.cleaned_data["reason"]
            ),
            success="The session is recorded as not given; the order stays open.",
            done=back_to_chair(session),
            failed=lambda status: render(request, "infusions/form.html", context, status=status),
        )
    return render(request, "infusions/form.html", context)


@require_http_methods(["GET", "POST"])
@staff_view("sessions.record")
def start(request: AuthedRequest, session_id: int) -> HttpResponse:
    """Start dosing: the hard stops again, the container(s) and volume drawn, the pump settings from the order."""
    session = get_session_for_user(request.user, session_id)
    if session.status != "check_in":
        return redirect(session_url(session))
    order = session.order
    drawn = order.drug_volume_ml if not session.is_esketamine else None
    if session.is_esketamine and order.devices:
        drawn = None
    form = forms.StartForm(
        request.POST or None,
        initial={"version": session.version},
        containers=containers_for(session),
        drawn_ml=drawn,
        window=expiry_window(session.location.clinic),
        tolerance_percent=ledger.policy_for(session.location.clinic_id).draw_tolerance_percent,
    )
    if session.is_esketamine:
        form.fields["drawn_ml"].required = False
        form.fields["drawn_ml"].widget = HiddenInput()
        del form.fields["draw_reason"]  # one device is one dose: there is nothing to draw
    items = checklist.checklist(session)
    context = {
        "session": session,
        "patient": session.patient,
        "order": order,
        "form": form,
        "blocking": checklist.blocking(items),
    }
    if request.method == "POST" and form.is_valid():
        containers = list(form.cleaned_data["containers"])
        draws = [
            services.Draw(container=c, drawn_ml=form.cleaned_data.get("drawn_ml") or c.balance_ml) for c in containers
        ]
        return attempt(
            request,
            form,
            lambda: services.start(
                by=request.user,
                session=session,
                version=version_of(form),
                draws=draws,
                started_at=form.cleaned_data.get("started_at"),
                token=form.cleaned_data["token"],
                draw_reason=form.cleaned_data.get("draw_reason") or "",
            ),
            success="Started. The timer runs from now.",
            done=back_to_chair(session),
            failed=lambda status: render(request, "infusions/start.html", context, status=status),
        )
    return render(request, "infusions/start.html", context)
