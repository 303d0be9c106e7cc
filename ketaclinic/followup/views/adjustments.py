"""Adjust a running plan after reviewing the outcomes (issue 8): continue, booster interval, dose or route change, stop.

Thin: load the plan through the patient's location (404 otherwise), show the evidence (flags and the stop-signal
suggestion from ``followup.queries.trajectory``), validate the form, call ``followup.services.adjustments.adjust_plan``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, submitted
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.followup.queries import trajectory
from ketaclinic.followup.services.adjustments import Kind, adjust_plan
from ketaclinic.patients.queries import patients_visible_to
from ketaclinic.plans.evaluation import KETAMINE_CONCENTRATIONS_MG_PER_ML
from ketaclinic.plans.models import TreatmentPlan

ROUTES = [
    ("", "—"),
    ("iv", "IV infusion"),
    ("im", "IM injection"),
    ("intranasal_esketamine", "Esketamine nasal spray"),
    ("oral", "Oral"),
    ("sublingual", "Sublingual"),
]


class AdjustForm(forms.Form):
    kind = forms.ChoiceField(label="Decision", choices=Kind.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the decision, next to a snapshot of the scores you saw.",
    )
    booster_interval_days = forms.IntegerField(
        label="Booster interval (days)",
        required=False,
        min_value=1,
        max_value=365,
        help_text="For “Set the booster interval”.",
    )
    new_dose_mg = forms.DecimalField(
        label="New dose (mg)",
        required=False,
        min_value=0,
        max_digits=7,
        decimal_places=1,
        help_text="For a dose or route change: a fixed dose in mg (esketamine: 28, 56 or 84 mg) …",
    )
    new_dose_mg_per_kg = forms.DecimalField(
        label="New dose (mg/kg)",
        required=False,
        min_value=0,
        max_digits=6,
        decimal_places=3,
        help_text="… or a weight-based dose in mg/kg of dosing weight.",
    )
    new_route = forms.ChoiceField(label="New route", choices=ROUTES, required=False, help_text="For a route change.")
    concentration_mg_per_ml = forms.TypedChoiceField(
        label="Ketamine strength (mg/mL)",
        required=False,
        coerce=lambda value: value,
        empty_value=None,
        choices=[("", "—"), *[(str(c), f"{c} mg/mL") for c in KETAMINE_CONCENTRATIONS_MG_PER_ML]],
        help_text="For a change to IV or IM.",
    )
    bag_volume_ml = forms.DecimalField(
        label="Infusion bag volume (mL)",
        required=False,
        min_value=0,
        max_digits=6,
        decimal_places=1,
        help_text="For a change to IV.",
    )

    def service_kwargs(self) -> dict[str, Any]:
        from decimal import Decimal

        data = self.cleaned_data
        strength = data.get("concentration_mg_per_ml")
        return {
            "kind": data["kind"],
            "reason": data["reason"],
            "booster_interval_days": data.get("booster_interval_days"),
            "new_dose_mg": data.get("new_dose_mg"),
            "new_dose_mg_per_kg": data.get("new_dose_mg_per_kg"),
            "new_route": data.get("new_route") or "",
            "concentration_mg_per_ml": Decimal(strength) if strength else None,
            "bag_volume_ml": data.get("bag_volume_ml"),
        }


def _plan_for(request: AuthedRequest, plan_id: int) -> TreatmentPlan:
    plan = (
        TreatmentPlan.objects.filter(pk=plan_id, patient__in=patients_visible_to(request.user))
        .select_related("patient__location")
        .first()
    )
    if plan is None:
        raise Http404("No such plan.")
    return plan


@require_http_methods(["GET", "POST"])
@staff_view("plans.adjust")
def adjust(request: AuthedRequest, plan_id: int) -> HttpResponse:
    plan = _plan_for(request, plan_id)
    patient = plan.patient
    form = AdjustForm(request.POST or None)

    def act(data: dict[str, Any]) -> Done:
        adjustment = adjust_plan(by=request.user, plan=plan, **form.service_kwargs())
        if (draft := adjustment.draft_version) is not None:
            text = (
                f"Recorded. Draft amendment v{draft.version} started: review the checks and sign it to change the "
                "orders."
            )
            return text, redirect("plans:version", version_id=draft.pk)
        text = f"Recorded: {adjustment.get_kind_display().lower()}."
        return text, redirect("trajectory:patient", patient_id=patient.pk)

    if plan.status == TreatmentPlan.Status.ACTIVE and (done := submitted(request, form, act)):
        return done
    view = trajectory.load(patient, with_adjustments=True)
    audit.record(actor=request.user, action="plan.adjust.view", obj=plan, patient_id=patient.pk)
    context = {"patient": patient, "plan": plan, "form": form, "view": view}
    return render(request, "followup/adjust.html", context)
