"""The front desk books an IV session from the signed plan on the day view (tablet 1024 px and phone 390 px), a
refused booking names its rule, and the clinic admin's set-up page; screenshots in test-artifacts/screens/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import REPO_ROOT, assert_fits_width, give_authenticator, sign_in
from tests.scheduling.conftest import a_future_day, local, roster, set_up_location

pytestmark = pytest.mark.browser
SCREENS = REPO_ROOT / "test-artifacts" / "screens"


def shot(page: Any, name: str) -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_front_desk_books_an_iv_session_and_admin_sets_up(
    live_server: Any, page: Any, carol: Any, alice: Any, bob: Any, dave: Any, pat: Any, main_st: Any
) -> None:
    from tests.infusions.conftest import make_iv_order, make_ready_patient

    day = a_future_day()
    chairs = set_up_location(dave, main_st)
    roster(dave, main_st, day, alice, bob)
    order = make_iv_order(make_ready_patient(pat, bob), bob)

    sign_in(page, live_server.url, carol, PASSWORD, give_authenticator(carol) if carol.needs_mfa else None)
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{live_server.url}{reverse('schedule:day')}?date={day:%Y-%m-%d}&location={main_st.pk}")
    expect(page.get_by_role("heading", name="Schedule · Main")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Chair 1")).to_be_visible()

    # Outside opening hours: refused, the rule named, nothing booked.
    page.locator("summary", has_text="Book an appointment").click()  # the form is fetched when opened
    page.locator("#id_patient").select_option(str(pat.pk))
    page.locator("#id_kind").select_option("infusion_iv")
    page.locator("#id_start").fill(f"{day:%Y-%m-%d}T18:30")
    page.locator("#id_chair").select_option(str(chairs["chair1"].pk))
    page.locator("#id_order").select_option(str(order.pk))
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text(re.compile("outside the location's opening hours"))).to_be_visible()
    shot(page, "schedule-refused-1024")

    page.locator("#id_start").fill(f"{day:%Y-%m-%d}T09:00")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("Booked IV infusion for Pat Rivera")).to_be_visible()
    cell = page.locator("td.appt").first
    expect(cell).to_contain_text("Pat Rivera")
    expect(cell).to_contain_text("09:00–10:25")
    assert_fits_width(page)
    shot(page, "schedule-day-1024")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("td.appt").first).to_contain_text("session 1")
    assert_fits_width(page)
    shot(page, "schedule-day-390")

    # The rest of the series in one step from the signed plan (alice rostered on every day of it).
    import datetime as dt

    from ketaclinic.scheduling import services

    for offset in range(1, 21):
        date = day + dt.timedelta(days=offset)
        services.add_shift(by=dave, user=alice, location=main_st, starts_at=local(date, 7), ends_at=local(date, 19))
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{live_server.url}{reverse('schedule:day')}?date={day:%Y-%m-%d}&location={main_st.pk}")
    page.get_by_role("link", name="Book the series").click()
    expect(page.get_by_role("heading", name="Book the series · Pat Rivera")).to_be_visible()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(order.plan_version.orders.count() - 1)
    assert_fits_width(page)
    shot(page, "schedule-series-1024")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_fits_width(page)
    shot(page, "schedule-series-390")
    page.get_by_role("button", name=re.compile("^Book all")).click()
    expect(page.get_by_text(re.compile(r"Booked \d+ sessions for Pat Rivera"))).to_be_visible()

    page.context.clear_cookies()
    sign_in(page, live_server.url, dave, PASSWORD, give_authenticator(dave))
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{live_server.url}{reverse('schedule:setup')}?location={main_st.pk}")
    expect(page.get_by_role("heading", name="Calendar set-up · Main")).to_be_visible()
    page.get_by_label("Label").fill("Chair 3")
    page.get_by_label("Pulse oximeter").check()
    page.get_by_label("Recliner").check()
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("Added Chair 3.")).to_be_visible()
    assert_fits_width(page)
    shot(page, "schedule-setup-1024")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert_fits_width(page)
    shot(page, "schedule-setup-390")
