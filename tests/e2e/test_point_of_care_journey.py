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
from tests.e2e.conftest import (
    assert_fits_width,
    give_authenticator,
    next_unused_totp_code,
    screenshot,
    sign_in,
    totp_code,
)
from tests.e2e.test_session_journey import check_in_through_the_page, record_vitals
from tests.infusions.conftest import make_iv_order, make_ready_patient, make_stock
from tests.ledger.conftest import licence

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}


@pytest.fixture
def iv(main_st: Any, clinic: Any, alice: Any, pat: Any, bob: Any) -> Any:
    make_stock(main_st, clinic, alice)
    licence(bob)  # bob witnesses the waste of what did not run in
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
    live_server: Any, page: Any, alice: Any, bob: Any, iv: Any, long_idle: None
) -> None:
    key, bob_key = give_authenticator(alice), give_authenticator(bob)
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

        # Item 6: ending short of the ordered dose asks why; the reason is on the record.
        clock.shift(dt.timedelta(minutes=5))
        page.reload()
        page.get_by_role("link", name="End infusion…").click()
        expect(page.get_by_test_id("short-of-order")).to_contain_text("of the ordered 40.0 mg has run in")
        page.get_by_label("Witness: username").fill("bob")
        page.get_by_label("Witness: password").fill(PASSWORD)
        page.get_by_label("Witness: one-time code").fill(totp_code(bob_key))
        page.get_by_role("button", name="End the infusion and post to the ledger").click()
        expect(
            page.get_by_text("say why the infusion ends before the ordered dose. Nothing was saved.")
        ).to_be_visible()
        both_sizes(page, "poc-4-early-end-needs-a-reason")
        page.get_by_label("Why does the infusion end before the ordered dose?").fill("Persistent nausea despite pause")
        page.get_by_label("Witness: password").fill(PASSWORD)
        # The refused attempt used the witness's code (the witness signs before the service runs): the next one.
        page.get_by_label("Witness: one-time code").fill(next_unused_totp_code(bob, bob_key))
        page.get_by_role("button", name="End the infusion and post to the ledger").click()
        expect(page.get_by_text("Infusion ended and posted to the ledger")).to_be_visible()
        expect(page.get_by_test_id("ended-early")).to_contain_text("Ended early (")
        expect(page.get_by_test_id("ended-early")).to_contain_text("Persistent nausea despite pause")

        # The minimum observation after the end of the infusion: the nurse cannot discharge at 10 min.
        clock.shift(dt.timedelta(minutes=10))
        record_vitals(page, systolic="128", diastolic="80", heart_rate="74", spo2="98", rr="14")
        for alert in page.get_by_role("button", name="Acknowledge").all():
            alert.click()
            expect(page.get_by_text("Alert acknowledged.")).to_be_visible()
        page.get_by_role("link", name="Discharge assessment").click()
        expect(page.get_by_test_id("observation-rule")).to_contain_text("CLINIC POLICY")
        expect(page.get_by_test_id("not-yet")).to_contain_text("Only 10 min of observation after the end of dosing")
        fill_discharge(page)
        page.get_by_label("Prescriber's reason for discharge before the minimum observation").fill("Feels fine")
        page.get_by_role("button", name="Discharge", exact=True).click()
        expect(page.get_by_text("Only a prescriber can discharge before the minimum observation")).to_be_visible()
        both_sizes(page, "poc-5-nurse-cannot-discharge-early")

        # The prescriber discharges early with a written reason, shown on the session record.
        page.get_by_role("button", name="Sign out").click()
        sign_in(page, base, bob, PASSWORD, bob_key)
        page.goto(base + reverse("infusions:board"))
        page.get_by_test_id("chair-chair-4").click()
        page.get_by_role("link", name="Discharge assessment").click()
        fill_discharge(page)
        page.get_by_label("Prescriber's reason for discharge before the minimum observation").fill(
            "Reviewed at the chair: back to baseline, escort must leave"
        )
        page.get_by_role("button", name="Discharge", exact=True).click()
        expect(page.get_by_text("Discharged. Review the session note")).to_be_visible()
        expect(page.get_by_test_id("early-discharge-record")).to_contain_text(
            "by Bob Test, MD: Reviewed at the chair: back to baseline, escort must leave"
        )
        expect(page.get_by_test_id("note-text")).to_contain_text("prescriber's reason: Reviewed at the chair")
        both_sizes(page, "poc-6-early-discharge-on-the-record")


def fill_discharge(page: Any) -> None:
    for item in range(1, 6):
        page.locator(f"input[name=item_{item}][value='2']").check(force=True)
    for name in ("sedation", "dissociation", "respiratory_depression"):
        page.locator(f"input[name={name}][value=no]").check(force=True)
    page.get_by_label("Discharge instructions given (listed above)").check()


def _zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/Chicago")  # the test clinic's zone (tests/conftest.py)
