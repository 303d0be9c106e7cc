"""Monitoring at the chair: vitals (with the replay guard), alert acknowledgement, rate changes and pauses, the end of
the infusion (with the witnessed waste of any remainder), side effects, rescue medications, and entered in error."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.infusions import forms, services
from ketaclinic.infusions.models import SessionAlert, SideEffect, TreatmentSession, VitalReading
from ketaclinic.infusions.queries import get_session_for_user
from ketaclinic.infusions.services import events, monitoring
from ketaclinic.infusions.services.common import protocol_for
from ketaclinic.infusions.services.monitoring import CORRECTABLE
from ketaclinic.infusions.views.common import attempt, back_to_chair, render_chair, version_of
from ketaclinic.ledger.services import witnesses


@require_POST
@staff_view("sessions.record")
def vitals_create(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = get_session_for_user(request.user, session_id)
    form = forms.VitalsForm(request.POST, sedation_scale=protocol_for(session).sedation_scale)
    if not form.is_valid():
        return render_chair(request, session, vitals_form=form)
    return attempt(
        request,
        form,
        lambda: services.record_vitals(
            by=request.user,
            session=session,
            version=version_of(form),
            values=form.values(),
            taken_at=form.cleaned_data.get("taken_at"),
            token=form.cleaned_data["token"],
        ),
        success="",
        done=lambda reading: _saved(request, session, reading),
        failed=lambda status: render_chair(request, session, status=status, vitals_form=form),
    )


def _saved(request: AuthedRequest, session: TreatmentSession, reading: VitalReading) -> HttpResponse:
    text = monitoring.saved_message(reading)
    (messages.success if reading.kind == VitalReading.Kind.VITALS else messages.warning)(request, text)
    return back_to_chair(session)(reading)


@require_POST
@staff_view("sessions.record")
def alert_acknowledge(request: AuthedRequest, session_id: int, alert_id: int) -> HttpResponse:
    session = get_session_for_user(request.user, session_id)
    alert = SessionAlert.objects.filter(session=session, pk=alert_id).first()
    if alert is None:
        raise Http404("No such alert.")
    form = forms.NoteForm(request.POST)
    if not form.is_valid():
        return render_chair(request, session, ack_form=form)
    return attempt(
        request,
        form,
        lambda: services.acknowledge_alert(
            by=request.user, session=session, version=version_of(form), alert=alert, note=form.cleaned_data["note"]
        ),
        success="Alert acknowledged.",
        done=back_to_chair(session),
        failed=lambda status: render_chair(request, session, status=status, ack_form=form),
    )


@require_POST
@staff_view("sessions.record")
def rate_change(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = get_session_for_user(request.user, session_id)
    form = forms.RateForm(request.POST)
    if not form.is_valid():
        return render_chair(request, session, rate_form=form)
    kind = form.cleaned_data["kind"]
    return attempt(
        request,
        form,
        lambda: services.change_rate(
            by=request.user,
            session=session,
            version=version_of(form),
            kind=kind,
            reason=form.cleaned_data["reason"],
            rate_mg_per_h=form.cleaned_data.get("rate_mg_per_h"),
            at=form.cleaned_data.get("at"),
            token=form.cleaned_data["token"],
        ),
        success={"pause": "Infusion paused.", "resume": "Infusion resumed."}.get(kind, "Rate changed."),
        done=back_to_chair(session, "infusion"),
        failed=lambda status: render_chair(request, session, status=status, rate_form=form),
    )


@require_http_methods(["GET", "POST"])
@staff_view("sessions.record")
def end_infusion(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = get_session_for_user(request.user, session_id)
    if session.status != TreatmentSession.Status.INFUSING:
        raise Http404("No infusion is running.")
    form = forms.EndInfusionForm(request.POST or None, initial={"version": session.version})
    administration = session.administrations.first()
    context = {
        "session": session,
        "patient": session.patient,
        "form": form,
        "administration": administration,
        "delivered_mg": events.delivered_mg(session),
        "suggested_ml": events.suggested_given_ml(session),
        "ordered_mg": session.order.dose_mg,
        "title": "End the infusion",
    }
    if request.method == "POST" and form.is_valid():

        def call() -> TreatmentSession:
            signature = _witness_signature(request, form, session)
            return services.end_infusion(
                by=request.user,
                session=session,
                version=version_of(form),
                ended_at=form.cleaned_data.get("ended_at"),
                given_ml=form.cleaned_data.get("given_ml"),
                witness=signature,
                waste_manner=form.cleaned_data.get("waste_manner") or "",
                early_end_reason=form.cleaned_data.get("early_end_reason") or "",
                token=form.cleaned_data["token"],
            )

        def failed(status: int) -> HttpResponse:
            _clear_witness_secrets(form)
            return render(request, "infusions/end_infusion.html", context, status=status)

        return attempt(
            request,
            form,
            call,
            success="Infusion ended and posted to the ledger. Observation continues.",
            done=back_to_chair(session),
            failed=failed,
        )
    return render(request, "infusions/end_infusion.html", context)


@require_http_methods(["GET", "POST"])
@staff_view("sessions.record")
def correct_draw(request: AuthedRequest, session_id: int) -> HttpResponse:
    """A wrong drawn volume, corrected while the infusion runs: witnessed, with the reason (issue 15, item 2)."""
    session = get_session_for_user(request.user, session_id)
    if session.status != TreatmentSession.Status.INFUSING:
        raise Http404("No infusion is running.")
    administration = session.administrations.select_related("hold").first()
    form = forms.CorrectDrawForm(request.POST or None, initial={"version": session.version})
    context = {
        "session": session,
        "patient": session.patient,
        "form": form,
        "administration": administration,
        "order": session.order,
        "title": "Correct the drawn volume",
    }
    if request.method == "POST" and form.is_valid():

        def call() -> TreatmentSession:
            signature = _witness_signature(request, form, session)
            return services.correct_draw(
                by=request.user,
                session=session,
                version=version_of(form),
                drawn_ml=form.cleaned_data["drawn_ml"],
                reason=form.cleaned_data["reason"],
                witness=signature,
                token=form.cleaned_data["token"],
            )

        def failed(status: int) -> HttpResponse:
            _clear_witness_secrets(form)
            return render(request, "infusions/correct_draw.html", context, status=status)

        return attempt(
            request,
            form,
            call,
            success="Drawn volume corrected (witnessed). The vial's available balance follows.",
            done=back_to_chair(session, "infusion"),
            failed=failed,
        )
    return render(request, "infusions/correct_draw.html", context)


def _witness_signature(
    request: AuthedRequest, form: forms.EndInfusionForm | forms.CorrectDrawForm, session: TreatmentSession
) -> witnesses.WitnessSignature | None:
    """The witness signs now when the form names one (the service refuses a write that needs a witness without)."""
    credentials = form.credentials()
    if not credentials:
        return None
    return witnesses.sign(request=request, credentials=credentials, actor=request.user, location=session.location)


def _clear_witness_secrets(form: forms.EndInfusionForm | forms.CorrectDrawForm) -> None:
    """Never send the witness's password or code back to the browser."""
    data = QueryDict(mutable=True)
    data.update(form.data)
    for name in form.witness_field_names():
        if not name.endswith("_username"):
            data[name] = ""
    form.data = data


@require_http_methods(["GET", "POST"])
@staff_view("sessions.record")
def side_effect_create(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = get_session_for_user(request.user, session_id)
    form = forms.SideEffectForm(request.POST or None, initial={"version": session.version})
    context = {"session": session, "patient": session.patient, "form": form, "title": "Side effect or adverse event"}
    if request.method == "POST" and form.is_valid():
        return attempt(
            request,
            form,
            lambda: services.record_side_effect(
                by=request.user,
                session=session,
                version=version_of(form),
                values=form.values(),
                token=form.cleaned_data["token"],
            ),
            success="Side effect recorded.",
            done=back_to_chair(session, "events"),
            failed=lambda status: render(request, "infusions/form.html", context, status=status),
        )
    return render(request, "infusions/form.html", context)


@require_POST
@staff_view("sessions.record")
def side_effect_resolve(request: AuthedRequest, session_id: int, side_effect_id: int) -> HttpResponse:
    session = get_session_for_user(request.user, session_id)
    side_effect = SideEffect.objects.filter(session=session, pk=side_effect_id).first()
    if side_effect is None:
        raise Http404("No such side effect.")
    form = forms.ResolveForm(request.POST)
    if not form.is_valid():
        return render_chair(request, session, resolve_errors=form.errors)
    return attempt(
        request,
        form,
        lambda: services.update_side_effect(
            by=request.user,
            session=session,
            version=version_of(form),
            side_effect=side_effect,
            outcome=form.cleaned_data["outcome"],
            action_taken=form.cleaned_data["action_taken"],
            at=form.cleaned_data.get("at"),
        ),
        success="Side effect updated.",
        done=back_to_chair(session, "events"),
        failed=lambda status: render_chair(request, session, status=status, resolve_errors=form.errors),
    )


@require_http_methods(["GET", "POST"])
@staff_view("sessions.record")
def rescue_create(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = get_session_for_user(request.user, session_id)
    form = forms.RescueForm(request.POST or None, initial={"version": session.version}, session=session)
    context = {
        "session": session,
        "patient": session.patient,
        "form": form,
        "title": "Rescue medication",
        "intro": "Record the drug, dose and route exactly as given. ketaclinic does not suggest doses: they come "
        "from your clinic's formulary, set by the medical director.",
    }
    if request.method == "POST" and form.is_valid():
        return attempt(
            request,
            form,
            lambda: services.record_rescue_medication(
                by=request.user,
                session=session,
                version=version_of(form),
                values=form.values(),
                token=form.cleaned_data["token"],
            ),
            success="Rescue medication recorded.",
            done=back_to_chair(session, "events"),
            failed=lambda status: render(request, "infusions/form.html", context, status=status),
        )
    return render(request, "infusions/form.html", context)


@require_http_methods(["GET", "POST"])
@staff_view("sessions.record")
def entered_in_error(request: AuthedRequest, session_id: int, kind: str, row_id: int) -> HttpResponse:
    session = get_session_for_user(request.user, session_id)
    model = CORRECTABLE.get(kind)
    row = model._default_manager.filter(session=session, pk=row_id).first() if model else None
    if row is None:
        raise Http404("No such entry.")
    form = forms.ReasonForm(request.POST or None, initial={"version": session.version})
    context = {
        "session": session,
        "patient": session.patient,
        "form": form,
        "row": row,
        "title": "Mark entered in error",
        "intro": f"{row}: it stays in the record, struck through, with your reason.",
    }
    if request.method == "POST" and form.is_valid():
        return attempt(
            request,
            form,
            lambda: services.mark_entered_in_error(
                by=request.user, session=session, version=version_of(form), row=row, reason=form.cleaned_data["reason"]
            ),
            success="Marked entered in error; it stays in the record, struck through.",
            done=back_to_chair(session),
            failed=lambda status: render(request, "infusions/form.html", context, status=status),
        )
    return render(request, "infusions/form.html", context)
