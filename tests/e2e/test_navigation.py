"""The staff navigation on a phone folds behind a Menu button; on a tablet every link shows (issue 15 'should' list:
on a phone the eleven links filled the first screen)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, assert_fits_width, give_authenticator, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_the_menu_folds_on_a_phone_and_not_on_a_tablet(page: Any, live_server: Any, bob: Any) -> None:
    key = give_authenticator(bob)
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, bob, PASSWORD, key)
    menu = page.get_by_role("button", name="Menu")
    patients = page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(patients).to_be_hidden()
    assert page.get_by_role("heading", level=1).bounding_box()["y"] < PHONE["height"] / 2  # the page starts on screen
    screenshot(page, "navigation-1-phone-folded")

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(patients).to_be_visible()
    assert_fits_width(page)
    screenshot(page, "navigation-2-phone-open")
    patients.click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()

    page.set_viewport_size(TABLET)
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Protocols")).to_be_visible()
    screenshot(page, "navigation-3-tablet")
