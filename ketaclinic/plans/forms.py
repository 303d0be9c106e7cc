"""Plan forms: shape the input; the rules are in ketaclinic.domain and plans.evaluation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from ketaclinic.domain import eligibility, protocols
from ketaclinic.ledger.forms import WitnessMixin
from ketaclinic.plans.evaluation import KETAMINE_CONCENTRATIONS_MG_PER_ML, PlanInput

DATE = forms.DateInput(attrs={"type": "date"})


class PlanForm(forms.Form):
    indication = forms.ChoiceField(choices=[(i, eligibility.label(i)) for i in eligibility.INDICATIONS])
    protocol_id = forms.ChoiceField(label="Protocol", choices=[])
    dose_mode = forms.ChoiceField(
        label="Dose by",
        choices=[("mg_per_kg", "mg/kg of dosing weight"), ("fixed_mg", "fixed mg")],
        initial="mg_per_kg",
    )
    dose_mg_per_kg = forms.DecimalField(
        label="Dose (mg/kg)", required=False, min_value=Decimal("0.001"), max_digits=6, decimal_places=3
    )
    fixed_dose_mg = forms.DecimalField(
        label="Dose (mg)",
        required=False,
        min_value=Decimal("0.1"),
        max_digits=7,
        decimal_places=1,
        help_text="Esketamine: the dose after day 1 (56 or 84 mg; 28 mg only at 65 and over under the EU/UK SmPC).",
    )
    dosing_weight_basis = forms.ChoiceField(
        label="Dosing weight",
        choices=[("", "protocol default")] + [(b, b.capitalize()) for b in protocols.WEIGHT_BASES],
        required=False,
    )
    infusion_duration_min = forms.IntegerField(
        label="Infusion duration (min)", required=False, min_value=1, max_value=24 * 60, help_text="IV only."
    )
    concentration_mg_per_ml = forms.TypedChoiceField(
        label="Ketamine strength",
        required=False,
        coerce=Decimal,
        empty_value=None,
        choices=[("", "—")] + [(str(c), f"{c} mg/mL") for c in KETAMINE_CONCENTRATIONS_MG_PER_ML],
    )
    bag_volume_ml = forms.DecimalField(
        label="Infusion bag volume (mL)",
        required=False,
        min_value=Decimal("1"),
        max_value=Decimal("1000"),
        max_digits=6,
        decimal_places=1,
    )
    syringe_volume_ml = forms.DecimalField(
        label="Syringe volume (mL)",
        required=False,
        min_value=Decimal("0.1"),
        max_value=Decimal("100"),
        max_digits=6,
        decimal_places=1,
        help_text="IM only: the dose must fit the syringe.",
    )
    premedication = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=500)
    start_date = forms.DateField(widget=DATE)
    sessions_planned = forms.IntegerField(label="Sessions in the series", required=False, min_value=1, max_value=60)
    sessions_per_week = forms.IntegerField(label="Sessions a week", required=False, min_value=1, max_value=7)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["protocol_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(p.id, p.name) for p in protocols.all()]
        if not self.is_bound and "start_date" not in self.initial:
            self.initial["start_date"] = timezone.localdate()
        stored = self.initial.get("concentration_mg_per_ml")
        if stored is not None:
            # The database gives 10.00 where the choice is "10": pick the choice of equal value, so editing a draft
            # shows (and keeps) the strength it was saved with (issue 15: the strength was lost on edit).
            self.initial["concentration_mg_per_ml"] = next(
                (str(c) for c in KETAMINE_CONCENTRATIONS_MG_PER_ML if c == Decimal(str(stored))), stored
            )

    def to_input(self, overrides: dict[str, str] | None = None) -> PlanInput:
        data = self.cleaned_data
        return PlanInput(
            indication=data["indication"],
            protocol_id=data["protocol_id"],
            start_date=data["start_date"],
            dose_mode=data["dose_mode"],
            dose_mg_per_kg=data.get("dose_mg_per_kg"),
            fixed_dose_mg=data.get("fixed_dose_mg"),
            dosing_weight_basis=data.get("dosing_weight_basis") or "",
            infusion_duration_min=data.get("infusion_duration_min"),
            premedication=data.get("premedication") or "",
            sessions_planned=data.get("sessions_planned"),
            sessions_per_week=data.get("sessions_per_week"),
            concentration_mg_per_ml=data.get("concentration_mg_per_ml"),
            bag_volume_ml=data.get("bag_volume_ml"),
            syringe_volume_ml=data.get("syringe_volume_ml"),
            overrides=overrides or {},
        )


class AmendForm(PlanForm):
    change_reason = forms.CharField(
        label="Reason for the change", widget=forms.Textarea(attrs={"rows": 2}), max_length=500
    )


class TuningForm(forms.Form):
    field = forms.ChoiceField(label="Setting")
    value = forms.CharField(max_length=100, help_text="A number, or numbers separated by commas for a list.")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=500)

    def __init__(self, *args: Any, protocol: protocols.Protocol, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.protocol = protocol
        names = [
            name
            for name, value in vars(protocol).items()
            if name not in protocols.NOT_OVERRIDABLE
            and name not in ("name", "summary", "overridden")
            and (value is None or isinstance(value, (int, Decimal, tuple)))
        ]
        field = self.fields["field"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(name, name.replace("_", " ")) for name in sorted(names)]

    def override(self) -> dict[str, Any]:
        """The value as apply_overrides takes it: text numbers (Decimal-exact), a list for list fields, none → None."""
        name = self.cleaned_data["field"]
        raw = self.cleaned_data["value"].strip()
        if raw.lower() in ("none", "null", "-"):
            return {name: None}
        parts: list[Any] = [int(p) if p.strip().isdigit() else p.strip() for p in raw.split(",") if p.strip()]
        if isinstance(getattr(self.protocol, name, None), tuple):
            return {name: parts}
        return {name: parts[0] if len(parts) == 1 else parts}


class CosignForm(WitnessMixin, forms.Form):
    """Above the protocol's range a second prescriber signs in the same form: username, password and the current
    one-time code, checked by the ledger's witness service (never stored)."""

    witness_prefixes = (("cosigner", "Second prescriber"),)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_witness_fields(required=False)


class HoldForm(forms.Form):
    """A medicine the patient holds before each visit, in the prescriber's words (plans.services.add_medicine_hold)."""

    medicine = forms.CharField(
        max_length=100, label="Medicine", help_text="Generic name or class, e.g. clonazepam or benzodiazepines."
    )
    instruction = forms.CharField(
        max_length=200,
        label="What to do, and for how long",
        help_text="In plain words for the patient, e.g. skip the evening dose before your visit.",
    )
