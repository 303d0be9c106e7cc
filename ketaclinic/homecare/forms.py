"""Forms of the home programme. They only shape input; the rules live in the services and ``domain.homecare``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from ketaclinic.accounts.forms import OnceForm
from ketaclinic.homecare.models import HomeDispense, HomeSettings, TakeHomePrescription
from ketaclinic.homecare.services.doses import SYMPTOMS
from ketaclinic.ledger.forms import WitnessMixin

DATE = forms.DateInput(attrs={"type": "date"})


class EnrolForm(OnceForm, forms.Form):
    route = forms.ChoiceField(choices=TakeHomePrescription.Route.choices)
    monitor_name = forms.CharField(label="Peer treatment monitor", max_length=200)
    monitor_date_of_birth = forms.DateField(
        label="Monitor's date of birth", widget=DATE, help_text="18 or older, and not the patient."
    )
    monitor_relationship = forms.CharField(label="Relationship", max_length=60, required=False)
    monitor_phone = forms.CharField(label="Monitor's phone", max_length=30, required=False)
    monitor_email = forms.EmailField(label="Monitor's e-mail", required=False)
    in_person_evaluation_on = forms.DateField(
        label="In-person evaluation",
        widget=DATE,
        required=False,
        help_text="Leave blank for a telehealth-only patient.",
    )


class PrescribeForm(OnceForm, forms.Form):
    route = forms.ChoiceField(choices=TakeHomePrescription.Route.choices)
    strength_mg = forms.DecimalField(label="Strength per unit (mg)", max_digits=7, decimal_places=2, min_value=0)
    dose_mg = forms.DecimalField(label="Dose per session (mg)", max_digits=7, decimal_places=2, min_value=0)
    sessions = forms.IntegerField(label="Sessions per fill", min_value=1, max_value=30)
    refills_authorised = forms.IntegerField(
        label="Refills", min_value=0, help_text="At most 5 within six months of issue (21 CFR 1306.22)."
    )
    issued_on = forms.DateField(widget=DATE)
    pdmp_checked_on = forms.DateField(label="PDMP checked on", widget=DATE, required=False)
    pdmp_note = forms.CharField(label="PDMP finding", max_length=300, required=False)


class RecordForm(OnceForm, forms.Form):
    """A count of the doses the patient holds (pill or device count), from the programme page."""

    prescription = forms.IntegerField(widget=forms.HiddenInput)
    doses = forms.DecimalField(label="Doses counted", max_digits=6, decimal_places=2, min_value=0)
    note = forms.CharField(max_length=300, required=False, help_text="How it was counted (e.g. video pill count).")


class DispenseForm(OnceForm, forms.Form):
    """A fill or refill: a pharmacy's (name and Rx number) or the clinic's (drawn from the ledger's stock)."""

    source = forms.ChoiceField(choices=HomeDispense.Source.choices, widget=forms.RadioSelect)
    doses = forms.IntegerField(label="Doses (sessions) dispensed", min_value=1, max_value=99)
    dispensed_on = forms.DateField(label="Dispensed on", widget=DATE)
    dispenser = forms.CharField(
        label="Pharmacy (or dispensing clinician)",
        max_length=200,
        required=False,
        help_text="A pharmacy fill: the pharmacy's name. A clinic fill: blank records you.",
    )
    rx_number = forms.CharField(label="Pharmacy Rx number", max_length=40, required=False)
    container = forms.TypedChoiceField(
        label="Clinic stock (container)",
        coerce=int,
        required=False,
        empty_value=None,
        help_text="A clinic fill is drawn from this container in the controlled-substance ledger.",
    )

    def __init__(self, *args: Any, stock: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["container"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "—")] + [
            (
                c.pk,
                f"{c.label} · {c.lot.product.name} · lot {c.lot.lot_number} exp {c.lot.expires_on:%Y-%m-%d} · "
                f"{Decimal(c.available_ml).quantize(Decimal('0.01'))} mL available",
            )
            for c in stock or []
        ]


class WasteForm(WitnessMixin, OnceForm, forms.Form):
    """Documented waste: doses wasted or handed back for destruction, with a witness who signs here."""

    doses = forms.DecimalField(label="Doses wasted or handed back", max_digits=6, decimal_places=2, min_value=0)
    note = forms.CharField(
        label="What happened", max_length=300, help_text="e.g. troche dropped and flushed; 2 doses returned"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_witness_fields(required=True)


class ReviewForm(OnceForm, forms.Form):
    note = forms.CharField(
        label="Review note",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the review found (talked to the patient and monitor, recount…) and what was done.",
    )


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(label="Why is this entry wrong?", max_length=500)


class SettingsForm(forms.ModelForm[HomeSettings]):
    class Meta:
        model = HomeSettings
        fields = [
            "max_systolic_mmhg",
            "max_diastolic_mmhg",
            "max_heart_rate_per_min",
            "doses_per_day",
            "discrepancy_tolerance_doses",
            "screen_interval_days",
        ]


class CheckInForm(OnceForm, forms.Form):
    """The patient's pre-dose check-in on the portal (phone)."""

    YES_NO = [("no", "No"), ("yes", "Yes")]

    systolic_mmhg = forms.IntegerField(
        label="Top number (systolic)", widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    diastolic_mmhg = forms.IntegerField(
        label="Bottom number (diastolic)", widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    heart_rate_per_min = forms.IntegerField(
        label="Pulse (beats a minute)", widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    monitor_present = forms.ChoiceField(
        label="Is your treatment monitor with you now?",
        choices=[("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect,
    )
    monitor_not_sober = forms.ChoiceField(
        label=SYMPTOMS["monitor_not_sober"] + "?", choices=YES_NO, widget=forms.RadioSelect
    )
    alcohol_today = forms.ChoiceField(label=SYMPTOMS["alcohol_today"] + "?", choices=YES_NO, widget=forms.RadioSelect)
    sedatives_today = forms.ChoiceField(
        label=SYMPTOMS["sedatives_today"] + "?", choices=YES_NO, widget=forms.RadioSelect
    )
    suicidal_thoughts = forms.ChoiceField(
        label="Since your last dose, have you had thoughts of harming or killing yourself?",
        choices=YES_NO,
        widget=forms.RadioSelect,
    )


class PostDoseForm(forms.Form):
    sedation_resolved = forms.ChoiceField(
        label="Do you feel back to your usual self (awake, steady)?",
        choices=[("yes", "Yes"), ("no", "Not yet")],
        widget=forms.RadioSelect,
    )
    side_effects = forms.CharField(
        label="Any side effects? (nausea, dizziness, pain passing urine…)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class StopForm(OnceForm, forms.Form):
    reason = forms.CharField(
        label="Reason for stopping",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required. The patient's check-ins stop clearing doses at once.",
    )
