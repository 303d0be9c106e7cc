"""The calendar's measures page (tablet 1024 px and phone 390 px) and a nurse making and revoking her calendar feed;
screenshots in test-artifacts/screens/."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_fits_width, give_authenticator, sign_in
from tests.e2e.test_schedule_journey import shot
from tests.scheduling.conftest import a_future_day, local, roster, set_up_location

pytestmark = pytest.mark.browser


def test_measures_page_and_the_calendar_feed(
    live_server: Any, page: Any, carol: Any, alice: Any, bob: Any, dave: Any, pat: Any, main_st: Any
) -> None:
    from ketaclinic.scheduling import services
    from tests.infusions.conftest import make_iv_order, make_ready_patient

    day = a_future_day()
    chairs = set_up_location(dave, main_st)
    roster(dave, main_st, day, alice, bob)
    order = make_iv_order(make_ready_patient(pat, bob), bob)
    services.book(
        by=carol,
        patient=pat,
        kind="infusion_iv",
        location=main_st,
        start=local(day, 9),
        chair=chairs["chair1"],
        order=order,
    )

    sign_in(page, live_server.url, carol, PASSWORD, give_authenticator(carol) if carol.needs_mfa else None)
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{live_server.url}{reverse('schedule:day')}?date={day:%Y-%m-%d}&location={main_st.pk}")
    page.get_by_role("link", name="Measures").click()
    expect(page.get_by_role("heading", name="Calendar measures")).to_be_visible()
    page.locator("#m-week").fill(f"{day:%Y-%m-%d}")
    page.locator("#m-weeks").fill("4")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#definition")).to_contain_text("scheduled utilisation (LeanTaaS")
    expect(page.get_by_role("row").filter(has_text="85 / 10080")).to_be_visible()
    assert_fits_width(page)
    shot(page, "schedule-measures-1024")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert_fits_width(page)
    shot(page, "schedule-measures-390")

    page.goto(f"{live_server.url}{reverse('schedule:feed')}")
    page.get_by_role("button", name="Make my feed").click()
    address = page.get_by_label("Address").input_value()
    assert address.endswith(".ics") and "/schedule/feed/" in address
    assert_fits_width(page)
    shot(page, "schedule-feed-390")
    page.get_by_role("button", name="Revoke my feed").click()
    expect(page.get_by_text("Your calendar feed is revoked")).to_be_visible()
    assert page.request.get(address).status == 404
