"""Documents in a real browser: the patient, on a phone, uploads a referral letter in the portal; a nurse, on a
tablet, finds it unfiled on the chart's Documents page, files it as "Referral letter" and downloads it (the bytes
are the patient's). A referral letter is clinical: the front desk does not see it (patients/uploads.py).
Screenshots: test-artifacts/screenshots/documents-*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, tiny_pdf
from tests.e2e.conftest import PHONE, TABLET, assert_fits_width, give_authenticator, screenshot, sign_in, watch_errors
from tests.e2e.test_portal_journey import latest_link

pytestmark = pytest.mark.browser
PDF = tiny_pdf("Referral letter from Dr Lee")


def test_patient_uploads_a_referral_on_a_phone_staff_file_and_download_it(
    live_server: Any, browser: Any, settings: Any, pat: Any, alice: Any
) -> None:
    from ketaclinic.patients.models import ChartDocument

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    phone = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    page = phone.new_page()
    problems = watch_errors(page)
    page.goto(f"{live_server.url}/portal/login/")
    page.get_by_label("Your e-mail address or mobile number").fill(pat.email)
    page.get_by_role("button", name="Send me a sign-in link").click()
    page.goto(latest_link(r"http://\S+/portal/login/[\w-]+/"))
    page.get_by_label("Your date of birth").fill("1980-04-30")
    page.get_by_role("button", name="Sign in").click()
    page.locator("#open-documents").click()
    expect(page.get_by_role("heading", name="Your documents", level=1)).to_be_visible()

    # An executable renamed .pdf is refused with a message; nothing reaches the chart.
    page.get_by_label("Choose the file").set_input_files(
        files=[{"name": "letter.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00PE\x00\x00"}]
    )
    page.get_by_label("What is it?").select_option(label="Referral letter")
    page.get_by_role("button", name="Send it to the clinic").click()
    expect(page.locator(".error").first).to_contain_text("not a PDF, JPEG or PNG")
    assert_fits_width(page)
    screenshot(page, "documents-portal-refused-phone")
    assert not ChartDocument.objects.exists()

    page.get_by_label("Choose the file").set_input_files(
        files=[{"name": "referral.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_label("What is it?").select_option(label="Referral letter")
    page.get_by_label("Note for the clinic (optional)").fill("From my family doctor")
    page.get_by_role("button", name="Send it to the clinic").click()
    expect(page.locator("#uploaded")).to_contain_text("has reached the clinic")
    expect(page.locator("#documents")).to_contain_text("not yet checked by the clinic")
    assert_fits_width(page)
    screenshot(page, "documents-portal-sent-phone")
    assert problems == []
    phone.close()

    tablet = browser.new_context(viewport=TABLET, locale="en-US")
    staff = tablet.new_page()
    problems = watch_errors(staff)
    sign_in(staff, live_server.url, alice, PASSWORD, give_authenticator(alice) if alice.needs_mfa else None)
    staff.goto(f"{live_server.url}/patients/{pat.pk}/")
    expect(staff.get_by_test_id("unfiled-count")).to_contain_text("1 to file")
    screenshot(staff, "documents-chart-tablet")
    staff.get_by_test_id("chart-documents").click()
    unfiled = staff.get_by_test_id("documents-unfiled")
    expect(unfiled).to_contain_text("The patient says: Referral letter")
    expect(unfiled).to_contain_text("From my family doctor")
    assert_fits_width(staff)
    screenshot(staff, "documents-unfiled-tablet")
    unfiled.get_by_test_id("document-file").click()
    expect(staff.get_by_label("File under")).to_have_value("referral_letter")
    staff.get_by_label("Title").fill("Referral from Dr Lee, family medicine")
    staff.get_by_label("Date of the document").fill("2026-01-05")
    staff.get_by_role("button", name="File it").click()
    filed = staff.get_by_test_id("documents-referral_letter")
    expect(filed).to_contain_text("Referral from Dr Lee, family medicine")
    expect(staff.get_by_test_id("documents-unfiled")).to_have_count(0)
    assert_fits_width(staff)
    screenshot(staff, "documents-filed-tablet")
    with staff.expect_download() as info:
        filed.get_by_test_id("document-download").click()
    assert Path(info.value.path()).read_bytes() == PDF
    document = ChartDocument.objects.get()
    assert document.kind == "referral_letter" and document.filed_by == alice and document.uploaded_by is None
    staff.set_viewport_size(PHONE)
    staff.reload()
    assert_fits_width(staff)
    screenshot(staff, "documents-filed-phone")
    assert problems == []
    tablet.close()
