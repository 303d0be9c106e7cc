"""Self-pay billing in a real browser: front desk opens Billing, finds Pat's package invoice, records a card payment
by its terminal reference (a card number typed by mistake is refused and not kept on the page), and sees the balance
go down; the invoice PDF downloads and is read back. Screenshots at 1024×768 and 390×844; the PDF's first page as a
PNG (pdftoppm)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, assert_fits_width, give_authenticator, screenshot, sign_in

pytestmark = pytest.mark.browser

# Also copied to $KETACLINIC_SHOTS_DIR when set (to look at them outside the repository).
SHOTS = Path(os.environ.get("KETACLINIC_SHOTS_DIR", "")) if os.environ.get("KETACLINIC_SHOTS_DIR") else None
PDF_DIR = Path(__file__).resolve().parents[2] / "test-artifacts" / "pdf"


def both_sizes(page: Any, name: str) -> None:
    for label, size in (("tablet", TABLET), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.wait_for_timeout(50)
        assert_fits_width(page)
        shot = screenshot(page, f"billing-{name}-{label}")
        if SHOTS is not None:
            SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, SHOTS / shot.name)
    page.set_viewport_size(TABLET)


def test_front_desk_records_a_payment(live_server: Any, page: Any, carol: Any, dave: Any, pat: Any) -> None:
    from ketaclinic.billing.services import invoices
    from tests.billing.selfpay_scene import make_fees

    schedule = make_fees(dave, pat.location)
    invoice = invoices.invoice_package(
        by=carol, patient=pat, fee=schedule.fees.get(service="package:protocol:depression_iv")
    )
    key = give_authenticator(carol) if carol.needs_mfa else None
    page.set_viewport_size(TABLET)
    sign_in(page, live_server.url, carol, PASSWORD, key)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Billing").click()
    expect(page.get_by_test_id("open-total")).to_have_text("$2400.00")
    page.get_by_role("link", name=invoice.display_number).click()
    expect(page.get_by_role("heading", name=f"Invoice {invoice.display_number}")).to_be_visible()

    form = page.get_by_test_id("payment-form")
    form.get_by_label("Paid by").select_option("card")
    form.get_by_label("Amount (USD)").fill("1000.00")
    form.get_by_label("Terminal reference or cheque number").fill("4111 1111 1111 1111")
    form.get_by_role("button", name="Record payment").click()
    expect(page.get_by_text("This looks like a card number")).to_be_visible()
    expect(page.get_by_label("Terminal reference or cheque number")).to_have_value("")

    form = page.get_by_test_id("payment-form")
    form.get_by_label("Paid by").select_option("card")
    form.get_by_label("Amount (USD)").fill("1000.00")
    form.get_by_label("Terminal reference or cheque number").fill("TRM-0417-2231")
    form.get_by_role("button", name="Record payment").click()
    expect(page.get_by_text("Payment of $1000.00 recorded.")).to_be_visible()
    expect(page.get_by_test_id("invoice-totals")).to_contain_text("$1400.00")
    both_sizes(page, "invoice")

    answer = page.request.get(live_server.url + reverse("billing:invoice_pdf", args=[invoice.pk]))
    assert answer.ok and answer.headers["content-type"] == "application/pdf"
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.body())).pages)
    assert "$2400.00" in text and "$1400.00" in text and "TRM-0417-2231" in text
    folders = [PDF_DIR] + ([SHOTS] if SHOTS is not None else [])
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        pdf = folder / "billing-invoice.pdf"
        pdf.write_bytes(answer.body())
        if (pdftoppm := shutil.which("pdftoppm")) is not None:
            subprocess.run(  # noqa: S603  (fixed arguments, our own file)
                [pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", str(pdf), str(folder / "billing-invoice-pdf")],
                check=True,
            )
