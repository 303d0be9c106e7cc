"""Payments and refunds: never above the balance or the payment, never a card number, nothing written on refusal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.billing.models import Payment, Refund
from ketaclinic.billing.services import invoices, payments

D = Decimal


@pytest.fixture
def invoice(schedule: Any, signed_session: Any, carol: Any) -> Any:
    return invoices.invoice_session(by=carol, session=signed_session)


def test_two_payments_and_a_balance(invoice: Any, carol: Any) -> None:
    payments.record_payment(by=carol, invoice=invoice, method="card", amount="200.00", reference="TERM-4471-0098")
    payments.record_payment(by=carol, invoice=invoice, method="cheque", amount=D("50"), reference="1042")
    totals = invoices.totals_for(invoice)
    assert (totals.payments, totals.balance) == (D("250.00"), D("200.00"))
    assert AuditEvent.objects.filter(action="billing.payment").count() == 2


@pytest.mark.parametrize(
    ("method", "amount", "reference", "message"),
    [
        ("cash", "450.01", "", "larger than the balance"),
        ("cash", "0", "", "more than zero"),
        ("cash", "-5", "", "negative"),
        ("cash", "1.234", "", "two decimal places"),
        ("card", "10", "", "terminal's reference"),
        ("hsa_fsa", "10", "", "terminal's reference"),
        ("cheque", "10", "", "cheque number"),
        ("card", "10", "4111 1111 1111 1111", "looks like a card number"),
        ("cash", "10", "note 4242-4242-4242-4242", "looks like a card number"),
        ("bitcoin", "10", "", "how the patient paid"),
        ("cash", "10", "x" * 61, "at most 60"),
    ],
)
def test_bad_payments_write_nothing(
    invoice: Any, carol: Any, method: str, amount: str, reference: str, message: str
) -> None:
    with pytest.raises(ServiceError, match=message):
        payments.record_payment(by=carol, invoice=invoice, method=method, amount=amount, reference=reference)
    assert not Payment.objects.exists()


def test_refund_twice_beyond_the_payment(invoice: Any, carol: Any) -> None:
    payment = payments.record_payment(by=carol, invoice=invoice, method="cash", amount="300.00")
    payments.refund_payment(by=carol, payment=payment, amount="200.00", reason="session cancelled")
    with pytest.raises(ServiceError, match=r"left of this payment \(100.00\)"):
        payments.refund_payment(by=carol, payment=payment, amount="200.00", reason="again")
    with pytest.raises(ServiceError, match="Say why"):
        payments.refund_payment(by=carol, payment=payment, amount="1.00", reason="")
    assert Refund.objects.count() == 1
    assert invoices.totals_for(invoice).balance == D("350.00")


def test_payment_on_a_void_invoice_is_refused(invoice: Any, carol: Any) -> None:
    invoices.void_invoice(by=carol, invoice=invoice, reason="duplicate")
    with pytest.raises(ServiceError, match="issued invoices only"):
        payments.record_payment(by=carol, invoice=invoice, method="cash", amount="1")
