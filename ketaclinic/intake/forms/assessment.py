"""Forms of the intake assessment and the eligibility sign-off. Rating-scale forms are built from the domain's
instrument definitions, one radio group per item, so the item text and options cannot drift from the scoring."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from ketaclinic.accounts.forms import OnceForm
from ketaclinic.domain import eligibility, instruments
from ketaclinic.intake.models import INDICATION_CHOICES, ROUTE_CHOICES, AntidepressantTrial, IntakeAssessment
from ketaclinic.intake.review import Review
from ketaclinic.intake.services.assessment import TEXT_MAX_CHARS
from ketaclinic.intake.services.decisions import REASON_MAX_CHARS
from ketaclinic.patients.forms import DATE, DATETIME, BodySizeForm

CONDITION_LABELS = eligibility.CONDITION_LABELS
ROUTE_LABELS = dict(ROUTE_CHOICES)
INDICATION_LABELS = dict(INDICATION_CHOICES)


class BackgroundForm(forms.ModelForm[IntakeAssessment]):
    indication = forms.ChoiceField(
        label="Intended indication", choices=[("", "—"), *INDICATION_CHOICES], required=False
    )
    routes = forms.MultipleChoiceField(
        label="Intended route(s)", choices=ROUTE_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )
    condition_codes = forms.MultipleChoiceField(
        label="Medical history (conditions the eligibility rules consider)",
        choices=[(code, CONDITION_LABELS[code]) for code in eligibility.CONDITIONS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Tick each that applies; they go on the chart as conditions when the intake is submitted.",
    )

    class Meta:
        model = IntakeAssessment
        fields = [
            "indication",
            "routes",
            "psychiatric_history",
            "current_episode_onset",
            "ptsd",
            "pain_diagnosis",
            "pain_duration_months",
            "condition_codes",
            "medical_history_notes",
            "pregnancy",
            "breastfeeding",
            "pdmp_checked_on",
            "pdmp_notes",
            "ride_home_name",
            "ride_home_phone",
        ]
        widgets = {
            "psychiatric_history": forms.Textarea(attrs={"rows": 4, "maxlength": TEXT_MAX_CHARS}),
            "medical_history_notes": forms.Textarea(attrs={"rows": 3, "maxlength": TEXT_MAX_CHARS}),
            "current_episode_onset": DATE,
            "pdmp_checked_on": DATE,
        }
        help_texts = {
            "psychiatric_history": "Diagnoses, hospitalisations, past suicide attempts, substance use, current "
            "therapist or psychiatrist.",
            "pdmp_notes": "Prescription-monitoring programme check: controlled prescriptions found, if any.",
        }


class VitalsForm(BodySizeForm, forms.ModelForm[IntakeAssessment]):
    body_required = False  # a draft may be saved before the patient is weighed; submitting needs both

    class Meta:
        model = IntakeAssessment
        fields = [
            "vitals_at",
            "systolic_mmhg",
            "diastolic_mmhg",
            "heart_rate_per_min",
            "spo2_percent",
            "weight_kg",
            "height_cm",
        ]
        widgets = {"vitals_at": DATETIME}


class SafetyScreenForm(forms.ModelForm[IntakeAssessment]):
    """Alcohol (AUDIT-C), the planned programme and the last liver tests: what the alcohol, bladder and liver
    eligibility rules need (issue 16 item 12). Bladder symptoms and a recent cardiovascular event are ticked in the
    medical history with the other conditions."""

    class Meta:
        model = IntakeAssessment
        fields = [
            "audit_c_frequency",
            "audit_c_typical_quantity",
            "audit_c_binge_frequency",
            "programme",
            "liver_tests_on",
        ]
        widgets = {"liver_tests_on": DATE}
        labels = {
            "audit_c_frequency": "1. How often do you have a drink containing alcohol?",
            "audit_c_typical_quantity": "2. How many standard drinks containing alcohol do you have on a typical day?",
            "audit_c_binge_frequency": "3. How often do you have six or more drinks on one occasion?",
            "programme": "Planned treatment",
            "liver_tests_on": "Liver function tests (LFTs) last done on",
        }
        help_texts = {
            "audit_c_frequency": "AUDIT-C (Bush 1998). A score of 4 or more in men, 3 or more in women, is drinking "
            "above low risk (Bradley 2007); alcohol adds to ketamine's sedation.",
            "programme": "A series or home programme brings in the bladder-symptom and liver-test rules (Ketalar "
            "US label: genitourinary pain with chronic use; drug-induced liver injury).",
            "liver_tests_on": "Baseline liver tests before serial treatment (Ketalar US label §5); older than 90 days "
            "counts as none (clinic policy).",
        }


class TrialForm(OnceForm, forms.ModelForm[AntidepressantTrial]):
    class Meta:
        model = AntidepressantTrial
        fields = ["drug", "dose", "weeks_at_dose", "adequate_dose", "outcome", "current_episode"]


class MedicationLineForm(OnceForm, forms.Form):
    generic_name = forms.CharField(label="Generic name", max_length=120)
    dose = forms.CharField(max_length=60, help_text="e.g. 100 mg")
    frequency = forms.CharField(max_length=60, help_text="e.g. once daily")


def _item_field(item: instruments.Item, yes_no: bool) -> forms.ChoiceField:
    if yes_no:
        choices = [("yes", "Yes"), ("no", "No")]
    else:
        choices = [
            (str(value), f"{value} — {label}" if label != str(value) else label) for value, label in item.options
        ]
    return forms.ChoiceField(
        label=f"{item.number}. {item.text}",
        choices=choices,
        widget=forms.RadioSelect(attrs={"class": "scale"}),
        required=item.required and not yes_no,
        help_text="" if item.required else "Optional, or skipped by the scale's own rules.",
    )


class InstrumentForm(OnceForm, forms.Form):
    """One rating scale, item by item (``item_1``, ``item_2`` ...), in the published order."""

    def __init__(self, *args: Any, instrument: instruments.Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.yes_no = instrument.id == "cssrs_screener"
        for item in instrument.items:
            self.fields[f"item_{item.number}"] = _item_field(item, self.yes_no)

    def answers(self) -> list[object]:
        values: list[object] = []
        for item in self.instrument.items:
            raw = self.cleaned_data.get(f"item_{item.number}") or ""
            if raw == "":
                values.append(None)
            elif self.yes_no:
                values.append(raw == "yes")
            else:
                values.append(int(raw))
        return values

    @staticmethod
    def initial_from(answers: list[object], yes_no: bool) -> dict[str, str]:
        initial = {}
        for number, value in enumerate(answers, start=1):
            if value is None:
                continue
            initial[f"item_{number}"] = ("yes" if value else "no") if yes_no else str(value)
        return initial


class SignForm(OnceForm, forms.Form):
    """The prescriber's decision over the routes reviewed; one override reason per relative finding."""

    outcome = forms.ChoiceField(
        label="Decision",
        widget=forms.RadioSelect,
        choices=[
            ("eligible", "Eligible"),
            ("eligible_with_conditions", "Eligible with conditions"),
            ("not_eligible", "Not eligible"),
        ],
    )
    routes = forms.MultipleChoiceField(label="Routes this decision covers", widget=forms.CheckboxSelectMultiple)
    conditions_text = forms.CharField(
        label="Conditions",
        required=False,
        max_length=REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required for “eligible with conditions” (e.g. BP controlled before the first session).",
    )

    def __init__(self, *args: Any, review: Review, amending: int | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.MultipleChoiceField", self.fields["routes"])
        field.choices = [(route, ROUTE_LABELS[route]) for route in review.routes]
        field.initial = list(review.routes)
        self.override_names: list[tuple[str, str]] = []
        for code in review.codes("relative"):
            name = f"override_{code}"
            self.fields[name] = forms.CharField(
                label=f"Reason to override “{eligibility.label(code)}”",
                required=False,
                max_length=REASON_MAX_CHARS,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Needed only if you decide eligible despite this finding.",
            )
            self.override_names.append((code, name))
        if amending is not None:
            self.fields["amendment_reason"] = forms.CharField(
                label=f"Why this replaces version {amending}",
                max_length=REASON_MAX_CHARS,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def overrides(self) -> dict[str, str]:
        return {code: self.cleaned_data.get(name) or "" for code, name in self.override_names}
