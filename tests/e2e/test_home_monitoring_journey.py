"""Home-programme monitoring: the patient fills the bladder symptom check and AUDIT-C in the portal on a phone
(390×844); a symptom new since the baseline check shows the prescriber a stop suggestion on the programme page
(1024×768 and 390×844), who stops the programme with a reason.
Screenshots: test-artifacts/screenshots/home-monitoring-*."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from ketaclinic.followup.services import questionnaires as links
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, assert_fits_width, give_authenticator, screenshot, sign_in, watch_errors
from tests.homecare.conftest import prescription, programme, thresholds  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def _screen_link(patient: Any, key: str) -> Any:
    return links.issue_link(
        by=None,
        patient=patient,
        purpose="follow_up",
        scales=["bladder_symptoms", "audit_c"],
        schedule_key=key,
        due_on=timezone.localdate(),
        expires_at=timezone.now() + dt.timedelta(hours=24),
    ).link


def test_bladder_screen_on_a_phone_then_a_stop_suggestion(
    live_server: Any,
    browser: Any,
    settings: Any,
    pat: Any,
    bob: Any,
    prescription: Any,  # noqa: F811
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    enrolled = prescription.programme
    baseline = _screen_link(pat, f"home:{enrolled.pk}:baseline")
    links.submit_for_patient(
        link_id=baseline.pk, patient_id=pat.pk, answers={"bladder_symptoms": [0, 0, 0, 0, 0], "audit_c": [1, 0, 0]}
    )
    _screen_link(pat, f"home:{enrolled.pk}:2026-06-01")

    context = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True)
    page = context.new_page()
    problems = watch_errors(page)
    page.goto(f"{live_server.url}/portal/login/")
    page.get_by_label("Your e-mail address or mobile number").fill(pat.email)
    page.get_by_role("button", name="Send me a sign-in link").click()
    link = re.search(r"http://\S+/portal/login/[\w-]+/", mail.outbox[-1].body)
    assert link
    page.goto(link.group(0))
    page.get_by_label("Your date of birth").fill("1980-04-30")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/portal/questionnaires/")
    page.locator("#due a").first.click()
    expect(page.get_by_text("Ketamine can irritate the bladder")).to_be_visible()
    expect(page.get_by_text("How often do you have a drink containing alcohol?")).to_be_visible()
    # Bladder check: urgency yes (index 1 = Yes), the rest no; AUDIT-C: monthly or less, 1 or 2, never.
    for number in range(1, 6):
        page.locator(f"#id_bladder_symptoms_{number}_{1 if number == 2 else 0}").check()
    page.locator("#id_audit_c_1_1").check()
    page.locator("#id_audit_c_2_0").check()
    screenshot(page, "home-monitoring-unanswered-phone")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("Please choose an answer to this question.").first).to_be_visible()  # item 3 left out
    page.locator("#id_audit_c_3_0").check()
    assert_fits_width(page)
    screenshot(page, "home-monitoring-screen-phone")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.locator("#thanks")).to_be_visible()
    assert problems == []
    context.close()

    staff = browser.new_context(viewport=TABLET, locale="en-US")
    page = staff.new_page()
    sign_in(page, live_server.url, bob, PASSWORD, give_authenticator(bob))
    page.goto(f"{live_server.url}/homecare/patient/{pat.pk}/")
    suggestion = page.get_by_test_id("stop-suggestions").locator("[data-code=bladder]")
    expect(suggestion).to_contain_text("Consider stopping")
    expect(suggestion).to_contain_text("sudden urge to pass urine")
    expect(page.get_by_test_id("bladder-reading")).to_contain_text("new: Sudden urge to pass urine")
    assert_fits_width(page)
    screenshot(page, "home-monitoring-programme-tablet")
    page.set_viewport_size(PHONE)
    assert_fits_width(page)
    screenshot(page, "home-monitoring-programme-phone")
    page.set_viewport_size(TABLET)
    page.get_by_text("Stop the home programme").click()
    page.get_by_role("button", name="Stop programme").click()
    expect(page.locator("#id_reason_error")).to_contain_text("This field is required.")
    assert_fits_width(page)
    screenshot(page, "home-monitoring-stop-refused-tablet")
    page.get_by_label("Reason for stopping").fill("New urinary urgency since baseline: stop and refer to urology.")
    page.get_by_role("button", name="Stop programme").click()
    expect(page.get_by_test_id("programme-stopped")).to_contain_text("New urinary urgency since baseline")
    screenshot(page, "home-monitoring-stopped-tablet")
    staff.close()
