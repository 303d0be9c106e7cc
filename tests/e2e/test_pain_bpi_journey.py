"""The pain plan's BPI charts: severity and interference over time with the referral marked, on a tablet (1024×768)
and a phone (390×844). Screenshots: test-artifacts/screenshots/pain-bpi-*."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, assert_fits_width, give_authenticator, screenshot, sign_in, watch_errors
from tests.pain.test_bpi_trajectory import _bpi_series

pytestmark = pytest.mark.browser


def test_pain_plan_shows_the_bpi_charts(live_server: Any, browser: Any, bob: Any, pat: Any) -> None:
    _bpi_series(bob, pat)
    context = browser.new_context(viewport=TABLET, locale="en-US")
    page = context.new_page()
    problems = watch_errors(page)
    sign_in(page, live_server.url, bob, PASSWORD, give_authenticator(bob))
    page.goto(live_server.url + reverse("pain:plan", args=[pat.pk]))
    expect(page.get_by_role("heading", name="BPI pain severity (mean of 4 items)")).to_be_visible()
    expect(page.get_by_role("heading", name="BPI interference (mean of the answered items, ≥ 4 of 7)")).to_be_visible()
    expect(page.get_by_test_id("latest-bpi")).to_contain_text("not valid (fewer than 4 of 7 items)")
    charts = page.get_by_test_id("pain-trajectory")
    expect(charts).to_have_count(2)  # only BPI scores here: severity and interference
    for index in range(2):
        assert charts.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
    assert_fits_width(page)
    screenshot(page, "pain-bpi-tablet")
    page.set_viewport_size(PHONE)
    page.reload()
    assert_fits_width(page)
    screenshot(page, "pain-bpi-phone")
    assert problems == []
    context.close()
