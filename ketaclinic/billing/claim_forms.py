"""Forms of the billing profile, payer, coverage, claim and superbill pages (the services check everything again)."""

from __future__ import annotations

from typing import Any

from django import forms

from ketaclinic.accounts.forms import OnceForm
from ketaclinic.accounts.models import User
from ketaclinic.billing.models import BillingProfile, Claim, Coverage, Payer
from ketaclinic.billing.services.payers import FILING_INDICATORS, VERIFY_RULES


class ProfileForm(forms.ModelForm[BillingProfile]):
    class Meta:
        model = BillingProfile
        fields = [
            "legal_name",
            "npi",
            "tax_id",
            "tax_id_kind",
            "taxonomy_code",
            "street",
            "city",
            "state",
            "postal_code",
            "phone",
        ]
        help_texts = {
            "npi": "Ten digits; the last is a check digit (CMS NPI check-digit algorithm).",
            "postal_code": "ZIP+4 as nine digits, without the dash (the 837P needs all nine).",
        }


class ProviderNpiForm(forms.Form):
    user: forms.ModelChoiceField[Any] = forms.ModelChoiceField(queryset=User.objects.none(), label="Clinician")
    npi = forms.CharField(label="NPI", max_length=10)
    taxonomy_code = forms.CharField(max_length=10, required=False, help_text="e.g. 2084P0800X (psychiatry).")

    def __init__(self, *args: Any, clinicians: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = clinicians


def _rule_choices() -> list[tuple[str, str]]:
    return [(rule.name, rule.words) for rule in VERIFY_RULES]


class PayerForm(forms.ModelForm[Payer]):
    filing_indicator = forms.ChoiceField(
        choices=[(code, code) for code in FILING_INDICATORS],
        help_text="837P claim filing indicator: MB = Medicare Part B, MC = Medicaid, CI = commercial (X12 code list).",
    )
    confirmed_rules = forms.MultipleChoiceField(
        choices=_rule_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Rules confirmed with this payer",
        help_text="Each is unconfirmed until ticked: the claim builder still proposes its default and marks it.",
    )

    class Meta:
        model = Payer
        fields = ["name", "payer_id", "kind", "accepts_g_codes", "filing_indicator", "confirmed_rules", "is_active"]


class CoverageForm(OnceForm, forms.ModelForm[Coverage]):
    class Meta:
        model = Coverage
        fields = ["payer", "member_id", "group_number", "priority", "effective_from", "effective_to"]
        widgets = {
            "effective_from": forms.DateInput(attrs={"type": "date"}),
            "effective_to": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, payers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["payer"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = payers


class ClaimForm(OnceForm, forms.Form):
    payer: forms.ModelChoiceField[Any] = forms.ModelChoiceField(queryset=Payer.objects.none())
    supply = forms.ChoiceField(
        label="Who supplied the drug",
        choices=[("buy_and_bill", "The clinic (buy and bill)"), ("specialty_pharmacy", "A specialty pharmacy")],
    )
    practitioner_min = forms.IntegerField(
        label="Practitioner minutes",
        min_value=0,
        max_value=1440,
        initial=0,
        help_text="The prescriber's own time with the patient that day (E/M by time counts only this, not the "
        "observation by staff: Janssen reimbursement FAQ).",
    )
    clinical_staff_min = forms.IntegerField(label="Clinical staff minutes", min_value=0, max_value=1440, initial=0)
    separately_identifiable_em = forms.BooleanField(
        label="A separate, significant visit was documented",
        required=False,
        help_text="Modifier 25 on the visit when billed with a drug administration (Noridian JF).",
    )
    prior_auth_number = forms.RegexField(
        label="Prior authorisation number", regex=r"^[A-Za-z0-9-]*$", max_length=50, required=False
    )

    def __init__(self, *args: Any, payers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["payer"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = payers


class StatusForm(forms.Form):
    to = forms.ChoiceField(choices=[(s.value, s.label) for s in Claim.Status if s != Claim.Status.EXPORTED])
    note = forms.CharField(required=False, max_length=500, widget=forms.TextInput)
    denial_codes = forms.CharField(required=False, max_length=200, help_text="e.g. CO-16, CO-197")
    paid_amount = forms.DecimalField(required=False, min_value=0, max_digits=10, decimal_places=2)

    def __init__(self, *args: Any, moves: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["to"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(s.value, s.label) for s in Claim.Status if s.value in moves]


class SuperbillForm(OnceForm, forms.Form):
    practitioner_min = forms.IntegerField(label="Practitioner minutes", min_value=0, max_value=1440, initial=0)
    first_date = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave both dates empty for this session alone; give both for every signed session of the patient"
        " in that range.",
    )
    last_date = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first_date"), data.get("last_date")
        if (first is None) != (last is None):
            raise forms.ValidationError("Give both dates of the range, or neither.")
        if first is not None and last is not None and last < first:
            self.add_error("last_date", "The range ends on or after it starts.")
        return data


class ChargeForm(forms.Form):
    unit_charge = forms.DecimalField(min_value=0, max_digits=10, decimal_places=2, label="Unit charge ($)")


class SuperbillVoidForm(forms.Form):
    reason = forms.CharField(label="Why is this superbill void?", max_length=500)


class CoverageEndForm(forms.Form):
    effective_to = forms.DateField(label="Last day covered", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="Why does the coverage end?", max_length=500)
