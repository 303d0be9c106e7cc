"""The front desk books an IV session on the day view; on the day the nurse opens the floor board, sees the
appointment (time, patient, kind, chair, status) and checks in from it: the session opens in the appointment's chair,
nobody types one (issue 17). Tablet 1024×768 and phone 390×844; screenshots in test-artifacts/screens/. The clock is
moved to the appointment's day with time-machine (the live server runs in this process and sees the same clock)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import time_machine
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


@pytest.fixture
def long_idle(settings: Any) -> None:
    settings.KETACLINIC_IDLE_TIMEOUT_S = 6 * 3600


def test_booking_then_check_in_from_the_appointment_on_the_floor_board(
    live_server: Any,
    page: Any,
    carol: Any,
    alice: Any,
    bob: Any,
    dave: Any,
    pat: Any,
    main_st: Any,
    long_idle: None,
) -> None:
    from tests.infusions.conftest import make_iv_order, make_ready_patient

    day = a_future_day()
    chairs = set_up_location(dave, main_st)
    roster(dave, main_st, day, alice, bob)
    order = make_iv_order(make_ready_patient(pat, bob), bob)

    with time_machine.travel(local(day, 8), tick=True):
        sign_in(page, live_server.url, carol, PASSWORD, give_authenticator(carol) if carol.needs_mfa else None)
        page.set_viewport_size({"width": 1024, "height": 768})
        page.goto(f"{live_server.url}{reverse('schedule:day')}?date={day:%Y-%m-%d}&location={main_st.pk}")
        page.locator("summary", has_text="Book an appointment").click()  # the form is fetched when opened
        page.locator("#id_patient").select_option(str(pat.pk))
        page.locator("#id_kind").select_option("infusion_iv")
        page.locator("#id_start").fill(f"{day:%Y-%m-%d}T10:00")
        page.locator("#id_chair").select_option(str(chairs["chair2"].pk))
        page.locator("#id_order").select_option(str(order.pk))
        page.get_by_role("button", name="Book").click()
        expect(page.get_by_text("Booked IV infusion for Pat Rivera")).to_be_visible()

        page.context.clear_cookies()
        sign_in(page, live_server.url, alice, PASSWORD, give_authenticator(alice) if alice.needs_mfa else None)
        page.goto(f"{live_server.url}{reverse('infusions:board')}?location={main_st.pk}")
        row = page.get_by_test_id("appointments").locator("tbody tr").first
        for text in ("10:00", "Rivera, Pat", "IV infusion", "Chair 2", "Booked"):
            expect(row).to_contain_text(text)
        assert_fits_width(page)
        shot(page, "appointment-board-1024")
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        expect(page.get_by_test_id("appointments")).to_contain_text("Chair 2")
        assert_fits_width(page)
        shot(page, "appointment-board-390")

        page.set_viewport_size({"width": 1024, "height": 768})
        page.get_by_role("button", name="Check in Pat Rivera to Chair 2").click()
        expect(page.get_by_text("Checked in to Chair 2. Work through the checklist.")).to_be_visible()
        expect(page).to_have_title(re.compile(r"^Chair 2 · Pat Rivera"))
        chair = page.get_by_role("textbox", name="Chair", exact=True)
        expect(chair).to_have_value("Chair 2")
        expect(chair).to_be_disabled()  # the appointment's chair, not retyped
        page.get_by_label("Responsible adult (ride home)").fill("Sam Rivera")
        page.get_by_role("button", name="Save check-in").click()
        page.reload()
        expect(page.get_by_label("Responsible adult (ride home)")).to_have_value("Sam Rivera")
        expect(page.get_by_role("textbox", name="Chair", exact=True)).to_have_value("Chair 2")
        assert_fits_width(page)
        shot(page, "appointment-session-1024")
        page.set_viewport_size({"width": 390, "height": 844})
        assert_fits_width(page)
        shot(page, "appointment-session-390")

        page.set_viewport_size({"width": 1024, "height": 768})
        page.goto(f"{live_server.url}{reverse('infusions:board')}?location={main_st.pk}")
        expect(page.get_by_test_id("chair-chair-2")).to_contain_text("Rivera, Pat")
        expect(page.get_by_test_id("appointments").locator("tbody tr").first).to_contain_text("Checked in")
        expect(page.get_by_role("link", name="Open session")).to_be_visible()
        shot(page, "appointment-board-checked-in-1024")
        page.goto(f"{live_server.url}{reverse('infusions:today')}")
        expect(page.get_by_test_id("appointments")).to_contain_text("Checked in")
        assert_fits_width(page)
        shot(page, "appointment-today-1024")
        page.set_viewport_size({"width": 390, "height": 844})
        assert_fits_width(page)
        shot(page, "appointment-today-390")
