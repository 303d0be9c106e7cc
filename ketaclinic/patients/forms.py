"""Forms for the chart. They only shape input; the rules live in the model validators and services."""

from __future__ import annotations

from typing import cast

from django import forms

from ketaclinic.accounts.models import Location, User
from ketaclinic.domain import eligibility
from ketaclinic.patients.models import Allergy, BodyMeasurement, Condition, Consent, Medication, Patient
from ketaclinic.patients.services import PATIENT_FIELDS

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class PatientForm(forms.ModelForm[Patient]):
    location = forms.ModelChoiceField(queryset=Location.objects.none())
    primary_clinician = forms.ModelChoiceField(queryset=User.objects.none(), required=False)

    class Meta:
        model = Patient
        fields = [*PATIENT_FIELDS]
        widgets = {"date_of_birth": DATE}

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        locations = user.locations.all()
        cast("forms.ModelChoiceField[Location]", self.fields["location"]).queryset = locations
        cast("forms.ModelChoiceField[User]", self.fields["primary_clinician"]).queryset = User.objects.filter(
            is_active=True, role__in=["prescriber", "nurse"], locations__in=locations
        ).distinct()
        if self.instance.pk:
            self.fields.pop("location")
            self.fields["primary_clinician"].initial = self.instance.primary_clinician_id
        elif locations.count() == 1:
            self.fields["location"].initial = locations.first()


class MeasurementForm(forms.ModelForm[BodyMeasurement]):
    class Meta:
        model = BodyMeasurement
        fields = ["measured_at", "weight_kg", "height_cm"]
        widgets = {"measured_at": DATETIME}
        labels = {"weight_kg": "Weight (kg)", "height_cm": "Height (cm)"}


class ConditionForm(forms.ModelForm[Condition]):
    rule_code = forms.ChoiceField(
        label="Eligibility condition (if it maps onto one)",
        choices=[("", "— none —")] + [(code, code.replace("_", " ")) for code in sorted(eligibility.CONDITIONS)],
        required=False,
    )

    class Meta:
        model = Condition
        fields = ["description", "icd10_code", "snomed_code", "rule_code", "onset_date", "status"]
        widgets = {"onset_date": DATE}


class MedicationForm(forms.ModelForm[Medication]):
    class Meta:
        model = Medication
        fields = ["generic_name", "dose", "frequency", "started_on", "stopped_on"]
        widgets = {"started_on": DATE, "stopped_on": DATE}
        labels = {"generic_name": "Generic name"}


class AllergyForm(forms.ModelForm[Allergy]):
    class Meta:
        model = Allergy
        fields = ["substance", "reaction", "severity"]


class NkdaForm(forms.Form):
    confirmed = forms.BooleanField(
        label="I asked the patient: they report no known drug allergies (NKDA).",
        help_text="Recorded with your name and the time. An allergy recorded later replaces this statement.",
        error_messages={"required": "Tick the box to confirm the patient was asked."},
    )


class ConsentForm(forms.ModelForm[Consent]):
    class Meta:
        model = Consent
        fields = ["kind", "version", "signed_at", "signed_by_name", "expires_on"]
        widgets = {"signed_at": DATETIME, "expires_on": DATE}
        labels = {"kind": "Consent", "signed_by_name": "Signed by"}


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        help_text="Why is this entry wrong? The entry stays in the chart, struck through.",
    )
