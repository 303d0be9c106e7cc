"""The pain plan pages, opened from the chart (clinicians only). Thin: load through ``get_patient_for_user`` (another
location's patient is 404), call a service, audit reads, render."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, submitted
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.domain import pain as rules
from ketaclinic.outcomes.models import Measurement
from ketaclinic.pain import forms, services
from ketaclinic.pain.models import MedicationManagementEntry, PainPlan, Referral
from ketaclinic.patients import opioids
from ketaclinic.patients.forms import EnteredInErrorForm
from ketaclinic.patients.models import Patient, clinic_date
from ketaclinic.patients.queries import get_patient_for_user

TRACKED = ("peg", "pain_nrs", "bpi")
LABELS = {"peg": "PEG (Krebs 2009)", "pain_nrs": "Pain NRS (0–10)", "bpi": "BPI pain severity (mean of 4 items)"}
#: Extra series drawn from a subscale (scale, subscale, label): the BPI interference mean (Cleeland; the trajectory
#: chart's ``subscale`` parameter).
SUBSCALE_CHARTS = (("bpi", "interference", "BPI interference (mean of the answered items, ≥ 4 of 7)"),)


def _latest_scores(patient: Patient) -> dict[str, Measurement]:
    latest: dict[str, Measurement] = {}
    rows = Measurement.objects.filter(patient=patient, instrument__in=TRACKED, entered_in_error=False)
    for row in rows.order_by("taken_at", "pk"):
        latest[row.instrument] = row
    return latest


def _plan_or_404(patient: Patient) -> PainPlan:
    plan = services.current_plan(patient)
    if plan is None:
        raise Http404("No pain plan yet")
    return plan


@require_GET
@staff_view("pain.view")
def plan(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    current = services.current_plan(patient)
    audit.record(actor=request.user, action="pain.plan_view", obj=patient, patient_id=patient.pk)
    context: dict[str, Any] = {
        "patient": patient,
        "plan": current,
        "earlier_plans": PainPlan.objects.filter(patient=patient).exclude(pk=current.pk if current else 0),
        "opioids": opioids.summary_for(patient, today=clinic_date(patient)),
        "latest": (latest := _latest_scores(patient)),
        "trajectory_scales": [(scale, "", LABELS[scale]) for scale in TRACKED if scale in latest]
        + [(scale, sub, label) for scale, sub, label in SUBSCALE_CHARTS if scale in latest],
        "can_record": role_can(request.user.role, "pain.record"),
        "status_choices": Referral.Status.choices,
        "immpact_source": rules.IMMPACT_SOURCE,
    }
    if current is not None:
        context.update(
            referrals=current.referrals.select_related("recorded_by", "entered_in_error_by").prefetch_related(
                "letters"
            ),
            entries=current.medication_entries.select_related("medication", "recorded_by", "entered_in_error_by"),
            targets=rules.meaningful_targets(current.peg_baseline) if current.peg_baseline is not None else None,
        )
    return render(request, "pain/plan.html", context)


def _form_page(request: AuthedRequest, patient: Patient, form: Any, title: str) -> HttpResponse:
    return render(request, "pain/form.html", {"form": form, "patient": patient, "title": title})


@require_http_methods(["GET", "POST"])
@staff_view("pain.record")
def plan_create(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    form = forms.PainPlanForm(request.POST or None)

    def act(data: dict[str, Any]) -> Done:
        services.create_plan(by=request.user, patient=patient, **data)
        return "Pain plan saved.", redirect("pain:plan", patient_id=patient.pk)

    return submitted(request, form, act) or _form_page(request, patient, form, "Pain plan: goals")


@require_http_methods(["GET", "POST"])
@staff_view("pain.record")
def referral_create(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    current = _plan_or_404(patient)
    form = forms.ReferralForm(request.POST or None, patient=patient)

    def act(data: dict[str, Any]) -> Done:
        services.add_referral(by=request.user, plan=current, **data)
        return "Referral saved.", redirect("pain:plan", patient_id=patient.pk)

    return submitted(request, form, act) or _form_page(request, patient, form, "Add a referral")


@require_POST
@staff_view("pain.record")
def referral_status(request: AuthedRequest, patient_id: int, referral_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    referral = get_object_or_404(Referral, pk=referral_id, plan__patient=patient)
    form = forms.ReferralStatusForm(request.POST)

    def act(data: dict[str, Any]) -> Done:
        services.set_referral_status(by=request.user, referral=referral, status=data["status"])
        return "Referral status saved.", redirect("pain:plan", patient_id=patient.pk)

    return submitted(request, form, act) or redirect("pain:plan", patient_id=patient.pk)


@require_http_methods(["GET", "POST"])
@staff_view("pain.record")
def medication_entry_create(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    current = _plan_or_404(patient)
    form = forms.MedicationEntryForm(request.POST or None, patient=patient)

    def act(data: dict[str, Any]) -> Done:
        services.add_medication_entry(by=request.user, plan=current, **data)
        return "Medication management entry saved.", redirect("pain:plan", patient_id=patient.pk)

    return submitted(request, form, act) or _form_page(request, patient, form, "Medication management: what changed")


MODELS: dict[str, Any] = {"plan": PainPlan, "referral": Referral, "medication_entry": MedicationManagementEntry}


@require_http_methods(["GET", "POST"])
@staff_view("pain.record")
def entered_in_error(request: AuthedRequest, patient_id: int, kind: str, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    model = MODELS.get(kind)
    if model is None:
        raise Http404("Unknown kind")
    owner = {"patient": patient} if model is PainPlan else {"plan__patient": patient}
    row = get_object_or_404(model, pk=pk, **owner)
    form = EnteredInErrorForm(request.POST or None)

    def act(data: dict[str, Any]) -> Done:
        services.mark_entered_in_error(by=request.user, row=row, reason=data["reason"])
        return "Marked entered in error.", redirect("pain:plan", patient_id=patient.pk)

    return submitted(request, form, act) or _form_page(request, patient, form, f"Entered in error: {row}")
