"""Payments on self-pay invoices and refunds of them. A card payment keeps the card terminal's reference only: text
that looks like a card number (13-19 digits passing the Luhn check) is refused before anything is stored (PCI DSS
v4.0 requirement 3). A payment above the balance and a refund above what is left of its payment are refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.audit import services as audit
from ketaclinic.billing.models import Invoice, Payment, Refund
from ketaclinic.billing.services.invoices import require_manager, totals_for
from ketaclinic.domain.billing import invoicing
from ketaclinic.domain.billing.invoicing import MoneyError

CARD_NUMBER_REFUSED = (
    "This looks like a card number: never type a card number here, only the card terminal's reference. "
    "Nothing was saved."
)


def _reference(method: str, reference: str) -> str:
    text = reference.strip()
    if invoicing.looks_like_card_number(text):
        raise ServiceError(CARD_NUMBER_REFUSED, field="reference")
    if len(text) > 60:
        raise ServiceError("The reference is at most 60 characters. Nothing was saved.", field="reference")
    if method in (Payment.Method.CARD, Payment.Method.HSA_FSA) and not text:
        raise ServiceError(
            "Enter the card terminal's reference for this payment. Nothing was saved.", field="reference"
        )
    if method == Payment.Method.CHEQUE and not text:
        raise ServiceError("Enter the cheque number. Nothing was saved.", field="reference")
    return text


@transaction.atomic
def record_payment(
    *,
    by: User,
    invoice: Invoice,
    method: str,
    amount: Decimal | str,
    reference: str = "",
    received_at: dt.datetime | None = None,
) -> Payment:
    require_manager(by, invoice.location)
    if method not in Payment.Method.values:
        raise ServiceError("Choose how the patient paid. Nothing was saved.", field="method")
    text = _reference(method, reference)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)  # two payments at once cannot overpay
    if invoice.status != Invoice.Status.ISSUED:
        raise ServiceError("Payments are recorded on issued invoices only. Nothing was saved.")
    try:
        value = invoicing.money(amount, what="payment")
        invoicing.check_payment(totals_for(invoice), value)
    except MoneyError as error:
        raise ServiceError(f"{error}", field="amount") from None
    payment = Payment.objects.create(
        invoice=invoice,
        method=method,
        reference=text,
        amount=value,
        received_at=received_at or timezone.now(),
        recorded_by=by,
    )
    audit.record(
        actor=by,
        action="billing.payment",
        obj=payment,
        patient_id=invoice.patient_id,
        detail={"invoice": invoice.pk, "amount": str(value), "method": method},
    )
    return payment


def refunded(payment: Payment) -> list[Decimal]:
    return list(payment.refunds.values_list("amount", flat=True))


@transaction.atomic
def refund_payment(*, by: User, payment: Payment, amount: Decimal | str, reason: str) -> Refund:
    require_manager(by, payment.invoice.location)
    invoice = Invoice.objects.select_for_update().get(pk=payment.invoice_id)
    payment = Payment.objects.get(pk=payment.pk)
    if not reason.strip():
        raise ServiceError("Say why the money is given back. Nothing was saved.", field="reason")
    try:
        value = invoicing.money(amount, what="refund")
        invoicing.check_refund(totals_for(invoice), payment=payment.amount, refunded=refunded(payment), amount=value)
    except MoneyError as error:
        raise ServiceError(f"{error} Nothing was saved.", field="amount") from None
    refund = Refund.objects.create(payment=payment, amount=value, reason=reason.strip(), recorded_by=by)
    audit.record(
        actor=by,
        action="billing.refund",
        obj=refund,
        patient_id=invoice.patient_id,
        detail={"payment": payment.pk, "amount": str(value)},
    )
    return refund
