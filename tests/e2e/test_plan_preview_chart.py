"""The live PK preview chart stays legible on the tablet and on a phone (issue 16 item 15: the charts are SVG written
directly, with a stacked layout the page picks below 40 rem)."""

from __future__ import annotations

import shutil
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from ketaclinic.patients import services as patients
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, REPO_ROOT, TABLET, assert_fits_width, give_authenticator, screenshot, sign_in
from tests.plans.conftest import sign_eligibility

pytestmark = pytest.mark.browser
CHART = "Predicted plasma concentration over time for this patient, with the population 5 to 95 percent band"
SCREENS = REPO_ROOT / "test-artifacts" / "screens"


def _keep(page: Any, name: str, locator: Any | None = None) -> None:
    """Full page through the suite's helper; the preview section alone too; copies in test-artifacts/screens/."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    shutil.copy(screenshot(page, name), SCREENS / f"{name}.png")
    if locator is not None:
        locator.screenshot(path=str(SCREENS / f"{name}-chart.png"))


def test_the_live_preview_chart_at_tablet_and_phone_width(live_server: Any, page: Any, bob: Any, pat: Any) -> None:
    sign_eligibility(pat, bob, ["iv"])
    patients.record_measurement(by=bob, patient=pat, weight_kg=Decimal("70"), height_cm=Decimal("168"))
    sign_in(page, live_server.url, bob, PASSWORD, give_authenticator(bob))
    page.goto(live_server.url + reverse("plans:plan_create", args=[pat.pk]))
    page.get_by_label("Indication").select_option("treatment_resistant_depression")
    page.get_by_label("Protocol").select_option("depression_iv")
    page.get_by_label("Dose (mg/kg)").fill("0.5")
    page.get_by_label("Infusion duration (min)").fill("40")
    page.get_by_label("Ketamine strength").select_option("10")
    page.get_by_label("Infusion bag volume (mL)").fill("100")
    page.get_by_label("Dose (mg/kg)").press("Tab")  # a committed change: the live panel asks for the preview
    chart = page.get_by_role("img", name=CHART)
    expect(chart).to_be_visible()
    expect(page.get_by_test_id("pk-cmax")).to_be_visible()
    section = page.locator("section.pk-preview")

    page.set_viewport_size(TABLET)
    expect(chart).to_be_visible()
    wide = chart.evaluate("img => [img.currentSrc === img.src, img.getBoundingClientRect().width, img.naturalWidth]")
    assert wide[0] and wide[1] > 700  # the side-by-side layout, drawn near its natural size
    _keep(page, "plan-preview-1024x768", section)

    page.set_viewport_size(PHONE)
    page.wait_for_function(
        "() => { const img = document.querySelector('section.pk-preview img.chart');"
        " return img && img.complete && img.currentSrc !== img.src; }"
    )
    narrow = chart.evaluate("img => [img.getBoundingClientRect().width, img.naturalWidth]")
    assert narrow[1] < 500 and narrow[0] > 0.6 * narrow[1]  # the stacked layout, scaled by less than 0.6 x
    assert_fits_width(page)
    _keep(page, "plan-preview-390x844", section)
    page.set_viewport_size(TABLET)
