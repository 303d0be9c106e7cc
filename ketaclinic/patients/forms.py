"""Forms for the chart. They only shape input; the rules live in the model validators and services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms

from ketaclinic.accounts.forms import OnceForm
from ketaclinic.accounts.models import Location, User
from ketaclinic.domain import body, eligibility, pain, units
from ketaclinic.patients.models import Allergy, BodyMeasurement, ChartDocument, Condition, Consent, Medication, Patient
from ketaclinic.patients.services import PATIENT_FIELDS

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class PatientForm(OnceForm, forms.ModelForm[Patient]):
    location = forms.ModelChoiceField(queryset=Location.objects.none())
    primary_clinician = forms.ModelChoiceField(queryset=User.objects.none(), required=False)

    class Meta:
        model = Patient
        fields = [*PATIENT_FIELDS]
        widgets = {"date_of_birth": DATE}
        help_texts = {
            "date_of_birth": "This service treats adults (18 and over): a younger patient can be registered, with a "
            "warning, but not treated."
        }

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
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


DECIMAL = {"inputmode": "decimal", "autocomplete": "off"}
US_FIELDS = ("weight_lb", "height_ft", "height_in")
AGREE_KG = Decimal("0.1")  # what the chart keeps: a kg and an lb entry that round to within 0.1 kg say the same


class BodySizeForm(forms.BaseForm):
    """Weight in kg or lb, height in cm or in feet and inches (US clinics weigh in pounds). Whatever is typed, the
    chart stores kg and cm, converted by ``domain.units`` (exact definitions). Put it first in the bases, with
    ``weight_kg`` and ``height_cm`` among the model form's fields; ``body_required``: both must be given."""

    body_required = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["weight_kg"].required = False
        self.fields["weight_kg"].label = "Weight (kg)"
        self.fields["weight_kg"].widget.attrs.update(DECIMAL)
        self.fields["height_cm"].required = False
        self.fields["height_cm"].label = "Height (cm)"
        self.fields["height_cm"].widget.attrs.update(DECIMAL)
        extra = {
            "weight_lb": forms.DecimalField(
                label="or weight (lb)",
                required=False,
                min_value=Decimal("0.1"),
                max_digits=5,
                decimal_places=1,
                widget=forms.NumberInput(attrs={**DECIMAL, "step": "0.1"}),
                help_text="Pounds are converted to kg (1 lb = 0.45359237 kg).",
            ),
            "height_ft": forms.IntegerField(
                label="or height: feet",
                required=False,
                min_value=0,
                max_value=8,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            ),
            "height_in": forms.DecimalField(
                label="and inches",
                required=False,
                min_value=Decimal(0),
                max_value=Decimal("11.9"),
                max_digits=3,
                decimal_places=1,
                widget=forms.NumberInput(attrs={**DECIMAL, "step": "0.1"}),
                help_text="Feet and inches are converted to cm (1 in = 2.54 cm).",
            ),
        }
        order = list(self.fields)
        self.fields.update(extra)
        placed: list[str] = []
        for name in order:
            placed.append(name)
            if name == "weight_kg":
                placed.append("weight_lb")
            elif name == "height_cm":
                placed += ["height_ft", "height_in"]
        self.order_fields(placed)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._metric("weight_kg", "weight_lb", self._kg_from_lb(data.get("weight_lb")), "weight", "kg and in lb")
        feet, inches = data.get("height_ft"), data.get("height_in")
        cm = None
        if feet is not None or inches is not None:
            try:
                cm = units.cm_from_feet_inches(feet or 0, inches or Decimal(0))
            except ValueError:
                self.add_error("height_ft", "A height of 0 ft 0 in is not a height.")
        self._metric("height_cm", "height_ft", cm, "height", "cm and in feet and inches")
        for name in US_FIELDS:  # what the services get is kg and cm only
            self.cleaned_data.pop(name, None)
        return self.cleaned_data

    def _kg_from_lb(self, weight_lb: Decimal | None) -> Decimal | None:
        return None if weight_lb is None else units.kg_from_pounds(weight_lb)

    def _metric(self, metric: str, us_field: str, converted: Decimal | None, what: str, both: str) -> None:
        """Put the converted value in ``metric`` (refusing a typed metric value that says otherwise and a value
        outside the plausible range, next to the field the user typed in)."""
        typed = self.cleaned_data.get(metric)
        if converted is None:
            if typed is None and self.body_required and metric not in self.errors:
                self.add_error(metric, f"Give the {what}.")
            return
        if typed is not None and metric in self.changed_data and abs(typed - converted) > AGREE_KG:
            self.add_error(us_field, f"The {what} in {both} disagree: give one of them.")
            return
        low, high, unit = (
            (body.MIN_WEIGHT_KG, body.MAX_WEIGHT_KG, "kg")
            if metric == "weight_kg"
            else (body.MIN_HEIGHT_CM, body.MAX_HEIGHT_CM, "cm")
        )
        if not Decimal(low) <= converted <= Decimal(high):
            self.add_error(
                us_field, f"That is {converted} {unit}: a {what} between {low} and {high} {unit} is expected."
            )
            return
        self.cleaned_data[metric] = converted
        self.errors.pop(metric, None)


class MeasurementForm(BodySizeForm, OnceForm, forms.ModelForm[BodyMeasurement]):
    class Meta:
        model = BodyMeasurement
        fields = ["measured_at", "weight_kg", "height_cm"]
        widgets = {"measured_at": DATETIME}


class ConditionForm(OnceForm, forms.ModelForm[Condition]):
    rule_code = forms.ChoiceField(
        label="Eligibility condition (if it maps onto one)",
        choices=[("", "— none —")] + [(code, eligibility.CONDITION_LABELS[code]) for code in eligibility.CONDITIONS],
        required=False,
    )

    class Meta:
        model = Condition
        fields = ["description", "icd10_code", "snomed_code", "rule_code", "onset_date", "status"]
        widgets = {"onset_date": DATE}


class MedicationForm(OnceForm, forms.ModelForm[Medication]):
    class Meta:
        model = Medication
        fields = ["generic_name", "dose", "frequency", "daily_dose", "daily_dose_unit", "started_on", "stopped_on"]
        widgets = {"started_on": DATE, "stopped_on": DATE}
        labels = {"generic_name": "Generic name"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        name = str(data.get("generic_name") or "")
        # An opioid of the CDC 2022 MME table needs its daily dose so the chart's MME/day counts it.
        if (
            pain.identify_opioid(name) is not None
            and data.get("daily_dose") is None
            and "daily_dose" not in self.errors
        ):
            unit = pain.unit_for(name)
            self.add_error("daily_dose", f"{name} is an opioid: enter its total daily dose in {unit} (for MME/day).")
        return data


class AllergyForm(OnceForm, forms.ModelForm[Allergy]):
    class Meta:
        model = Allergy
        fields = ["substance", "reaction", "severity"]


class NkdaForm(OnceForm, forms.Form):
    confirmed = forms.BooleanField(
        label="I asked the patient: they report no known drug allergies (NKDA).",
        help_text="Recorded with your name and the time. An allergy recorded later replaces this statement.",
        error_messages={"required": "Tick the box to confirm the patient was asked."},
    )


class ConsentForm(OnceForm, forms.ModelForm[Consent]):
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


# --- Documents on the chart (the rules, type and size checks live in ``patients.uploads``) ---------------------------

FILE_HELP = "PDF, JPEG or PNG. The file's content is checked, not its name."
FILE_INPUT = forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"})
STAFF_KINDS = [(value, label) for value, label in ChartDocument.Kind.choices if value != ChartDocument.Kind.UNFILED]


class ChartDocumentForm(OnceForm, forms.Form):
    file = forms.FileField(
        label="File", help_text=FILE_HELP, widget=FILE_INPUT, error_messages={"required": "Choose the file to upload."}
    )
    kind = forms.ChoiceField(label="Kind of document", choices=[("", "Choose…"), *STAFF_KINDS])
    title = forms.CharField(
        max_length=200, help_text="What it is and who wrote it, e.g. “Referral from Dr Lee, psychiatry”."
    )
    document_date = forms.DateField(
        label="Date of the document", widget=DATE, required=False, help_text="The date written on it, if any."
    )


class FileDocumentForm(forms.Form):
    kind = forms.ChoiceField(label="File under", choices=[("", "Choose…"), *STAFF_KINDS])
    title = forms.CharField(max_length=200)
    document_date = forms.DateField(label="Date of the document", widget=DATE, required=False)


class DocumentErrorForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text="Why is this document wrong (e.g. another patient's letter)? It stays on the chart, struck through "
        "and hidden by default.",
    )


class PatientUploadForm(OnceForm, forms.Form):
    """The portal's upload form: the file, what it is, an optional note."""

    file = forms.FileField(
        label="Choose the file",
        help_text=FILE_HELP,
        widget=FILE_INPUT,
        error_messages={"required": "Choose the file to send: a PDF, or a photo (JPEG or PNG)."},
    )
    patient_says = forms.ChoiceField(
        label="What is it?",
        choices=[("", "Choose…"), *STAFF_KINDS],
        error_messages={"required": "Choose what the document is from the list (or “Other”)."},
    )
    note = forms.CharField(
        label="Note for the clinic (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
