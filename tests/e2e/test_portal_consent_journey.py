"""Consents in the patient portal, in a real browser: the patient signs in on a phone (390×844), sees "1 consent to
sign" on the portal home, reads the treatment consent, is refused with the rule for a wrong name, signs, and
downloads the signed PDF; the nurse's check-in on the tablet then reads "signed electronically …, version 1 (patient
portal)". Screenshots: test-artifacts/screenshots/portal-consent-*.png."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect
from pypdf import PdfReader

from ketaclinic.consents.models import ElectronicSignature
from ketaclinic.patients import services as patients
from ketaclinic.patients.models import Consent
from tests.conftest import PASSWORD
from tests.consents.conftest import publish
from tests.e2e.conftest import PHONE, TABLET, assert_fits_width, give_authenticator, screenshot, sign_in, watch_errors
from tests.infusions.conftest import check_in, make_iv_order, make_ready_patient
from tests.ledger.conftest import licence

pytestmark = pytest.mark.browser
PDF_DIR = Path(__file__).resolve().parents[2] / "test-artifacts" / "pdf"


@pytest.fixture
def session_missing_consent(pat: Any, bob: Any, alice: Any, settings: Any, tmp_path: Path) -> Any:
    """Pat, ready for an IV session except for the treatment consent (the paper one was withdrawn), checked in."""
    settings.KETACLINIC_DOCUMENTS_DIR = tmp_path / "documents"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    licence(bob)
    make_ready_patient(pat, bob)
    patients.mark_entered_in_error(
        by=bob, row=Consent.objects.get(patient=pat, kind="treatment"), reason="the patient signs the new form"
    )
    return check_in(make_iv_order(pat, bob), alice)


def test_patient_signs_in_the_portal_on_a_phone_and_check_in_reads_it(
    live_server: Any, browser: Any, dave: Any, clinic: Any, alice: Any, pat: Any, session_missing_consent: Any
) -> None:
    base = live_server.url
    document = publish(dave, clinic)
    phone = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True, accept_downloads=True)
    page = phone.new_page()
    problems = watch_errors(page)

    page.goto(f"{base}/portal/login/")
    page.get_by_label("Your e-mail address or mobile number").fill(pat.email)
    page.get_by_role("button", name="Send me a sign-in link").click()
    found = re.search(r"http://\S+/portal/login/[\w-]+/", mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    page.goto(found.group(0))
    page.get_by_label("Your date of birth").fill("1980-04-30")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#consents-count")).to_have_text("1 consent to sign")
    screenshot(page, "portal-consent-home-phone")

    page.get_by_role("link", name="1 consent to sign").click()
    expect(page.locator("#to-sign")).to_contain_text("Consent to ketamine treatment (version 1)")
    assert_fits_width(page)
    screenshot(page, "portal-consent-list-phone")
    page.get_by_role("link", name="Consent to ketamine treatment (version 1)").click()
    expect(page.get_by_test_id("consent-text")).to_contain_text("You must not drive until the next day.")
    screenshot(page, "portal-consent-read-phone")

    page.get_by_label("Type your full name to sign").fill("P. Rivera")
    page.get_by_role("button", name="Sign this document").click()
    expect(page.locator("#id_typed_name_error")).to_contain_text("first name, then your last name")
    expect(page.locator("#id_agreed_error")).to_contain_text("Tick the box")
    assert not ElectronicSignature.objects.exists()
    assert_fits_width(page)
    screenshot(page, "portal-consent-refused-phone")

    page.get_by_label("Type your full name to sign").fill("Pat Rivera")
    page.get_by_label(re.compile("I have read this document")).check()
    page.get_by_role("button", name="Sign this document").click()
    expect(page.get_by_role("heading", name="Thank you, Pat")).to_be_visible()
    expect(page.locator("#signed-summary")).to_contain_text("(version 1) electronically")
    assert_fits_width(page)
    screenshot(page, "portal-consent-signed-phone")
    signature = ElectronicSignature.objects.get(patient=pat, document=document)
    assert signature.channel == "portal" and signature.witnessed_by is None and signature.ip_address

    with page.expect_download() as info:
        page.get_by_role("link", name="Download the signed copy (PDF)").click()
    assert info.value.suggested_filename == "consent-treatment-v1.pdf"
    PDF_DIR.mkdir(parents=True, exist_ok=True)
    target = PDF_DIR / "portal-signed-consent.pdf"
    info.value.save_as(str(target))
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(target.read_bytes())).pages)
    for expected in ("Patient: Pat Rivera", "You must not drive", "Patient portal", "UETA"):
        assert expected in text, expected
    page.goto(f"{base}/portal/consents/")
    expect(page.locator("#signed")).to_contain_text("Ketamine treatment informed consent, version 1, signed")
    screenshot(page, "portal-consent-after-phone")
    assert problems == []
    phone.close()

    # The nurse's check-in on the tablet reads the portal signature.
    nurse = browser.new_context(viewport=TABLET, locale="en-US")
    tablet = nurse.new_page()
    sign_in(tablet, base, alice, PASSWORD, give_authenticator(alice))
    tablet.goto(base + reverse("infusions:session", args=[session_missing_consent.pk]))
    expect(tablet.get_by_test_id("check-consent")).to_contain_text(
        re.compile(r"signed electronically on \d{4}-\d{2}-\d{2}, version 1 \(patient portal\)")
    )
    expect(tablet.get_by_test_id("checkin-consents")).to_contain_text("(patient portal)")
    screenshot(tablet, "portal-consent-check-in-tablet")
    tablet.goto(base + reverse("patients:chart", args=[pat.pk]))
    expect(tablet.get_by_test_id("chart-consents")).to_contain_text("Signed electronically (Patient portal)")
    screenshot(tablet, "portal-consent-chart-tablet")
    nurse.close()
