"""Forms of the self-pay pages (fees, invoices, payments, estimates): labels, help and the checks a field can make;
the services check everything again."""

from __future__ import annotations

from typing import Any

from django import forms

from ketaclinic.accounts.forms import OnceForm
from ketaclinic.billing.models import Payment

MONEY_FIELD: dict[str, Any] = {"max_digits": 10, "decimal_places": 2, "min_value": 0}


class PaymentForm(OnceForm, forms.Form):
    method = forms.ChoiceField(label="Paid by", choices=Payment.Method.choices)
    amount = forms.DecimalField(label="Amount (USD)", **MONEY_FIELD)
    reference = forms.CharField(
        label="Terminal reference or cheque number",
        required=False,
        max_length=80,
        help_text="The card terminal's reference (never the card number) or the cheque number.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class RefundForm(OnceForm, forms.Form):
    amount = forms.DecimalField(label="Refund amount (USD)", **MONEY_FIELD)
    reason = forms.CharField(label="Reason", max_length=500)


class CreditNoteForm(OnceForm, forms.Form):
    amount = forms.DecimalField(label="Credit amount (USD)", **MONEY_FIELD)
    reason = forms.CharField(label="Reason", max_length=500)


class VoidForm(forms.Form):
    reason = forms.CharField(label="Why is this invoice void?", max_length=500)


class PackageForm(OnceForm, forms.Form):
    fee = forms.TypedChoiceField(label="Package", coerce=int, choices=())

    def __init__(self, *args: Any, packages: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fee"].choices = [(f.pk, f"{f.label}: {f.sessions} sessions, ${f.amount}") for f in packages]  # type: ignore[attr-defined]


class EstimateForm(OnceForm, forms.Form):
    given_on = forms.DateField(label="Date given", widget=forms.DateInput(attrs={"type": "date"}))
    diagnosis_codes = forms.CharField(
        label="Diagnosis codes (ICD-10-CM)",
        required=False,
        max_length=200,
        help_text="Separated by commas, e.g. F33.2. Leave empty to use the coded conditions on the chart.",
    )


class FeeScheduleForm(OnceForm, forms.Form):
    effective_from = forms.DateField(label="Takes effect on", widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label="Note", required=False, max_length=200)
