"""The calendar's staff views (issue 17) in a browser: the front desk opens the week, goes to a day, opens the booking
form with the keyboard (it is fetched when opened), then the printable day list; the nurse opens "My day" from the
navigation. Tablet 1024×768 and phone 390×844; screenshots in test-artifacts/screens/."""

from __future__ import annotations

import datetime as dt
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


def both_sizes(page: Any, name: str) -> None:
    for width, height in ((1024, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        assert_fits_width(page)
        shot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1024, "height": 768})


def test_week_day_my_day_and_the_printed_list(
    live_server: Any, page: Any, carol: Any, alice: Any, bob: Any, dave: Any, pat: Any, main_st: Any
) -> None:
    from ketaclinic.domain.scheduling import week_start
    from ketaclinic.scheduling import services
    from tests.conftest import make_patient
    from tests.infusions.conftest import make_iv_order, make_ready_patient

    day = a_future_day()
    chairs = set_up_location(dave, main_st)
    roster(dave, main_st, day, alice, bob)
    order = make_iv_order(make_ready_patient(pat, bob), bob)
    services.book(
        by=carol, patient=pat, kind="infusion_iv", location=main_st, start=local(day, 9), chair=chairs["chair1"],
        order=order,
    )  # fmt: skip
    sam = make_patient(main_st, given_name="Sam", family_name="Okafor", email="sam@example.org")
    services.book(
        by=carol, patient=sam, kind="consultation", location=main_st, start=local(day, 13), chair=chairs["room"]
    )
    monday = week_start(day)
    closed = monday + dt.timedelta(days=6) if day.weekday() != 6 else monday
    services.add_closure(by=dave, location=main_st, first_day=closed, last_day=closed, reason="Deep clean")

    sign_in(page, live_server.url, carol, PASSWORD, give_authenticator(carol) if carol.needs_mfa else None)
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{live_server.url}{reverse('schedule:week')}?location={main_st.pk}&week={day:%Y-%m-%d}")
    expect(page.get_by_role("heading", name="Week · Main")).to_be_visible()
    week = page.get_by_test_id("week")
    expect(week).to_contain_text("Closed: Deep clean")
    expect(week).to_contain_text("Pat Rivera")
    expect(week).to_contain_text(f"session 1 of {order.plan_version.orders.count()}")
    expect(week).to_contain_text("Nurse: Alice")
    both_sizes(page, "calendar-week")

    # To the day from its column heading; the booking form opens from the keyboard and is fetched then.
    page.get_by_role("link", name=f"{day:%a} {day.day} {day:%b}").click()
    expect(page.get_by_role("heading", name="Schedule · Main")).to_be_visible()
    expect(page.locator("#id_patient")).to_have_count(0)
    page.locator("summary", has_text="Book an appointment").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#id_patient")).to_be_visible()
    expect(page.locator("#id_patient")).to_contain_text("Okafor")
    page.keyboard.press("Tab")
    expect(page.locator("#id_patient")).to_be_focused()
    shot(page, "calendar-day-book-open-1024")
    # The link at the top opens the same form.
    page.reload()
    page.get_by_role("link", name="Book an appointment").click()
    expect(page.locator("#id_patient")).to_be_visible()

    # The printed list: full names and dates of birth, no navigation on paper.
    page.get_by_role("link", name="Print", exact=True).click()
    expect(page.get_by_role("heading", name=f"Main · {day:%A} {day.day} {day:%B %Y}")).to_be_visible()
    listing = page.get_by_test_id("print-list")
    for text in ("09:00–10:25", "Chair 1", "Pat Rivera", "1980-04-30", "IV infusion", "Alice", "Sam Okafor"):
        expect(listing).to_contain_text(text)
    expect(page.get_by_role("button", name="Print this list")).to_be_visible()
    both_sizes(page, "calendar-print")
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.get_by_role("button", name="Print this list")).to_be_hidden()
    shot(page, "calendar-print-paper")
    page.emulate_media(media="screen")

    # The nurse's own day from the navigation: her shift and the appointments during it.
    page.context.clear_cookies()
    sign_in(page, live_server.url, alice, PASSWORD, give_authenticator(alice) if alice.needs_mfa else None)
    page.set_viewport_size({"width": 1024, "height": 768})
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My day").click()
    page.get_by_label("Date").fill(f"{day:%Y-%m-%d}")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("my-shifts")).to_contain_text("07:00–19:00")
    mine = page.get_by_test_id("my-appointments")
    for text in ("09:00–10:25", "Main", "Chair 1", "Pat Rivera", "IV infusion", "Booked", "Sam Okafor"):
        expect(mine).to_contain_text(text)
    expect(mine.get_by_role("link", name="Chart").first).to_be_visible()
    both_sizes(page, "calendar-my-day")
