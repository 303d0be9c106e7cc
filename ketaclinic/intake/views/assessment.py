"""The intake assessment on the chart (nurses and prescribers): start a draft, fill its sections, submit.

Thin views: load through the access-scoped queries (a patient elsewhere is 404), validate a form, call one service.
Every page that shows the intake is audited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, ServiceError, submitted
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.domain import instruments
from ketaclinic.intake.forms import assessment as forms
from ketaclinic.intake.models import EligibilityDecision, IntakeAssessment
from ketaclinic.intake.queries import current_decision_for, get_assessment_for_user
from ketaclinic.intake.review import resistance_of
from ketaclinic.intake.services import assessment as services
from ketaclinic.outcomes.queries import alerts_visible_to
from ketaclinic.patients.forms import EnteredInErrorForm
from ketaclinic.patients.queries import get_patient_for_user


def _version(request: AuthedRequest) -> int | None:
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        return None


@require_http_methods(["GET", "POST"])
@staff_view("intake.record")
def patient_intakes(request: AuthedRequest, patient_id: int) -> HttpResponse:
    """The patient's intakes and eligibility decisions; POST starts a new intake (or continues the open one)."""
    patient = get_patient_for_user(request.user, patient_id)
    if request.method == "POST":
        draft = services.current_draft(patient)
        if draft is None:
            try:
                draft = services.start_assessment(by=request.user, patient=patient)
            except (ValidationError, ServiceError) as error:
                messages.error(request, _first_message(error))
                return redirect("intake:patient_intakes", patient_id=patient.pk)
        return redirect("intake:assessment", assessment_id=draft.pk)
    audit.record(actor=request.user, action="intake.list", obj=patient, patient_id=patient.pk)
    context = {
        "patient": patient,
        "intakes": IntakeAssessment.objects.filter(patient=patient).select_related(
            "started_by", "submitted_by", "entered_in_error_by"
        ),
        "decisions": EligibilityDecision.objects.filter(patient=patient).select_related("signed_by", "supersedes"),
        "current": current_decision_for(patient),
        "draft": services.current_draft(patient),
    }
    return render(request, "intake/patient.html", context)


def _first_message(error: ValidationError | ServiceError) -> str:
    if isinstance(error, ServiceError):
        return error.message
    return "; ".join(message for messages_ in error.message_dict.values() for message in messages_)


def _workspace_context(request: AuthedRequest, assessment: IntakeAssessment) -> dict[str, Any]:
    patient = assessment.patient
    responses = {r.instrument: r for r in assessment.responses.filter(entered_in_error=False)}
    scales = []
    for instrument_id in services.INTAKE_INSTRUMENTS:
        definition = instruments.get(instrument_id)
        required = instrument_id in services.BASELINE_REQUIRED
        scales.append(
            {
                "id": instrument_id,
                "name": definition.name,
                "response": responses.get(instrument_id),
                "required": required,
                "pain": instrument_id in services.PAIN_SCORES,
            }
        )
    consents = patient.consents.filter(entered_in_error=False)
    resistance = resistance_of(assessment)
    verdicts = iter(resistance.verdicts)  # in the order of the trials not entered in error
    trials = assessment.trials.select_related("recorded_by", "entered_in_error_by").order_by("recorded_at", "pk")
    return {
        "assessment": assessment,
        "patient": patient,
        "trial_rows": [(trial, None if trial.entered_in_error else next(verdicts)) for trial in trials],
        "resistance": resistance,
        "medications": assessment.medications.select_related("entered_in_error_by"),
        "scales": scales,
        "missing": services.missing_for_submission(assessment) if assessment.is_draft else {},
        "open_alerts": alerts_visible_to(request.user).filter(patient=patient, acknowledged_at__isnull=True),
        "treatment_consent": next((c for c in consents if c.kind == "treatment" and c.is_current()), None),
        "rems_consent": next((c for c in consents if c.kind == "esketamine_rems" and c.is_current()), None),
        "route_labels": [forms.ROUTE_LABELS[route] for route in assessment.routes],
        "condition_labels": [forms.CONDITION_LABELS[code] for code in assessment.condition_codes],
        "indication_label": forms.INDICATION_LABELS.get(assessment.indication, ""),
        "consultation": assessment.consultation_request,
    }


@require_http_methods(["GET"])
@staff_view("intake.record")
def assessment(request: AuthedRequest, assessment_id: int) -> HttpResponse:
    item = get_assessment_for_user(request.user, assessment_id)
    audit.record(actor=request.user, action="intake.view", obj=item, patient_id=item.patient_id)
    return render(request, "intake/assessment.html", _workspace_context(request, item))


def _editable(request: AuthedRequest, assessment_id: int) -> IntakeAssessment | HttpResponse:
    item = get_assessment_for_user(request.user, assessment_id)
    if not item.is_draft:
        messages.info(request, "This intake was submitted and is locked.")
        return redirect("intake:assessment", assessment_id=item.pk)
    return item


def _section(request: AuthedRequest, item: IntakeAssessment, form: BaseForm, title: str, **extra: Any) -> HttpResponse:
    audit.record(actor=request.user, action="intake.view", obj=item, patient_id=item.patient_id)
    return render(
        request,
        "intake/section_form.html",
        {"assessment": item, "patient": item.patient, "form": form, "title": title, **extra},
    )


def _model_section(form_class: Any, title: str, anchor: str) -> Any:
    @require_http_methods(["GET", "POST"])
    @staff_view("intake.record")
    def view(request: AuthedRequest, assessment_id: int) -> HttpResponse:
        item = _editable(request, assessment_id)
        if isinstance(item, HttpResponse):
            return item
        form = form_class(request.POST or None, instance=item)

        def act(data: dict[str, Any]) -> Done:
            changes = {name: data[name] for name in form.Meta.fields}
            services.update_assessment(
                by=request.user, assessment=item, changes=changes, expected_version=_version(request)
            )
            return f"{title}: saved.", redirect(_workspace_url(item, anchor))

        return submitted(request, form, act) or _section(request, item, form, title, version=item.version)

    return view


def _workspace_url(item: IntakeAssessment, anchor: str) -> str:
    return reverse("intake:assessment", kwargs={"assessment_id": item.pk}) + f"#{anchor}"


assessment_background = _model_section(forms.BackgroundForm, "Background and history", "background")
assessment_vitals = _model_section(forms.VitalsForm, "Vital signs and body measurements", "vitals")
assessment_safety = _model_section(forms.SafetyScreenForm, "Safety screen: alcohol, bladder and liver", "safety")


@require_http_methods(["GET", "POST"])
@staff_view("intake.record")
def trial_create(request: AuthedRequest, assessment_id: int) -> HttpResponse:
    item = _editable(request, assessment_id)
    if isinstance(item, HttpResponse):
        return item
    form = forms.TrialForm(request.POST or None)

    def act(data: dict[str, Any]) -> Done:
        services.add_trial(by=request.user, assessment=item, **data)
        return "Antidepressant trial added.", redirect(_workspace_url(item, "trials"))

    return submitted(request, form, act) or _section(request, item, form, "Add an antidepressant trial")


@require_http_methods(["GET", "POST"])
@staff_view("intake.record")
def medications(request: AuthedRequest, assessment_id: int) -> HttpResponse:
    """Medication reconciliation: confirm or stop each chart medication, add those the chart does not list."""
    item = _editable(request, assessment_id)
    if isinstance(item, HttpResponse):
        return item
    add_form = forms.MedicationLineForm(request.POST if request.POST.get("action") == "add" else None)
    if request.method == "POST" and request.POST.get("action") == "taking":
        line = item.medications.filter(pk=request.POST.get("line", "0") or "0", entered_in_error=False).first()
        if line is None:
            raise Http404("No such medication line.")
        services.set_medication_taking(by=request.user, line=line, taking=request.POST.get("taking") == "yes")
        return redirect("intake:medications", assessment_id=item.pk)

    def act(data: dict[str, Any]) -> Done:
        services.add_medication(by=request.user, assessment=item, **data)
        return "Medication added to the reconciliation.", redirect("intake:medications", assessment_id=item.pk)

    if done := submitted(request, add_form, act):
        return done
    audit.record(actor=request.user, action="intake.view", obj=item, patient_id=item.patient_id)
    context = {
        "assessment": item,
        "patient": item.patient,
        "lines": item.medications.select_related("chart_medication", "entered_in_error_by"),
        "form": add_form,
    }
    return render(request, "intake/medications.html", context)


@require_http_methods(["GET", "POST"])
@staff_view("intake.record")
def line_entered_in_error(request: AuthedRequest, assessment_id: int, kind: str, row_id: int) -> HttpResponse:
    item = _editable(request, assessment_id)
    if isinstance(item, HttpResponse):
        return item
    model = services.LINE_KINDS.get(kind)
    row = model._default_manager.filter(assessment=item, pk=row_id).first() if model else None
    if row is None:
        raise Http404("No such entry.")
    form = EnteredInErrorForm(request.POST or None)

    def act(data: dict[str, Any]) -> Done:
        services.mark_line_entered_in_error(by=request.user, row=row, reason=data["reason"])
        text = "Marked entered in error; it stays on the intake, struck through."
        return text, redirect(_workspace_url(item, "trials" if kind == "trial" else "medications"))

    return submitted(request, form, act) or _section(request, item, form, f"Mark entered in error: {row}", danger=True)


@require_http_methods(["GET", "POST"])
@staff_view("intake.record")
def instrument(request: AuthedRequest, assessment_id: int, instrument_id: str) -> HttpResponse:
    if instrument_id not in services.INTAKE_INSTRUMENTS:
        raise Http404("No such scale on the intake.")
    item = _editable(request, assessment_id)
    if isinstance(item, HttpResponse):
        return item
    definition = instruments.get(instrument_id)
    current = item.responses.filter(instrument=instrument_id, entered_in_error=False).first()
    initial = forms.InstrumentForm.initial_from(current.answers, instrument_id == "cssrs_screener") if current else {}
    form = forms.InstrumentForm(request.POST or None, instrument=definition, initial=initial)

    def act(data: dict[str, Any]) -> Done:
        response = services.record_instrument(
            by=request.user, assessment=item, instrument=instrument_id, answers=form.answers()
        )
        band = f" ({response.band})" if response.band else ""
        messages.success(request, f"{definition.name}: {response.total:g}{band}.")
        if instruments.SUICIDALITY in response.flags:
            messages.warning(
                request,
                "Suicide-risk screen positive: a safety alert is on the primary clinician's dashboard. "
                "Follow the recommended action now.",
            )
        return redirect(_workspace_url(item, "scales"))

    return submitted(request, form, act) or render(
        request,
        "intake/instrument.html",
        {"assessment": item, "patient": item.patient, "form": form, "definition": definition, "current": current},
    )


@require_POST
@staff_view("intake.record")
def assessment_submit(request: AuthedRequest, assessment_id: int) -> HttpResponse:
    item = get_assessment_for_user(request.user, assessment_id)
    try:
        services.submit_assessment(by=request.user, assessment=item)
    except (ValidationError, ServiceError) as error:
        messages.error(request, "Not submitted: " + _first_message(error))
        return redirect("intake:assessment", assessment_id=item.pk)
    messages.success(request, "Intake submitted. It is locked and ready for a prescriber's eligibility review.")
    return redirect("intake:assessment", assessment_id=item.pk)
