"""Issue 15 in a real browser: a nurse registers a 16-year-old (registered, with a warning that cites the adult-only
rule's published source), records weight in pounds and height in feet and inches on the chart and on the intake (stored
metric, shown in both), and a form sent twice saves once and says so. The changed forms are photographed at 1024×768
and 390×844 into test-artifacts/screens/."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ketaclinic.patients.models import BodyMeasurement, Patient
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, REPO_ROOT, TABLET, assert_fits_width, give_authenticator, sign_in, watch_errors

pytestmark = pytest.mark.browser

SCREENS = REPO_ROOT / "test-artifacts" / "screens"


def shot(page: Any, name: str) -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_a_nurse_registers_a_minor_and_enters_pounds_and_feet(
    live_server: Any, browser: Any, alice: Any, main_st: Any
) -> None:
    key = give_authenticator(alice)
    base = live_server.url
    context = browser.new_context(viewport=TABLET, locale="en-US")
    page = context.new_page()
    problems = watch_errors(page)
    sign_in(page, base, alice, PASSWORD, key)

    # Register a 16-year-old: allowed, with a visible warning and the rule's published source.
    page.goto(f"{base}/patients/new/")
    expect(page.get_by_role("heading", name="Register a patient")).to_be_visible()
    expect(page.get_by_text("This service treats adults (18 and over)")).to_be_visible()
    born = timezone.localdate() - dt.timedelta(days=16 * 365 + 40)
    page.get_by_label("Given name").fill("Robin")
    page.get_by_label("Family name").fill("Hale")
    page.get_by_label("Date of birth").fill(born.isoformat())
    page.get_by_label("Sex assigned at birth").select_option("male")
    assert_fits_width(page)
    shot(page, "register-form-1024")
    page.set_viewport_size(PHONE)
    assert_fits_width(page)
    shot(page, "register-form-390")
    page.set_viewport_size(TABLET)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Robin Hale", level=1)).to_be_visible()
    warning = page.locator(".messages .msg-warning")
    expect(warning).to_contain_text("Robin Hale is 16: this service treats adults (18 and over)")
    expect(warning).to_contain_text("Spravato (esketamine) US prescribing information, §8.4 Pediatric Use")
    expect(page.locator(".messages")).to_contain_text("is registered with MRN")
    shot(page, "register-minor-warning-1024")
    patient = Patient.objects.get(given_name="Robin")

    # Weight in pounds, height in feet and inches, on the chart.
    page.get_by_role("link", name="Record weight").click()
    expect(page.get_by_role("heading", name="Record weight and height")).to_be_visible()
    page.get_by_label("or weight (lb)").fill("180")
    page.get_by_label("or height: feet").fill("5")
    page.get_by_label("and inches").fill("9")
    assert_fits_width(page)
    shot(page, "measurement-form-lb-ft-1024")
    page.set_viewport_size(PHONE)
    assert_fits_width(page)
    shot(page, "measurement-form-lb-ft-390")
    page.set_viewport_size(TABLET)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Record weight and height: saved.")
    figures = page.locator(".big-figures")
    expect(figures).to_contain_text("81.6 kg (179.9 lb)")
    expect(figures).to_contain_text("175.3 cm (5 ft 9 in)")
    row = BodyMeasurement.objects.get(patient=patient)
    assert (str(row.weight_kg), str(row.height_cm)) == ("81.6", "175.3")
    shot(page, "chart-both-units-1024")
    page.set_viewport_size(PHONE)
    assert_fits_width(page)
    shot(page, "chart-both-units-390")
    page.set_viewport_size(TABLET)

    # The same form sent again with its token (what a double click or a retried POST sends). Chrome's Back re-fetches
    # this no-store page with a fresh token and empty fields, so the resend is reproduced by putting the first
    # submission's token back into the re-filled form.
    page.go_back()
    expect(page.get_by_role("heading", name="Record weight and height")).to_be_visible()
    page.get_by_label("or weight (lb)").fill("180")
    page.get_by_label("or height: feet").fill("5")
    page.get_by_label("and inches").fill("9")
    page.evaluate("(token) => { document.querySelector('input[name=token]').value = token; }", _first_token())
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Already saved")
    expect(page.get_by_role("status")).to_contain_text("Nothing was changed or added.")
    assert BodyMeasurement.objects.filter(patient=patient).count() == 1
    shot(page, "resubmit-already-saved-1024")

    # The intake's vitals in pounds and feet.
    page.get_by_role("link", name="Intake & eligibility").first.click()
    page.get_by_role("button", name="Start a new intake").click()
    expect(page.get_by_role("heading", name=re.compile("Intake assessment"))).to_be_visible()
    page.locator("#vitals").get_by_role("link", name="Edit").click()
    page.get_by_label("Systolic (mmHg)").fill("128")
    page.get_by_label("Diastolic (mmHg)").fill("82")
    page.get_by_label("Weight (kg)").fill("")
    page.get_by_label("Height (cm)").fill("")
    page.get_by_label("or weight (lb)").fill("154")
    page.get_by_label("or height: feet").fill("5")
    page.get_by_label("and inches").fill("7")
    assert_fits_width(page)
    shot(page, "intake-vitals-lb-ft-1024")
    page.set_viewport_size(PHONE)
    assert_fits_width(page)
    shot(page, "intake-vitals-lb-ft-390")
    page.set_viewport_size(TABLET)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("intake-bp")).to_have_text("128/82")
    expect(page.locator(".big-figures").nth(1)).to_contain_text("69.9 kg (154.1 lb)")
    expect(page.locator(".big-figures").nth(1)).to_contain_text("170.2 cm (5 ft 7 in)")
    shot(page, "intake-workspace-both-units-1024")
    assert problems == []
    context.close()


def _first_token() -> str:
    from ketaclinic.accounts.models import FormSubmission

    return str(FormSubmission.objects.get(form="MeasurementForm").token)
