"""The patient portal end to end on a phone (390×844): the patient signs in, confirms an appointment with the
pre-visit checklist, signs the treatment consent, sends a referral letter, writes to the care team and fills a
PHQ-9; then the staff see each of these where they work — the day view, the chart's consents and documents, the shared
inbox and the patient's questionnaires. Screenshots: test-artifacts/screenshots/portal-whole-*.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import PASSWORD, tiny_pdf
from tests.consents.conftest import publish
from tests.e2e.conftest import PHONE, TABLET, assert_fits_width, give_authenticator, screenshot, sign_in, watch_errors
from tests.e2e.test_portal_journey import book_visit, latest_link

pytestmark = pytest.mark.browser
PDF = tiny_pdf()
PHQ9 = [1, 0, 1, 0, 0, 0, 0, 0, 0]  # total 2, item 9 "Not at all": no safety alert in this journey


def test_a_patient_does_everything_from_a_phone_and_staff_see_it(
    live_server: Any,
    browser: Any,
    settings: Any,
    pat: Any,
    carol: Any,
    dave: Any,
    alice: Any,
    bob: Any,
    main_st: Any,
    tmp_path: Path,
) -> None:
    from ketaclinic.followup.services import questionnaires
    from tests.portal.conftest import questionnaire_for

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.KETACLINIC_DOCUMENTS_DIR = tmp_path / "documents"
    visit = book_visit(pat, carol, dave, alice, bob, main_st)
    publish(dave, main_st.clinic)
    due = questionnaire_for(pat, "whole-visit")
    questionnaires.send_link(by=None, link=due, base_url=live_server.url)

    phone = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    page = phone.new_page()
    problems = watch_errors(page)

    # Sign in: a one-time link by e-mail, then the date of birth.
    page.goto(f"{live_server.url}/portal/login/")
    page.get_by_label("Your e-mail address or mobile number").fill(pat.email)
    page.get_by_role("button", name="Send me a sign-in link").click()
    page.goto(latest_link(r"http://\S+/portal/login/[\w-]+/"))
    page.get_by_label("Your date of birth").fill("1980-04-30")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello Pat", level=1)).to_be_visible()
    screenshot(page, "portal-whole-home-phone")

    # 1. Confirm the appointment with the checklist.
    page.goto(f"{live_server.url}/portal/appointments/{visit.pk}/")
    expect(page.locator("#checklist")).to_contain_text("Do not eat anything for 2 hours")
    page.get_by_label("I will not eat or drink before my visit as the checklist says.").check()
    page.get_by_label("Name of the person taking you home").fill("Sam Rivera")
    page.get_by_label("Their phone number").fill("(217) 555-0199")
    page.get_by_role("button", name="Yes, I will come").click()
    expect(page.locator("#confirmed")).to_contain_text("Sam Rivera will take you home")

    # 2. Sign the treatment consent.
    page.goto(f"{live_server.url}/portal/consents/")
    page.get_by_role("link", name=re.compile("Consent to ketamine treatment")).click()
    page.get_by_label("Type your full name to sign").fill("Pat Rivera")
    page.get_by_label(re.compile("I have read this document")).check()
    page.get_by_role("button", name="Sign this document").click()
    expect(page.locator("#signed-summary")).to_be_visible()

    # 3. Send a referral letter.
    page.goto(f"{live_server.url}/portal/documents/")
    page.get_by_label("Choose the file").set_input_files(
        files=[{"name": "referral.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_label("What is it?").select_option(label="Referral letter")
    page.get_by_role("button", name="Send it to the clinic").click()
    expect(page.locator("#uploaded")).to_contain_text("has reached the clinic")

    # 4. Write to the care team.
    page.goto(f"{live_server.url}/portal/messages/")
    page.get_by_label("Subject").fill("Parking")
    page.get_by_label("Your message").fill("Where do I park on the day of my visit?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#sent")).to_be_visible()

    # 5. Fill the PHQ-9 that is due.
    page.goto(f"{live_server.url}/portal/questionnaires/{due.pk}/")
    items = page.locator(".q-item")
    expect(items).to_have_count(len(PHQ9) + 1)  # + the optional "how difficult" question, left unanswered
    for index, value in enumerate(PHQ9):
        items.nth(index).locator("input[type=radio]").nth(value).check()
    page.get_by_role("button", name="Send my answers").click()
    page.goto(f"{live_server.url}/portal/questionnaires/")
    expect(page.locator("#history")).to_contain_text("2 out of 27")
    assert_fits_width(page)
    screenshot(page, "portal-whole-questionnaires-phone")
    assert problems == []
    phone.close()

    # The staff see each of these where they work.
    staff = browser.new_context(viewport=TABLET)
    desk = staff.new_page()
    sign_in(desk, live_server.url, alice, PASSWORD, give_authenticator(alice) if alice.needs_mfa else None)
    chart = f"{live_server.url}{reverse('patients:chart', args=[pat.pk])}"
    desk.goto(chart)
    expect(desk.get_by_text(re.compile(r"Signed electronically \(Patient portal\)")).first).to_be_visible()
    desk.goto(f"{live_server.url}{reverse('patients:documents', args=[pat.pk])}")
    expect(desk.locator("main")).to_contain_text("Referral letter")
    desk.goto(f"{live_server.url}/portal/inbox/?location={main_st.pk}")
    expect(desk.get_by_role("link", name=re.compile("Parking"))).to_be_visible()
    screenshot(desk, "portal-whole-inbox-tablet")
    desk.goto(f"{live_server.url}{reverse('questionnaires:patient_links', args=[pat.pk])}")
    expect(desk.locator("main")).to_contain_text(re.compile("Completed|completed"))
    screenshot(desk, "portal-whole-questionnaire-staff-tablet")
    day = visit.starts_at.astimezone(ZoneInfo(main_st.clinic.timezone)).date()
    desk.goto(f"{live_server.url}{reverse('schedule:day')}?date={day:%Y-%m-%d}&location={main_st.pk}")
    expect(desk.locator("td.appt").filter(has_text="Pat Rivera").first).to_contain_text("confirmed by patient")
    screenshot(desk, "portal-whole-day-view-tablet")
    staff.close()
