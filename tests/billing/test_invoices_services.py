"""Invoices from signed sessions and packages, credit notes, voids: numbers, balances, bad input writes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.billing.models import CreditNote, Invoice, InvoiceLine
from ketaclinic.billing.services import invoices, payments
from tests.billing.selfpay_scene import make_signed_session

D = Decimal


def test_a_signed_session_is_invoiced_at_the_fee_in_effect(schedule: Any, signed_session: Any, carol: Any) -> None:
    invoice = invoices.invoice_session(by=carol, session=signed_session)
    assert invoice.status == "issued" and invoice.number == 1 and invoice.display_number == "000001"
    line = invoice.lines.get()
    assert (line.code, line.amount, line.session) == ("96365", D("450.00"), signed_session)
    assert invoices.totals_for(invoice).balance == D("450.00")


def test_unsigned_and_twice_invoiced_sessions_are_refused(schedule: Any, iv_order: Any, alice: Any, carol: Any) -> None:
    second = iv_order.plan_version.orders.order_by("session_number")[1]
    open_session = make_signed_session(second, alice, status="discharged")
    with pytest.raises(ServiceError, match="Only a signed session"):
        invoices.invoice_session(by=carol, session=open_session)
    assert not Invoice.objects.exists()
    signed = make_signed_session(iv_order, alice)
    invoices.invoice_session(by=carol, session=signed)
    with pytest.raises(ServiceError, match="already on an invoice"):
        invoices.invoice_session(by=carol, session=signed)
    assert Invoice.objects.count() == 1


def test_no_fee_in_effect_writes_nothing(signed_session: Any, carol: Any) -> None:
    with pytest.raises(ServiceError, match="No fee for"):
        invoices.invoice_session(by=carol, session=signed_session)
    assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()


def test_clinical_staff_cannot_invoice(schedule: Any, signed_session: Any, alice: Any) -> None:
    with pytest.raises(PermissionDenied):
        invoices.invoice_session(by=alice, session=signed_session)


def test_package_covers_its_sessions(schedule: Any, iv_order: Any, pat: Any, alice: Any, carol: Any) -> None:
    package_fee = schedule.fees.get(service="package:protocol:depression_iv")
    package = invoices.invoice_package(by=carol, patient=pat, fee=package_fee)
    assert package.number == 1 and invoices.totals_for(package).balance == D("2400.00")
    orders = list(iv_order.plan_version.orders.order_by("session_number"))
    assert len(orders) == 6
    first = invoices.invoice_session(by=carol, session=make_signed_session(orders[0], alice))
    line = first.lines.get()
    assert line.amount == D("0.00") and "package session 1 of 6" in line.description
    assert invoices.totals_for(first).balance == D("0.00")
    for order in orders[1:]:
        invoices.invoice_session(by=carol, session=make_signed_session(order, alice))
    assert invoices.package_use(package.lines.get()) == (6, 6)
    assert invoices.open_package_line(pat, "protocol:depression_iv") is None  # used up: the next is billed singly


def test_package_refusals(schedule: Any, pat: Any, carol: Any) -> None:
    single = schedule.fees.get(service="consultation")
    with pytest.raises(ServiceError, match="not a package"):
        invoices.invoice_package(by=carol, patient=pat, fee=single)
    assert not Invoice.objects.exists()


def test_credit_note_and_void(schedule: Any, signed_session: Any, carol: Any) -> None:
    invoice = invoices.invoice_session(by=carol, session=signed_session)
    with pytest.raises(ServiceError, match="larger than the balance"):
        invoices.add_credit_note(by=carol, invoice=invoice, amount="450.01", reason="goodwill")
    with pytest.raises(ServiceError, match="Say why"):
        invoices.add_credit_note(by=carol, invoice=invoice, amount="10", reason=" ")
    assert not CreditNote.objects.exists()
    invoices.add_credit_note(by=carol, invoice=invoice, amount="50.00", reason="goodwill")
    assert invoices.totals_for(invoice).balance == D("400.00")
    payment = payments.record_payment(by=carol, invoice=invoice, method="cash", amount="100.00")
    with pytest.raises(ServiceError, match="refund the payments first"):
        invoices.void_invoice(by=carol, invoice=invoice, reason="wrong patient")
    payments.refund_payment(by=carol, payment=payment, amount="100.00", reason="wrong patient")
    with pytest.raises(ServiceError, match="Say why"):
        invoices.void_invoice(by=carol, invoice=invoice, reason="")
    voided = invoices.void_invoice(by=carol, invoice=invoice, reason="wrong patient")
    assert voided.status == "void" and invoices.totals_for(voided).balance == D("0")
    with pytest.raises(ServiceError, match="already void"):
        invoices.void_invoice(by=carol, invoice=invoice, reason="again")
    with pytest.raises(ServiceError, match="Only an issued invoice"):
        invoices.add_credit_note(by=carol, invoice=invoice, amount="1", reason="x")
    # the session can be invoiced again once its invoice is void; numbers keep counting
    again = invoices.invoice_session(by=carol, session=signed_session)
    assert again.number == 2
