"""Issue 15 item 4: a recorded ondansetron allergy is shown where drugs are given, and stops ondansetron as a rescue
medication at the chair and as the plan's premedication until a prescriber overrides it in writing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, assert_fits_width, give_authenticator, screenshot, sign_in
from tests.infusions.conftest import (
    check_in,
    complete_check_in,
    make_iv_order,
    make_ready_patient,
    make_stock,
    start_iv,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def long_idle(settings: Any) -> None:
    settings.KETACLINIC_IDLE_TIMEOUT_S = 6 * 3600


def test_an_ondansetron_allergy_is_shown_and_stops_ondansetron(
    live_server: Any, page: Any, browser: Any, alice: Any, bob: Any, pat: Any, main_st: Any, clinic: Any
) -> None:
    stock = make_stock(main_st, clinic, alice)
    order = make_iv_order(make_ready_patient(pat, bob), bob)
    session = start_iv(complete_check_in(check_in(order, alice), alice), alice, stock)
    base = live_server.url

    # The nurse: the chart says allergies are not recorded (a caution), then she records the allergy.
    sign_in(page, base, alice, PASSWORD, give_authenticator(alice))
    page.goto(base + reverse("patients:chart", args=[pat.pk]))
    banner = page.get_by_test_id("banner-allergies")
    expect(banner).to_contain_text("Allergies not recorded")
    screenshot(page, "allergy-1-chart-not-recorded")
    page.locator("#h-all").locator("xpath=..").get_by_role("link", name="Add").click()
    page.get_by_label("Substance").fill("Ondansetron")
    page.get_by_label("Reaction").fill("hives and throat tightness")
    page.get_by_label("Severity").select_option("severe")
    page.get_by_role("button", name="Save").click()
    expect(banner).to_contain_text("Ondansetron — hives and throat tightness, severe")
    screenshot(page, "allergy-2-chart-banner")

    # The chair: the banner shows the allergy; ondansetron as a rescue drug is stopped, and the nurse cannot override.
    chair = base + reverse("infusions:session", args=[session.pk])
    page.goto(chair)
    expect(page.get_by_test_id("banner-allergies")).to_contain_text("Ondansetron")
    screenshot(page, "allergy-3-chair-banner-1024")
    page.set_viewport_size(PHONE)
    page.goto(chair)
    expect(page.get_by_test_id("banner-allergies")).to_contain_text("severe")
    # The chair page as a whole is laid out for the tablet (its vitals grid scrolls sideways on a phone); the allergy
    # line must still fit the phone's width.
    box = page.get_by_test_id("banner-allergies").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    screenshot(page, "allergy-3-chair-banner-390")
    page.set_viewport_size(TABLET)
    page.goto(base + reverse("infusions:rescue_create", args=[session.pk]))
    page.get_by_label(re.compile(r"^Drug\b(?! name)")).select_option("ondansetron")
    page.get_by_label("Dose").fill("4 mg")
    page.get_by_label("Route").select_option("iv")
    page.get_by_label("Reason").fill("nausea")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("ALLERGY: do not give ondansetron.")).to_be_visible()
    screenshot(page, "allergy-4-rescue-hard-stop-1024")
    page.get_by_label("Allergy override: why give it anyway (prescriber only)").fill("nothing else in the cupboard")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Only a prescriber can override an allergy stop")).to_be_visible()
    page.set_viewport_size(PHONE)
    assert_fits_width(page)
    screenshot(page, "allergy-4-rescue-hard-stop-390")
    assert not session.rescue_medications.exists()

    # The prescriber: ondansetron as premedication stops the plan; the banner is on the plan page too.
    context = browser.new_context(viewport=TABLET, locale="en-US")
    prescriber = context.new_page()
    sign_in(prescriber, base, bob, PASSWORD, give_authenticator(bob))
    prescriber.goto(base + reverse("plans:plan_create", args=[pat.pk]))
    expect(prescriber.get_by_test_id("banner-allergies")).to_contain_text("Ondansetron")
    prescriber.get_by_label("Indication").select_option("treatment_resistant_depression")
    prescriber.get_by_label("Protocol").select_option("depression_iv")
    prescriber.get_by_label("Dose (mg/kg)").fill("0.5")
    prescriber.get_by_label("Infusion duration (min)").fill("40")
    prescriber.get_by_label("Ketamine strength").select_option("10")
    prescriber.get_by_label("Infusion bag volume (mL)").fill("100")
    prescriber.get_by_label("Premedication").fill("Ondansetron 4 mg IV 30 min before")
    prescriber.get_by_role("button", name="Check and preview").click()
    stop = prescriber.locator(".finding.allergy")
    expect(stop).to_contain_text("Allergy: hard stop")
    expect(stop).to_contain_text("The premedication (ondansetron) matches an allergy on the chart")
    screenshot(prescriber, "allergy-5-plan-premedication-stop-1024")
    prescriber.get_by_role("button", name="Save draft").click()
    expect(prescriber.get_by_role("heading", name="Checks")).to_be_visible()
    expect(prescriber.get_by_role("button", name="Sign plan version 1")).to_be_disabled()
    expect(prescriber.get_by_test_id("banner-allergies")).to_contain_text("Ondansetron")
    screenshot(prescriber, "allergy-6-plan-draft-blocked-1024")
    prescriber.set_viewport_size(PHONE)
    prescriber.reload()
    # The plan page's dose tables are wider than a phone (they scroll); the allergy line must fit.
    box = prescriber.get_by_test_id("banner-allergies").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    screenshot(prescriber, "allergy-6-plan-draft-blocked-390")
    context.close()


def test_no_known_drug_allergies_is_recorded_with_who_and_when(
    live_server: Any, page: Any, alice: Any, pat: Any
) -> None:
    sign_in(page, live_server.url, alice, PASSWORD, give_authenticator(alice))
    page.goto(live_server.url + reverse("patients:chart", args=[pat.pk]))
    expect(page.get_by_test_id("banner-allergies")).to_contain_text("Allergies not recorded")
    page.get_by_test_id("record-nkda").click()
    page.get_by_label("I asked the patient: they report no known drug allergies (NKDA).").check()
    page.get_by_role("button", name="Save").click()
    banner = page.get_by_test_id("banner-allergies")
    expect(banner).to_contain_text("No known drug allergies")
    expect(banner).to_contain_text("recorded by Alice Test")
    screenshot(page, "allergy-7-chart-nkda-1024")
    page.set_viewport_size(PHONE)
    page.reload()
    assert_fits_width(page)
    screenshot(page, "allergy-7-chart-nkda-390")
