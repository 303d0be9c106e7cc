"""A patient fills a questionnaire from home on a phone (390×844): PHQ-9 with item 9 = "Several days" and GAD-7.
The thank-you page puts the crisis resources first, and the primary clinician, signing in, finds the new safety alert
on the dashboard and in the alerts list (issue 8)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, assert_fits_width, give_authenticator, screenshot, sign_in, watch_errors
from tests.followup.questionnaire_factories import send_link

pytestmark = pytest.mark.browser

PHQ9 = [0, 1, 0, 1, 0, 0, 1, 0, 1]  # item 9: "Several days"
GAD7 = [1, 1, 1, 0, 0, 1, 0]


def answer(page: Any, question: str, option: str) -> None:
    page.get_by_role("group", name=re.compile(re.escape(question))).get_by_label(option, exact=True).check()


def test_a_patient_flags_item_9_on_a_phone_and_the_clinician_sees_the_alert(
    live_server: Any, browser: Any, pat: Any, alice: Any, bob: Any
) -> None:
    from ketaclinic.domain import instruments
    from ketaclinic.outcomes.models import Measurement, SafetyAlert
    from ketaclinic.patients import services as patients

    patients.update_patient(by=alice, patient=pat, changes={"primary_clinician": bob})
    _, token = send_link(pat)
    base = live_server.url

    # 1. The patient opens the link from the message on their phone: no login, no name on the page.
    context = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    page = context.new_page()
    problems = watch_errors(page)
    page.goto(f"{base}/q/{token}/")
    expect(page.get_by_role("heading", name="Your questionnaire", level=1)).to_be_visible()
    expect(page.get_by_role("note").first).to_contain_text("988")
    assert "Rivera" not in page.content()
    assert_fits_width(page)
    screenshot(page, "issue8-20-questionnaire-phone")
    phq9, gad7 = instruments.get("phq9"), instruments.get("gad7")
    page.get_by_role("button", name="Send my answers").click()  # nothing chosen: every item says so, nothing stored
    expect(page.locator(".q-item.has-error").first).to_be_visible()
    assert not Measurement.objects.exists()
    for item, value in zip(phq9.items, PHQ9, strict=False):
        answer(page, item.text, dict(item.options)[value])
    for item, value in zip(gad7.items, GAD7, strict=True):
        answer(page, item.text, dict(item.options)[value])
    box = page.get_by_label("Several days").first.locator("xpath=..").bounding_box()
    assert box is not None and box["height"] >= 44  # a large touch target: the whole label row
    screenshot(page, "issue8-21-questionnaire-filled-phone")
    page.get_by_role("button", name="Send my answers").click()

    # 2. Crisis resources come first on the thank-you page.
    expect(page.get_by_role("heading", name="Thank you", level=1)).to_be_visible()
    crisis = page.get_by_role("note")
    expect(crisis).to_contain_text("Please reach out now")
    expect(crisis.get_by_role("link", name="988")).to_have_attribute("href", "tel:988")
    crisis_top = crisis.bounding_box()
    heading_top = page.get_by_role("heading", name="Thank you", level=1).bounding_box()
    assert crisis_top is not None and heading_top is not None and crisis_top["y"] < heading_top["y"]
    assert_fits_width(page)
    screenshot(page, "issue8-22-questionnaire-thanks-crisis-phone")
    page.goto(f"{base}/q/{token}/")  # the link is spent
    expect(page.get_by_role("heading", name="This link cannot be used")).to_be_visible()
    assert problems == []
    context.close()

    alert = SafetyAlert.objects.get()
    assert (alert.assigned_to, alert.severity, alert.instrument) == (bob, "unrated", "phq9")
    assert Measurement.objects.filter(context="home").count() == 2

    # 3. The primary clinician signs in and finds the alert on the dashboard and in the alerts list.
    context = browser.new_context(viewport=TABLET, locale="en-US")
    page = context.new_page()
    problems = watch_errors(page)
    sign_in(page, base, bob, PASSWORD, key=give_authenticator(bob))
    expect(page.get_by_role("heading", name=re.compile(r"Safety alerts for you \(1\)"))).to_be_visible()
    screenshot(page, "issue8-23-clinician-dashboard-alert")
    page.get_by_role("link", name="All alerts").click()
    row = page.get_by_role("row", name=re.compile("Rivera, Pat"))
    expect(row).to_contain_text("PHQ-9")
    expect(row).to_contain_text("Open")
    screenshot(page, "issue8-24-clinician-alert-list")
    row.get_by_role("link", name=re.compile("Rivera, Pat")).click()
    expect(page.get_by_role("heading", level=2).first).to_contain_text("from home")
    expect(page.get_by_text("Administer the C-SSRS screener.")).to_be_visible()
    screenshot(page, "issue8-25-clinician-alert-detail")
    assert problems == []
    context.close()
