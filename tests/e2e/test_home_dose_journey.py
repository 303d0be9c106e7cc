"""A patient takes a home dose on a phone (390×844): check-in → cleared → dose and timer → post-dose check; then the
prescriber sees it in the programme's diary on a tablet (1024×768), with the running balance. Screenshots:
test-artifacts/screenshots/home-dose-*.png."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, assert_fits_width, give_authenticator, screenshot, sign_in, watch_errors
from tests.homecare.conftest import prescription, programme, thresholds  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_a_home_dose_on_a_phone(
    live_server: Any,
    browser: Any,
    settings: Any,
    pat: Any,
    bob: Any,
    prescription: Any,  # noqa: F811
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
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
    page.get_by_role("navigation", name="Your portal").get_by_role("link", name="Home dose").click()
    page.get_by_label("Top number (systolic)").fill("171")
    page.get_by_label("Bottom number (diastolic)").fill("95")
    page.get_by_label("Pulse (beats a minute)").fill("72")
    page.locator("#id_monitor_present_0").check()
    for name in ("monitor_not_sober", "alcohol_today", "sedatives_today", "suicidal_thoughts"):
        page.locator(f"#id_{name}_0").check()
    page.get_by_role("button", name="Check my readings").click()
    expect(page.get_by_role("heading", name="Do not take your dose today")).to_be_visible()
    expect(page.locator("#reasons")).to_contain_text("above the clinic's limit of 160 mmHg")
    expect(page.get_by_role("button", name="I am taking my dose now")).to_have_count(0)
    assert_fits_width(page)
    screenshot(page, "home-dose-refused-phone")
    page.get_by_role("link", name="Check in again later").click()
    page.get_by_label("Top number (systolic)").fill("128")
    page.get_by_label("Bottom number (diastolic)").fill("82")
    page.get_by_label("Pulse (beats a minute)").fill("72")
    page.locator("#id_monitor_present_0").check()
    for name in ("monitor_not_sober", "alcohol_today", "sedatives_today", "suicidal_thoughts"):
        page.locator(f"#id_{name}_0").check()
    assert_fits_width(page)
    screenshot(page, "home-dose-check-in-phone")
    page.get_by_role("button", name="Check my readings").click()
    expect(page.get_by_role("heading", name="You are cleared for your dose")).to_be_visible()
    screenshot(page, "home-dose-cleared-phone")
    page.get_by_role("button", name="I am taking my dose now").click()
    expect(page.locator("#timer")).to_contain_text("Stay seated with your monitor")
    page.locator("#id_sedation_resolved_0").check()
    page.get_by_role("button", name="Send my after-dose check").click()
    expect(page.locator("#post-done")).to_be_visible()
    assert_fits_width(page)
    screenshot(page, "home-dose-after-phone")
    assert problems == []
    context.close()

    staff = browser.new_context(viewport=TABLET, locale="en-US")
    page = staff.new_page()
    sign_in(page, live_server.url, bob, PASSWORD, give_authenticator(bob))
    page.goto(f"{live_server.url}/homecare/patient/{pat.pk}/")
    expect(page.get_by_test_id("balance")).to_contain_text("= 5 doses expected")
    expect(page.get_by_text("cleared", exact=True)).to_be_visible()
    assert_fits_width(page)
    screenshot(page, "home-dose-programme-tablet")
    staff.close()
