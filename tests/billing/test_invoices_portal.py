"""The portal's bills page: the patient's own invoices, what is still owed, and their invoice and receipt PDFs."""

from __future__ import annotations

import io
from typing import Any

from ketaclinic.audit.models import AuditEvent
from ketaclinic.billing.services import invoices, payments
from tests.portal.conftest import sign_in_as


def test_patient_sees_bills_and_downloads_receipts(client: Any, schedule: Any, pat: Any, carol: Any) -> None:
    bill = invoices.invoice_package(
        by=carol, patient=pat, fee=schedule.fees.get(service="package:protocol:depression_iv")
    )
    payment = payments.record_payment(by=carol, invoice=bill, method="cash", amount="400.00")
    sign_in_as(client, pat)
    page = client.get("/portal/bills/")
    text = page.content.decode()
    assert page.status_code == 200 and "You owe <strong>$2000.00</strong>" in text and "Receipt (PDF)" in text
    from pypdf import PdfReader

    receipt = client.get(f"/portal/bills/receipts/{payment.pk}/pdf/")
    assert receipt["Content-Type"] == "application/pdf"
    words = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt.content)).pages)
    assert "$400.00" in words and "the patient, on the portal" in words
    assert client.get(f"/portal/bills/{bill.pk}/pdf/").status_code == 200
    actions = set(AuditEvent.objects.filter(patient_id=pat.pk).values_list("action", flat=True))
    assert {"portal.view", "portal.invoice_pdf", "portal.receipt_pdf"} <= actions


def test_no_bills(client: Any, pat: Any) -> None:
    sign_in_as(client, pat)
    assert "You have no bills" in client.get("/portal/bills/").content.decode()
