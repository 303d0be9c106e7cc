"""The clinic's clinical settings (clinic admins): esketamine label jurisdiction, MADRS remission cut-off, MME prompts.

A thin view: show the current values with the published source of every choice, validate the form, call
``outcomes.services.settings.save_clinical_settings`` (one audited write), redirect.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, submitted
from ketaclinic.accounts.models import clinical_settings_for
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.domain import outcomes as outcome_rules
from ketaclinic.domain import pain as pain_rules
from ketaclinic.domain.eligibility.rules import EU_ESKETAMINE_65_SOURCE, US_ESKETAMINE_65_SOURCE
from ketaclinic.domain.vocabulary import JURISDICTION_CHOICES
from ketaclinic.outcomes.services.settings import save_clinical_settings

#: What changes with the jurisdiction, as the page explains it (each line cites its document).
JURISDICTION_EFFECTS = (
    (
        "us",
        "Esketamine at 65 and over: the adult doses (day 1 56 mg, then 56 or 84 mg); the suicidal-ideation regimen "
        "has no age limit.",
        US_ESKETAMINE_65_SOURCE,
    ),
    (
        "eu",
        "Esketamine at 65 and over: day 1 28 mg, then 28, 56 or 84 mg; no suicidal-ideation regimen; a cardiovascular "
        "event within 6 weeks is a contraindication.",
        f"{EU_ESKETAMINE_65_SOURCE}; §4.3",
    ),
)


class ClinicalSettingsForm(forms.Form):
    label_jurisdiction = forms.ChoiceField(
        label="Esketamine label the clinic follows",
        choices=JURISDICTION_CHOICES,
        widget=forms.RadioSelect,
        help_text="Default: United States (FDA prescribing information).",
    )
    madrs_remission_at_most = forms.TypedChoiceField(
        label="MADRS remission cut-off",
        choices=[(str(value), text) for value, text in outcome_rules.MADRS_REMISSION_CUTOFFS.items()],
        coerce=int,
        widget=forms.RadioSelect,
        help_text="Default: ≤ 9 (Zimmerman 2004). The outcomes dashboard and the patient trajectories name the "
        "cut-off they use; changing it recomputes every MADRS course of the clinic.",
    )
    mme_reassess_at = forms.IntegerField(
        label="MME/day reassessment prompt",
        min_value=1,
        help_text=f"Default: {pain_rules.MME_REASSESS_AT} MME/day ({pain_rules.THRESHOLD_SOURCE}). At or above it the "
        "chart prompts to evaluate benefits and risks before increasing the dosage (Recommendation 4).",
    )
    mme_high_at = forms.IntegerField(
        label="MME/day high-dose prompt",
        min_value=1,
        help_text=f"Default: {pain_rules.MME_HIGH_AT} MME/day ({pain_rules.THRESHOLD_SOURCE}). Must be above the "
        "reassessment prompt; at or above it the chart shows the stronger prompt (Recommendation 5).",
    )


@require_http_methods(["GET", "POST"])
@staff_view("clinical_settings.manage")
def clinical_settings(request: AuthedRequest) -> HttpResponse:
    current = clinical_settings_for(request.user.clinic_id)
    initial = {
        "label_jurisdiction": current.label_jurisdiction,
        "madrs_remission_at_most": str(current.madrs_remission_at_most),
        "mme_reassess_at": current.mme_reassess_at,
        "mme_high_at": current.mme_high_at,
    }
    form = ClinicalSettingsForm(request.POST or None, initial=initial)

    def act(data: dict[str, Any]) -> Done:
        save_clinical_settings(by=request.user, clinic=request.user.clinic, values=data)  # type: ignore[arg-type]
        return "Clinical settings saved.", redirect("web:clinical_settings")

    return submitted(request, form, act) or render(
        request,
        "web/clinical_settings.html",
        {
            "form": form,
            "current": current,
            "effects": JURISDICTION_EFFECTS,
            "saved": current.pk is not None,
            "mme_source": pain_rules.THRESHOLD_SOURCE,
        },
    )
