"""The self-pay pages: a front-desk user records a payment; refusals show the form with the message and write
nothing; clinical staff see billed lines but no payments; another location's invoice is 404; the PDFs carry the
totals."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.billing.models import Invoice, Payment, Refund
from ketaclinic.billing.services import invoices, payments
from tests.conftest import make_patient


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def package_invoice(schedule: Any, pat: Any, carol: Any) -> Any:
    fee = schedule.fees.get(service="package:protocol:depression_iv")
    return invoices.invoice_package(by=carol, patient=pat, fee=fee)


def test_front_desk_records_a_payment(client_as: Any, carol: Any, package_invoice: Any) -> None:
    client = client_as(carol)
    url = reverse("billing:invoice", args=[package_invoice.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"$2400.00" in page.content
    answer = client.post(
        reverse("billing:payment_create", args=[package_invoice.pk]),
        {"method": "card", "amount": "1000.00", "reference": "TERM-55-A1"},
    )
    assert answer.status_code == 302 and answer["Location"] == url
    page = client.get(url)
    assert b"Payment of $1000.00 recorded." in page.content
    assert invoices.totals_for(package_invoice).balance == Decimal("1400.00")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"method": "cash", "amount": "2400.01"}, b"larger than the balance (2400.00)"),
        ({"method": "card", "amount": "10", "reference": "4111111111111111"}, b"looks like a card number"),
        ({"method": "cheque", "amount": "10"}, b"Enter the cheque number"),
    ],
)
def test_bad_payment_shows_the_message_and_writes_nothing(
    client_as: Any, carol: Any, package_invoice: Any, data: dict[str, str], message: bytes
) -> None:
    answer = client_as(carol).post(reverse("billing:payment_create", args=[package_invoice.pk]), data)
    assert answer.status_code == 400 and message in answer.content
    assert b"4111111111111111" not in answer.content  # never echoed back either
    assert not Payment.objects.exists()


def test_refund_twice_beyond_the_payment_on_the_page(client_as: Any, carol: Any, package_invoice: Any) -> None:
    payment = payments.record_payment(by=carol, invoice=package_invoice, method="cash", amount="100.00")
    client = client_as(carol)
    url = reverse("billing:refund_create", args=[payment.pk])
    assert client.post(url, {"amount": "100.00", "reason": "cancelled"}).status_code == 302
    again = client.post(url, {"amount": "100.00", "reason": "cancelled"})
    assert again.status_code == 400 and b"more than what is left of this payment" in again.content
    assert Refund.objects.count() == 1


def test_void_and_credit_from_the_page(client_as: Any, carol: Any, package_invoice: Any) -> None:
    client = client_as(carol)
    bad = client.post(reverse("billing:credit_create", args=[package_invoice.pk]), {"amount": "-1", "reason": "x"})
    assert bad.status_code == 400
    ok = client.post(reverse("billing:credit_create", args=[package_invoice.pk]), {"amount": "400", "reason": "promo"})
    assert ok.status_code == 302
    client.post(reverse("billing:invoice_void", args=[package_invoice.pk]), {"reason": "sold in error"})
    package_invoice.refresh_from_db()
    assert package_invoice.status == Invoice.Status.VOID


def test_clinical_staff_see_billed_lines_not_payments(
    client_as: Any, alice: Any, carol: Any, pat: Any, package_invoice: Any
) -> None:
    payments.record_payment(by=carol, invoice=package_invoice, method="cash", amount="123.45")
    page = client_as(alice).get(reverse("billing:patient", args=[pat.pk]))
    assert page.status_code == 200
    assert b"Induction: 6 IV infusions" in page.content and b"$2400.00" in page.content
    assert b"123.45" not in page.content and b"Receipt" not in page.content
    manager = client_as(carol).get(reverse("billing:patient", args=[pat.pk]))
    assert b"123.45" in manager.content and b"$2276.55" in manager.content


def test_another_locations_invoice_is_404(client_as: Any, carol: Any, erin: Any, lakeside: Any, dave: Any) -> None:
    from tests.billing.selfpay_scene import make_fees

    lee = make_patient(lakeside, given_name="Lee", family_name="Shore")
    schedule = make_fees(dave, lakeside)
    invoice = invoices.invoice_package(
        by=dave, patient=lee, fee=schedule.fees.get(service="package:protocol:depression_iv")
    )
    client = client_as(carol)  # front desk at Main only
    assert client.get(reverse("billing:invoice", args=[invoice.pk])).status_code == 404
    assert client.get(reverse("billing:invoice_pdf", args=[invoice.pk])).status_code == 404
    assert (
        client.post(reverse("billing:payment_create", args=[invoice.pk]), {"method": "cash", "amount": "1"}).status_code
        == 404
    )
    assert client.get(reverse("billing:patient", args=[lee.pk])).status_code == 404


def test_invoice_and_receipt_pdfs_carry_the_totals(client_as: Any, carol: Any, package_invoice: Any) -> None:
    first = payments.record_payment(by=carol, invoice=package_invoice, method="cash", amount="1000.00")
    payments.record_payment(by=carol, invoice=package_invoice, method="cheque", amount="500.00", reference="2231")
    client = client_as(carol)
    answer = client.get(reverse("billing:invoice_pdf", args=[package_invoice.pk]))
    assert answer["Content-Type"] == "application/pdf"
    text = pdf_text(answer.content)
    assert "Invoice 000001" in text and "$2400.00" in text and "$900.00" in text and "Pat Rivera" in text
    receipt = pdf_text(client.get(reverse("billing:receipt_pdf", args=[first.pk])).content)
    assert "$1000.00" in receipt and "Receipt" in receipt


def test_home_lists_balances_and_ageing(client_as: Any, carol: Any, package_invoice: Any) -> None:
    payments.record_payment(by=carol, invoice=package_invoice, method="cash", amount="400.00")
    client = client_as(carol)
    home = client.get(reverse("billing:home"))
    assert b"$2000.00" in home.content
    ageing = client.get(reverse("billing:ageing"))
    assert ageing.status_code == 200 and b"0-30 days" in ageing.content and b"$2000.00" in ageing.content
    csv = b"".join(client.get(reverse("billing:ageing_csv")).streaming_content)
    assert csv.splitlines()[0] == b"invoice,patient,mrn,issued,days,bucket,balance"
    assert b"000001,Pat Rivera" in csv and b",0-30,2000.00" in csv


def test_invoice_a_signed_session_from_the_patient_page(
    client_as: Any, carol: Any, schedule: Any, signed_session: Any, pat: Any, iv_order: Any, alice: Any
) -> None:
    from tests.billing.selfpay_scene import make_signed_session

    client = client_as(carol)
    page = client.get(reverse("billing:patient", args=[pat.pk]))
    assert b"Invoice this session" in page.content
    answer = client.post(reverse("billing:invoice_session", args=[signed_session.pk]))
    invoice = Invoice.objects.get()
    assert answer["Location"] == reverse("billing:invoice", args=[invoice.pk])
    assert b"Invoice this session" not in client.get(reverse("billing:patient", args=[pat.pk])).content
    unsigned = make_signed_session(
        iv_order.plan_version.orders.order_by("session_number")[1], alice, status="discharged"
    )
    refused = client.post(reverse("billing:invoice_session", args=[unsigned.pk]), follow=True)
    assert b"Only a signed session is invoiced" in refused.content and Invoice.objects.count() == 1


def test_package_sold_from_the_patient_page(client_as: Any, carol: Any, schedule: Any, pat: Any) -> None:
    client = client_as(carol)
    page = client.get(reverse("billing:patient", args=[pat.pk]))
    assert b"Issue the package invoice" in page.content
    fee = schedule.fees.get(service="package:protocol:depression_iv")
    answer = client.post(reverse("billing:invoice_package", args=[pat.pk]), {"fee": fee.pk})
    assert answer.status_code == 302 and Invoice.objects.get().lines.get().package_sessions == 6
    bad = client.post(reverse("billing:invoice_package", args=[pat.pk]), {"fee": 999999}, follow=True)
    assert b"Select a valid choice" in bad.content and Invoice.objects.count() == 1
