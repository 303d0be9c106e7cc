"""Consents signed electronically, in a real browser: the clinic admin writes and publishes a consent; at the clinic
the patient reads it on the nurse's tablet and signs it (a wrong name is refused with the rule); check-in then shows
the consent as signed electronically, with its version; the signed PDF downloads, is read back with pypdf and its
first page is turned into a PNG with pdftoppm. Screenshots at 1024×768 and 390×844 in test-artifacts/screenshots/."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import TABLET, assert_fits_width, give_authenticator, screenshot, sign_in
from tests.infusions.conftest import check_in, make_iv_order, make_ready_patient

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PDF_DIR = Path(__file__).resolve().parents[2] / "test-artifacts" / "pdf"
CONSENT_TEXT = (
    "You are asked to consent to ketamine given by intravenous infusion while you are monitored.\n\n"
    "Possible effects include dissociation, nausea, and a rise in blood pressure.\n\n"
    "You must not drive until the next day."
)


def both_sizes(page: Any, name: str) -> None:
    for label, size in (("tablet", TABLET), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.wait_for_timeout(50)
        assert_fits_width(page)
        screenshot(page, f"consent-{name}-{label}")
    page.set_viewport_size(TABLET)


@pytest.fixture
def session_missing_consent(pat: Any, bob: Any, alice: Any, settings: Any, tmp_path: Path) -> Any:
    """Pat, ready for an IV session except for the treatment consent (the paper one was withdrawn), checked in."""
    from ketaclinic.patients import services as patients
    from ketaclinic.patients.models import Consent
    from tests.ledger.conftest import licence

    settings.KETACLINIC_DOCUMENTS_DIR = tmp_path / "documents"
    licence(bob)
    make_ready_patient(pat, bob)
    patients.mark_entered_in_error(
        by=bob, row=Consent.objects.get(patient=pat, kind="treatment"), reason="the patient signs the new form"
    )
    return check_in(make_iv_order(pat, bob), alice)


def test_admin_publishes_patient_signs_on_the_tablet_check_in_reads_it(
    live_server: Any, page: Any, browser: Any, dave: Any, alice: Any, pat: Any, session_missing_consent: Any
) -> None:
    base = live_server.url
    # The clinic admin writes the consent and publishes it.
    sign_in(page, base, dave, PASSWORD, give_authenticator(dave))
    page.get_by_role("link", name="Consent documents").click()
    page.get_by_role("link", name="New document").click()
    page.get_by_label("Kind of document").select_option("treatment")
    page.get_by_label("Title").fill("Consent to ketamine treatment")
    page.get_by_label("Text").fill(CONSENT_TEXT)
    page.get_by_label("Effective from").fill("2026-01-01")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_test_id("document-status")).to_have_text("Draft")
    both_sizes(page, "admin-draft")
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_test_id("document-status")).to_have_text("Published")
    both_sizes(page, "admin-published")

    # At check-in the treatment consent is missing.
    nurse = browser.new_context(viewport=TABLET, locale="en-US", accept_downloads=True)
    tablet = nurse.new_page()
    sign_in(tablet, base, alice, PASSWORD, give_authenticator(alice))
    session_url = base + reverse("infusions:session", args=[session_missing_consent.pk])
    tablet.goto(session_url)
    expect(tablet.get_by_test_id("check-consent")).to_contain_text("Missing: ketamine treatment consent")

    # The nurse hands the tablet to the patient, who reads and signs.
    tablet.goto(base + reverse("patients:chart", args=[pat.pk]))
    tablet.get_by_role("link", name="Sign on this tablet").click()
    tablet.get_by_role("link", name="Read and sign").click()
    expect(tablet.get_by_test_id("consent-text")).to_contain_text("You must not drive until the next day.")
    both_sizes(tablet, "tablet-read")
    tablet.get_by_label("Type your full name to sign").fill("P. Rivera")
    tablet.get_by_label(re.compile("I have read this document")).check()
    tablet.get_by_role("button", name="Sign this document").click()
    expect(tablet.get_by_text("first name, then your last name")).to_be_visible()
    both_sizes(tablet, "tablet-wrong-name")
    tablet.get_by_label("Type your full name to sign").fill("Pat Rivera")
    tablet.get_by_label(re.compile("I have read this document")).check()
    canvas = tablet.get_by_test_id("signature-canvas")  # the optional drawn signature
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    tablet.mouse.move(box["x"] + 20, box["y"] + 90)
    tablet.mouse.down()
    for step in range(1, 12):
        tablet.mouse.move(box["x"] + 20 + step * 18, box["y"] + 90 - (step % 3) * 25)
    tablet.mouse.up()
    tablet.get_by_role("button", name="Sign this document").click()
    expect(tablet.get_by_role("heading", name="Thank you, Pat")).to_be_visible()
    expect(tablet.get_by_test_id("signed-summary")).to_contain_text("(version 1) was signed electronically")
    both_sizes(tablet, "tablet-signed")

    # The signed PDF downloads; its text carries the identifiers, the text, the signature and the digest.
    with tablet.expect_download() as info:
        tablet.get_by_role("link", name="Download the signed PDF").click()
    PDF_DIR.mkdir(parents=True, exist_ok=True)
    target = PDF_DIR / "signed-consent.pdf"
    info.value.save_as(str(target))
    from pypdf import PdfReader

    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(target.read_bytes())).pages)
    for expected in (
        "Test Clinic",
        "Patient: Pat Rivera",
        f"MRN {pat.mrn}",
        "Page 1 of",
        "You must not drive",
        "Pat Rivera",
        "witnessed by Alice Test, RN",
        "Drawn signature",
        "UETA",
    ):
        assert expected in text, expected
    if (pdftoppm := shutil.which("pdftoppm")) is not None:
        subprocess.run(  # noqa: S603  (fixed arguments, our own file)
            [pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", str(target), str(PDF_DIR / "signed-consent")],
            check=True,
        )

    # Check-in now reads the electronic signature.
    tablet.goto(session_url)
    expect(tablet.get_by_test_id("check-consent")).to_contain_text(
        re.compile(r"Ketamine treatment consent signed electronically on \d{4}-\d{2}-\d{2} \(version 1\)")
    )
    both_sizes(tablet, "check-in")
    tablet.goto(base + reverse("patients:chart", args=[pat.pk]))
    expect(tablet.get_by_test_id("chart-consents")).to_contain_text("Signed electronically")
    both_sizes(tablet, "chart")
    nurse.close()
