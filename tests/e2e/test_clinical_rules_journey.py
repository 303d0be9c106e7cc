"""Issue 16 items 11–13 in a real browser: a clinic admin sets the label jurisdiction and the MADRS remission cut-off;
a nurse records the intake safety screen (AUDIT-C, planned treatment, liver tests) and ticks bladder symptoms, and the
prescriber's eligibility review shows the new findings with their published sources. Screenshots at the chair-side
tablet (1024×768) and a phone (390×844) land in test-artifacts/screens/ and are meant to be looked at."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, REPO_ROOT, TABLET, assert_fits_width, give_authenticator, sign_in, watch_errors

pytestmark = pytest.mark.browser

SCREENS = REPO_ROOT / "test-artifacts" / "screens"
VIEWPORTS = [("tablet", TABLET), ("phone", PHONE)]


def shot(page: Any, name: str) -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def open_page(browser: Any, width: str, viewport: dict[str, int]) -> tuple[Any, Any, list[str]]:
    extra = {"is_mobile": True, "has_touch": True} if width == "phone" else {}
    context = browser.new_context(viewport=viewport, locale="en-US", **extra)
    page = context.new_page()
    return context, page, watch_errors(page)


def go_to(page: Any, link: str) -> None:
    nav = page.get_by_role("navigation", name="Main")
    toggle = page.get_by_role("button", name="Menu")
    if toggle.is_visible():
        toggle.click()
    nav.get_by_role("link", name=link).click()


@pytest.mark.parametrize(("width", "viewport"), VIEWPORTS)
def test_clinic_admin_sets_the_label_jurisdiction_and_madrs_cutoff(
    live_server: Any, browser: Any, width: str, viewport: dict[str, int], dave: Any
) -> None:
    from ketaclinic.accounts.models import clinical_settings_for
    from ketaclinic.audit.models import AuditEvent

    key = give_authenticator(dave)
    context, page, problems = open_page(browser, width, viewport)
    try:
        sign_in(page, live_server.url, dave, PASSWORD, key)
        go_to(page, "Clinical settings")
        expect(page.get_by_role("heading", name="Clinical settings", level=1)).to_be_visible()
        expect(page.get_by_test_id("jurisdiction-now")).to_have_text("United States: FDA prescribing information")
        expect(page.get_by_test_id("madrs-now")).to_contain_text("MADRS ≤ 9")
        expect(page.get_by_text("Spravato EU/UK SmPC §4.2", exact=False).first).to_be_visible()
        assert ".md" not in page.content()
        assert_fits_width(page)
        shot(page, f"issue16-01-clinical-settings-default-{width}")

        page.get_by_role("group", name=re.compile("Esketamine label")).get_by_label(re.compile("EU / UK")).check()
        page.get_by_role("group", name=re.compile("MADRS remission")).get_by_label(re.compile("MADRS ≤ 12")).check()
        page.get_by_role("button", name="Save settings").click()
        expect(page.get_by_role("status")).to_contain_text("Clinical settings saved.")
        expect(page.get_by_test_id("jurisdiction-now")).to_contain_text("EU / UK")
        expect(page.get_by_test_id("madrs-now")).to_contain_text("MADRS ≤ 12")
        assert_fits_width(page)
        shot(page, f"issue16-02-clinical-settings-eu-{width}")
        current = clinical_settings_for(dave.clinic_id)
        assert (current.label_jurisdiction, current.madrs_remission_at_most) == ("eu", 12)
        assert AuditEvent.objects.filter(action="clinic.clinical_settings.change", actor=dave).exists()
        assert problems == []
    finally:
        context.close()


@pytest.mark.parametrize(("width", "viewport"), VIEWPORTS)
def test_nurse_records_the_safety_screen_and_the_review_shows_the_new_rules(
    live_server: Any, browser: Any, width: str, viewport: dict[str, int], alice: Any, bob: Any, pat: Any
) -> None:
    from tests.intake.factories import draft_intake

    draft = draft_intake(patient=pat, clinician=alice, medications=("theophylline",))
    key = give_authenticator(alice)
    context, page, problems = open_page(browser, width, viewport)
    try:
        sign_in(page, live_server.url, alice, PASSWORD, key)
        page.goto(f"{live_server.url}/intake/assessments/{draft.pk}/")
        expect(page.get_by_role("heading", name="Safety screen: alcohol, bladder and liver")).to_be_visible()
        page.locator("#safety").get_by_role("link", name="Edit").click()
        expect(page.get_by_role("heading", name="Safety screen: alcohol, bladder and liver", level=1)).to_be_visible()
        page.get_by_label("1. How often do you have a drink containing alcohol?").select_option("3")
        page.get_by_label("2. How many standard drinks").select_option("0")
        page.get_by_label("3. How often do you have six or more drinks").select_option("1")
        page.get_by_label("Planned treatment").select_option("series")
        old = (timezone.localdate() - dt.timedelta(days=200)).isoformat()
        page.get_by_label("Liver function tests (LFTs) last done on").fill(old)
        assert_fits_width(page)
        shot(page, f"issue16-10-intake-safety-screen-form-{width}")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_test_id("intake-audit-c")).to_contain_text("4 of 12")

        page.locator("#background").get_by_role("link", name="Edit").click()
        page.get_by_label(
            "Bladder symptoms: urgency, frequency, pain passing urine, blood in urine, bladder pain"
        ).check()
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#background")).to_contain_text("Bladder symptoms")
        page.locator("#safety").scroll_into_view_if_needed()
        assert_fits_width(page)
        shot(page, f"issue16-11-intake-safety-screen-saved-{width}")
        assert problems == []
    finally:
        context.close()

    # The prescriber's review: each new finding with its published source, never a file name.
    from ketaclinic.intake.services import assessment as intake

    draft.refresh_from_db()
    intake.submit_assessment(by=alice, assessment=draft)
    key = give_authenticator(bob)
    context, page, problems = open_page(browser, width, viewport)
    try:
        sign_in(page, live_server.url, bob, PASSWORD, key)
        page.goto(f"{live_server.url}/intake/patients/{pat.pk}/eligibility/")
        for text in (
            'Ketalar US label §7.1: "do not co-administer"',
            "Ketalar US label §5 (drug-induced liver injury",
            "Spravato US PI §7 (CNS depressants, alcohol included); AUDIT-C cut-offs Bradley 2007",
            "Ketalar US label §2.1, §6: genitourinary pain",
        ):
            expect(page.get_by_text(text, exact=False).first).to_be_visible()
        assert "clinical-rules.md" not in page.locator("main").inner_text()
        assert_fits_width(page)
        shot(page, f"issue16-12-eligibility-review-new-rules-{width}")
        assert problems == []
    finally:
        context.close()
