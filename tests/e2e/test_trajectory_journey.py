"""A prescriber reviews a patient's trajectory on a tablet (768 px) and a phone (390 px), sees the stop signal after
infusion 4, and stops the IV series with a reason (issue 8 "Trajectories")."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, assert_fits_width, give_authenticator, screenshot, sign_in
from tests.followup.trajectory_factories import iv_series

pytestmark = pytest.mark.browser

TABLET_PORTRAIT = {"width": 768, "height": 1024}


def chart_loaded(page: Any) -> bool:
    """The chart image arrived and decoded (an SVG the browser refused would have no natural width)."""
    page.wait_for_function(
        "() => { const img = document.querySelector('[data-testid=trajectory-chart]'); return img && img.complete; }"
    )
    return bool(page.get_by_test_id("trajectory-chart").evaluate("img => img.naturalWidth > 0"))


def test_prescriber_reviews_the_trajectory_and_stops_the_series(
    page: Any, live_server: Any, pat: Any, bob: Any, alice: Any
) -> None:
    version = iv_series(pat, bob, alice, [19, 14, 15, 17])
    key = give_authenticator(bob)
    base = live_server.url
    page.set_viewport_size(TABLET_PORTRAIT)
    sign_in(page, base, bob, PASSWORD, key)

    page.goto(base + reverse("patients:chart", kwargs={"patient_id": pat.pk}))
    page.get_by_test_id("chart-outcomes").click()
    expect(page.get_by_role("heading", name="Outcomes", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stop-signal")).to_contain_text("Consider stopping the series.")
    expect(page.get_by_test_id("stop-signal")).to_contain_text("after infusion 4")
    expect(page.get_by_test_id("scores-table")).to_contain_text("−15 %")
    expect(page.get_by_test_id("sessions-table")).to_contain_text("40 mg")
    assert chart_loaded(page)
    assert_fits_width(page)
    screenshot(page, "trajectory-1-tablet-768")

    page.set_viewport_size(PHONE)
    page.reload()
    assert chart_loaded(page)
    assert_fits_width(page)
    screenshot(page, "trajectory-2-phone-390")

    page.set_viewport_size(TABLET_PORTRAIT)
    page.get_by_test_id("adjust-plan").click()
    expect(page.get_by_role("heading", name="Adjust the treatment plan")).to_be_visible()
    page.get_by_label("Stop treatment").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()  # the reason
    page.get_by_label("Stop treatment").check()
    page.get_by_label("Reason").fill("Less than 20 % improvement after infusion 4; discussed with the patient.")
    assert_fits_width(page)
    screenshot(page, "trajectory-3-adjust-768")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("Recorded: stop treatment.")).to_be_visible()
    expect(page.get_by_test_id("adjustments-table")).to_contain_text("Less than 20 % improvement")
    expect(page.get_by_test_id("stop-signal")).to_contain_text("The treatment plan is stopped.")
    # The page's chart is its own request: wait for it, so the live server is idle when the test's database goes.
    assert chart_loaded(page)
    screenshot(page, "trajectory-4-stopped-768")
    version.plan.refresh_from_db()
    assert version.plan.status == "stopped"
