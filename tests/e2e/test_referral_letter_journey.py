"""Referral in, progress letter out, in a real browser (issue 20). A psychiatrist's system POSTs a FHIR referral for a
patient the clinic already treats; the front desk finds it in the triage queue ("FHIR referral from Dr. Priya
Shah"), sees the possible existing patient and links it to the chart. The prescriber, prompted on the chart that the
series is complete, drafts the letter (addressed to the referrer from the referral), writes the plan, signs it and
downloads the PDF; then adds an addendum to the signed letter (signed at once, listed on the letter's page, its PDF
downloaded). Screenshots: test-artifacts/screenshots/letters-*.png and referral-*.png."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, assert_fits_width, give_authenticator, screenshot, sign_in, watch_errors
from tests.fhir.conftest import FHIR_JSON, token_for
from tests.fhir.test_fhir_referral import referral_bundle
from tests.followup.letter_factories import treated_patient

pytestmark = pytest.mark.browser


def test_referral_lands_in_triage_and_the_prescriber_signs_a_letter_back(
    live_server: Any, browser: Any, client: Any, main_st: Any, carol: Any, alice: Any, bob: Any
) -> None:
    from ketaclinic.followup.models import ProgressLetter

    lena = treated_patient(main_st, bob, alice)
    bundle = referral_bundle(main_st.pk)
    patient = bundle["entry"][0]["resource"]
    patient["name"] = [{"use": "official", "given": ["Lena"], "family": "Ortiz"}]
    patient["birthDate"] = "1979-08-14"
    response = client.post(
        "/fhir/r4/Bundle",
        data=json.dumps(bundle),
        content_type=FHIR_JSON,
        HTTP_AUTHORIZATION=f"Bearer {token_for(carol)}",
    )
    assert response.status_code == 201

    desk_context = browser.new_context(viewport=TABLET, locale="en-US")
    desk = desk_context.new_page()
    problems = watch_errors(desk)
    sign_in(desk, live_server.url, carol, PASSWORD, give_authenticator(carol) if carol.needs_mfa else None)
    desk.goto(f"{live_server.url}/intake/requests/")
    expect(desk.get_by_test_id("referral-tag")).to_contain_text("FHIR referral from Dr. Priya Shah")
    screenshot(desk, "referral-triage-list-tablet")
    desk.get_by_role("link", name="Ortiz, Lena").click()
    expect(desk.get_by_test_id("referral")).to_contain_text("Came in by FHIR from Dr. Priya Shah")
    expect(desk.get_by_test_id("duplicates")).to_contain_text("Possible existing patient")
    assert_fits_width(desk)
    screenshot(desk, "referral-triage-detail-tablet")
    desk.set_viewport_size(PHONE)
    assert_fits_width(desk)
    screenshot(desk, "referral-triage-detail-phone")
    desk.get_by_role("button", name="This is the same person: link").click()
    expect(desk.get_by_role("heading", name="Lena Ortiz", level=1)).to_be_visible()
    assert problems == []
    desk_context.close()

    context = browser.new_context(viewport=TABLET, locale="en-US", accept_downloads=True)
    page = context.new_page()
    problems = watch_errors(page)
    sign_in(page, live_server.url, bob, PASSWORD, give_authenticator(bob) if bob.needs_mfa else None)
    page.goto(f"{live_server.url}/patients/{lena.pk}/")
    prompt = page.get_by_test_id("chart-prompt-letter")
    expect(prompt).to_contain_text("The treatment series is complete")
    prompt.get_by_role("link", name="Write the letter").click()
    expect(page.get_by_role("heading", name="Progress letters", level=1)).to_be_visible()
    expect(page.get_by_label("To (referring clinician)")).to_have_value("Dr. Priya Shah")
    expect(page.get_by_label("Their NPI")).to_have_value("1234567893")
    page.get_by_label("The plan going forward").fill("Maintenance infusions every 4 weeks; PHQ-9 every 2 weeks.")
    assert_fits_width(page)
    screenshot(page, "letters-patient-tablet")
    page.get_by_role("button", name="Start the draft").click()
    expect(page.get_by_text("DRAFT: not signed.")).to_be_visible()
    expect(page.get_by_test_id("letter-treatment")).to_contain_text("6 signed sessions")
    expect(page.get_by_test_id("letter-outcomes")).to_contain_text("Remission, response")
    expect(page.get_by_test_id("letter-adverse")).to_contain_text("Nausea")
    # The letter's PHQ-9 chart (the Outcomes page's chart code) loads: the draft shows what the PDF will print.
    page.wait_for_function(
        "() => { const i = document.querySelector('figure.letter-chart img'); "
        "return i && i.complete && i.naturalWidth > 0; }"
    )
    assert_fits_width(page)
    screenshot(page, "letters-draft-tablet")
    page.get_by_test_id("sign-letter").click()
    expect(page.get_by_test_id("letter-signed")).to_contain_text("Signed by")
    expect(page.get_by_test_id("letter-signature")).to_contain_text("Signed electronically")
    # Signed: the charts are the ones frozen in the PDF, not the live chart.
    expect(page.get_by_test_id("letter-charts-in-pdf")).to_be_visible()
    expect(page.locator("figure.letter-chart")).to_have_count(0)
    screenshot(page, "letters-signed-tablet")
    with page.expect_download() as info:
        page.get_by_test_id("letter-pdf").click()
    assert Path(info.value.path()).read_bytes().startswith(b"%PDF-")
    letter = ProgressLetter.objects.get()
    assert letter.is_signed and letter.signed_by == bob and letter.document is not None

    # Something to add after signing: an addendum, signed as it is added; the letter itself does not change.
    expect(page.get_by_test_id("letter-addenda")).to_contain_text("No addenda.")
    page.locator("#addendum_text").fill(
        "Since the letter was signed Lena has moved: 12 Elm Street, Springfield.\nPlease send replies there."
    )
    page.get_by_label("Why it is added").fill("New information after signing")
    page.get_by_test_id("add-addendum").click()
    expect(page.get_by_text("Addendum signed: its PDF is on the chart.")).to_be_visible()
    added = page.get_by_test_id("addendum")
    expect(added).to_have_count(1)
    expect(added).to_contain_text("12 Elm Street")
    expect(added).to_contain_text("New information after signing")
    expect(added).to_contain_text(bob.display_name)
    assert_fits_width(page)
    page.get_by_test_id("letter-addenda").scroll_into_view_if_needed()
    screenshot(page, "letters-addendum-tablet")
    with page.expect_download() as info:
        added.get_by_test_id("addendum-pdf").click()
    assert Path(info.value.path()).read_bytes().startswith(b"%PDF-")
    assert letter.addenda.count() == 1
    page.set_viewport_size(PHONE)
    page.reload()
    assert_fits_width(page)
    screenshot(page, "letters-signed-phone")
    page.get_by_test_id("letter-addenda").scroll_into_view_if_needed()
    screenshot(page, "letters-addendum-phone")
    page.goto(f"{live_server.url}/patients/{lena.pk}/")
    expect(page.get_by_test_id("chart-prompt-letter")).to_have_count(0)
    assert problems == []
    context.close()
