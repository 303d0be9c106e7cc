"""Forms of the pain plan. They only shape input; the rules live in the models and services."""

from __future__ import annotations

from typing import Any

from django import forms

from ketaclinic.accounts.forms import OnceForm
from ketaclinic.pain.models import MedicationManagementEntry, PainPlan, Referral
from ketaclinic.patients.models import ChartDocument, Medication, Patient

DATE = forms.DateInput(attrs={"type": "date"})


class PainPlanForm(OnceForm, forms.ModelForm[PainPlan]):
    class Meta:
        model = PainPlan
        fields = ["peg_baseline", "peg_target", "function_goals", "notes"]
        widgets = {"function_goals": forms.Textarea(attrs={"rows": 4}), "notes": forms.Textarea(attrs={"rows": 3})}


class ReferralForm(OnceForm, forms.ModelForm[Referral]):
    letters = forms.ModelMultipleChoiceField(
        queryset=ChartDocument.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Letters attached (from the chart's documents)",
    )

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["letters"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = patient.chart_documents.filter(entered_in_error=False).order_by("-uploaded_at")

    class Meta:
        model = Referral
        fields = ["kind", "provider_name", "provider_contact", "sent_on", "reason"]
        widgets = {"sent_on": DATE, "reason": forms.Textarea(attrs={"rows": 3})}
        labels = {"kind": "Referral to"}


class ReferralStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Referral.Status.choices)


class MedicationEntryForm(OnceForm, forms.ModelForm[MedicationManagementEntry]):
    medication = forms.ModelChoiceField(queryset=Medication.objects.none(), required=False, label="Medication")

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["medication"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = patient.medications.filter(entered_in_error=False)

    class Meta:
        model = MedicationManagementEntry
        fields = ["medication", "change", "reason"]
        widgets = {"change": forms.Textarea(attrs={"rows": 2}), "reason": forms.Textarea(attrs={"rows": 2})}
