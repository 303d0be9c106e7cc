"""A nurse runs two sessions at the chair on a tablet (1024×768): an IV infusion with a hypertension alert and a
rescue medication, and an esketamine session held to 120 minutes (issue 7). The clock is moved with time-machine (the
live server runs in this process, so it sees the same clock); times the nurse does not type default to now."""

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
from tests.infusions.conftest import make_esk_order, make_iv_order, make_ready_patient, make_stock

pytestmark = pytest.mark.browser


@pytest.fixture
def stocked(main_st: Any, clinic: Any, alice: Any) -> dict[str, Any]:
    return make_stock(main_st, clinic, alice)


@pytest.fixture
def iv(pat: Any, bob: Any, stocked: Any) -> Any:
    return make_iv_order(make_ready_patient(pat, bob), bob)


@pytest.fixture
def esketamine(pat: Any, bob: Any, stocked: Any) -> Any:
    return make_esk_order(make_ready_patient(pat, bob), bob)


@pytest.fixture
def long_idle(settings: Any) -> None:
    """The journeys move the clock by up to 40 minutes between requests; the idle timeout is tested elsewhere."""
    settings.KETACLINIC_IDLE_TIMEOUT_S = 6 * 3600


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment, timezone=_zone()).strftime("%H:%M")


def _zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/Chicago")  # the test clinic's zone (tests/conftest.py)


def check_in_through_the_page(page: Any, base: str, chair: str, *, systolic: str = "128") -> None:
    """From today's list to a complete check-in: chair, fasting, escort, pre-dose vitals, PHQ-9."""
    page.goto(base + reverse("infusions:today"))
    expect(page.get_by_role("heading", name="Ready to check in")).to_be_visible()
    page.get_by_placeholder("Chair").first.fill(chair)
    page.get_by_role("button", name="Check in").first.click()
    expect(page.get_by_text("Checked in. Work through the checklist.")).to_be_visible()
    expect(page.get_by_test_id("blocked")).to_contain_text("Cannot start yet")
    screenshot(page, f"session-{chair.replace(' ', '')}-1-check-in-blocked")
    three_hours_ago = local(timezone.now() - dt.timedelta(hours=3))
    page.get_by_label("Last food at").fill(three_hours_ago)
    page.get_by_label("Last liquids at").fill(three_hours_ago)
    page.get_by_label("Responsible adult (ride home)").fill("Sam Rivera")
    page.get_by_label("Ride home confirmed with them").check()
    page.get_by_role("button", name="Save check-in").click()
    expect(page.get_by_test_id("check-fasting")).to_contain_text("Met.")
    record_vitals(page, systolic=systolic, diastolic="80", heart_rate="74", spo2="98", rr="14", moaas="5")
    page.get_by_role("link", name="PHQ-9", exact=True).click()
    for item in range(1, 10):
        page.locator(f"input[name=item_{item}][value='{1 if item < 9 else 0}']").check(force=True)
    page.get_by_role("button", name="Score and save").click()
    expect(page.get_by_text("PHQ-9 scored.")).to_be_visible()


def record_vitals(
    page: Any, *, systolic: str, diastolic: str, heart_rate: str, spo2: str, rr: str, moaas: str = "5"
) -> None:
    page.get_by_label("Systolic").fill(systolic)
    page.get_by_label("Diastolic").fill(diastolic)
    page.get_by_label("Heart rate").fill(heart_rate)
    page.get_by_label("SpO2 %").fill(spo2)
    page.get_by_label("Resp. rate").fill(rr)
    page.get_by_label("MOAA/S").select_option(moaas)
    page.get_by_role("button", name="Save vitals").click()
    expect(page.get_by_text("Vitals saved.")).to_be_visible()


def test_iv_session_with_a_hypertension_alert_and_a_rescue_medication(
    live_server: Any, page: Any, alice: Any, iv: Any, long_idle: None
) -> None:
    key = give_authenticator(alice)
    base = live_server.url
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=True) as clock:
        sign_in(page, base, alice, PASSWORD, key)
        check_in_through_the_page(page, base, "Chair 2")
        for code in ("plan", "consent", "fasting", "escort", "predose_vitals", "predose_alerts", "measure_phq9"):
            expect(page.get_by_test_id(f"check-{code}")).to_have_class(re.compile(r"\bok\b"))
        screenshot(page, "session-iv-2-check-in-complete")
        page.get_by_role("link", name="Ready: start the infusion").click()
        expect(page.get_by_text("150.0 mL/h").first).to_be_visible()
        page.get_by_role("checkbox", name=re.compile(r"M-\d+ · Ketamine HCl")).first.check()
        expect(page.get_by_label("Volume drawn per container (mL)")).to_have_value("4.00")
        screenshot(page, "session-iv-3-start")
        page.get_by_role("button", name="Start now").click()
        expect(page.get_by_text("Started. The timer runs from now.")).to_be_visible()
        expect(page.get_by_test_id("rate-now")).to_have_text("60.0 mg/h")
        expect(page.get_by_test_id("next-vitals")).to_contain_text("in 9:")
        assert_fits_width(page)
        screenshot(page, "session-iv-4-infusing")

        clock.shift(dt.timedelta(minutes=11))
        page.reload()
        expect(page.get_by_test_id("next-vitals")).to_contain_text("overdue")
        screenshot(page, "session-iv-5-vitals-overdue")
        record_vitals(page, systolic="138", diastolic="84", heart_rate="80", spo2="97", rr="14")

        clock.shift(dt.timedelta(minutes=9))
        record_vitals(page, systolic="184", diastolic="104", heart_rate="92", spo2="97", rr="16")
        expect(page.get_by_test_id("alert-systolic_high")).to_contain_text("Stop and evaluate")
        expect(page.get_by_test_id("alert-systolic_high")).to_contain_text("Systolic BP 184 mmHg")
        # one reading, one alert listing both findings (issue 15)
        expect(page.get_by_test_id("alert-systolic_high")).to_contain_text("Systolic BP has risen")
        assert_fits_width(page)
        screenshot(page, "session-iv-6-hypertension-alert")
        page.goto(base + reverse("infusions:board"))
        expect(page.get_by_test_id("chair-chair-2")).to_contain_text("1 open alert: Systolic BP 184 mmHg")
        expect(page.get_by_test_id("chair-chair-2")).to_have_class(re.compile(r"\bhas-stop\b"))
        screenshot(page, "floor-board-stop-alert")
        page.get_by_test_id("chair-chair-2").click()

        page.get_by_label("Reason").fill("SBP 184/104: stop and evaluate")
        page.get_by_role("button", name="Pause").click()
        expect(page.get_by_test_id("rate-now")).to_have_text("PAUSED")
        page.get_by_role("link", name="Rescue medication").click()
        expect(page.get_by_text("ketaclinic does not suggest doses")).to_be_visible()
        page.get_by_label(re.compile(r"^Drug\b(?! name)")).select_option("labetalol")
        page.get_by_label("Dose").fill("10 mg")
        page.get_by_label("Route").select_option("iv")
        page.get_by_label("Reason").fill("Hypertension 184/104, prescriber order")
        screenshot(page, "session-iv-7-rescue-form")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("labetalol 10 mg IV")).to_be_visible()
        page.get_by_role("link", name="Side effect / adverse event").click()
        page.get_by_label("Effect").select_option("hypertension")
        page.locator("input[name=severity][value=moderate]").check(force=True)
        page.get_by_label("Action taken").fill("Infusion paused, prescriber at the chair, labetalol given")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Side effect recorded.")).to_be_visible()
        alert = page.get_by_test_id("alert-systolic_high")
        alert.get_by_placeholder("What was done (required)").fill("Paused; prescriber evaluated; labetalol")
        alert.get_by_role("button", name="Acknowledge").click()
        expect(page.get_by_text("Alert acknowledged.")).to_be_visible()
        expect(page.get_by_test_id("alert-systolic_high")).to_have_count(0)

        clock.shift(dt.timedelta(minutes=5))
        record_vitals(page, systolic="150", diastolic="90", heart_rate="84", spo2="98", rr="14")
        page.get_by_label("Reason").fill("BP 150/90 after labetalol")
        page.get_by_role("button", name="Resume").click()
        expect(page.get_by_test_id("rate-now")).to_have_text("60.0 mg/h")
        expect(page.get_by_test_id("dose-delivered")).to_contain_text("20.")

        page.goto(base + reverse("infusions:board"))
        expect(page.get_by_test_id("chair-chair-2")).to_contain_text("Rivera, Pat")
        screenshot(page, "floor-board")
        page.get_by_test_id("chair-chair-2").click()

        clock.shift(dt.timedelta(minutes=20))
        page.reload()
        page.get_by_role("link", name="End infusion…").click()
        page.get_by_role("button", name="End the infusion and post to the ledger").click()
        expect(page.get_by_text("Infusion ended and posted to the ledger")).to_be_visible()
        expect(page.get_by_test_id("dose-delivered")).to_contain_text("40.0 mg")

        clock.shift(dt.timedelta(minutes=30))  # the protocol's minimum observation after the end (clinic policy)
        record_vitals(page, systolic="132", diastolic="80", heart_rate="76", spo2="98", rr="14")
        page.get_by_role("button", name="Resolved now").click()
        expect(page.get_by_text("Side effect updated.")).to_be_visible()
        page.get_by_role("link", name="Discharge assessment").click()
        for item in range(1, 6):
            page.locator(f"input[name=item_{item}][value='2']").check(force=True)
        for name in ("sedation", "dissociation", "respiratory_depression"):
            page.locator(f"input[name={name}][value=no]").check(force=True)
        page.get_by_label("Discharge instructions given (listed above)").check()
        screenshot(page, "session-iv-8-discharge")
        page.get_by_role("button", name="Discharge", exact=True).click()
        expect(page.get_by_text("Discharged. Review the session note")).to_be_visible()
        note = page.get_by_test_id("note-text")
        expect(note).to_contain_text("labetalol 10 mg IV")
        expect(note).to_contain_text("184/104")
        expect(note).to_contain_text("Hypertension, moderate; action: Infusion paused")
        page.get_by_role("button", name="Sign and lock the note").click()
        expect(page.get_by_text("Signed. The session record is locked.")).to_be_visible()
        screenshot(page, "session-iv-9-signed")
        page.get_by_role("link", name="Print", exact=True).click()
        expect(page.get_by_test_id("note-text")).to_contain_text("Signed by Alice Test")
        screenshot(page, "session-iv-10-printable-note")


def test_esketamine_session_is_held_to_120_minutes(
    live_server: Any, page: Any, alice: Any, esketamine: Any, long_idle: None
) -> None:
    key = give_authenticator(alice)
    base = live_server.url
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=True) as clock:
        sign_in(page, base, alice, PASSWORD, key)
        check_in_through_the_page(page, base, "Chair 5")
        expect(page.get_by_test_id("checklist")).to_contain_text("Spravato label")
        page.get_by_role("link", name="Ready: start dosing").click()
        expect(page.get_by_text("2 × 28 mg")).to_be_visible()
        devices = page.get_by_role("checkbox", name=re.compile(r"M-\d+ · Esketamine"))
        devices.nth(0).check()
        devices.nth(1).check()
        page.get_by_role("button", name="Start now").click()
        expect(page.get_by_text("Started. The timer runs from now.")).to_be_visible()
        expect(page.get_by_test_id("dose-delivered")).to_contain_text("56.0 mg")
        expect(page.get_by_test_id("earliest-discharge")).to_contain_text(
            local(timezone.now() + dt.timedelta(minutes=120))
        )
        screenshot(page, "session-esk-1-dosed")

        clock.shift(dt.timedelta(minutes=40))
        page.reload()
        record_vitals(page, systolic="146", diastolic="90", heart_rate="80", spo2="97", rr="14")
        page.get_by_role("link", name="Score CADSS").click()
        for item in range(1, 24):
            page.locator(f"input[name=item_{item}][value='{1 if item < 5 else 0}']").check(force=True)
        page.get_by_role("button", name="Score and save").click()
        expect(page.get_by_text("CADSS scored.")).to_be_visible()

        clock.shift(dt.timedelta(minutes=50))
        record_vitals(page, systolic="134", diastolic="84", heart_rate="76", spo2="98", rr="14")
        page.get_by_role("link", name="Discharge assessment").click()
        expect(page.get_by_test_id("not-yet")).to_contain_text("Only 90 min since esketamine dosing")
        for item in range(1, 6):
            page.locator(f"input[name=item_{item}][value='2']").check(force=True)
        for name in ("sedation", "dissociation", "respiratory_depression"):
            page.locator(f"input[name={name}][value=no]").check(force=True)
        page.get_by_label("Discharge instructions given (listed above)").check()
        page.get_by_role("button", name="Discharge", exact=True).click()
        expect(page.get_by_role("alert")).to_contain_text("observe at least 120 min")
        screenshot(page, "session-esk-2-held-at-90-min")

        clock.shift(dt.timedelta(minutes=31))
        page.goto(base + reverse("infusions:session", args=[_session_id(page)]))
        record_vitals(page, systolic="128", diastolic="80", heart_rate="72", spo2="98", rr="14")
        page.get_by_role("link", name="Discharge assessment").click()
        expect(page.get_by_test_id("not-yet")).to_have_count(0)
        for item in range(1, 6):
            page.locator(f"input[name=item_{item}][value='2']").check(force=True)
        for name in ("sedation", "dissociation", "respiratory_depression"):
            page.locator(f"input[name={name}][value=no]").check(force=True)
        expect(page.get_by_text("until the next day, after a restful sleep")).to_be_visible()
        page.get_by_label("Discharge instructions given (listed above)").check()
        page.get_by_role("button", name="Discharge", exact=True).click()
        expect(page.get_by_text("Discharged. Review the session note")).to_be_visible()
        expect(page.get_by_test_id("note-text")).to_contain_text("after 121 min of monitoring")

        page.get_by_role("link", name="Open the form").click()
        expect(page.get_by_text("146/90 mmHg (t+40 min)")).to_be_visible()
        expect(page.get_by_text("ESK7")).to_be_visible()
        page.get_by_label("REMS confirmation reference").fill("RMS-2026-0042")
        screenshot(page, "session-esk-3-rems-form")
        page.get_by_role("button", name="Record as submitted").click()
        expect(page.get_by_text("REMS form recorded as submitted.")).to_be_visible()
        expect(page.get_by_text("confirmation RMS-2026-0042")).to_be_visible()
        screenshot(page, "session-esk-4-rems-submitted")


def _session_id(page: Any) -> int:
    match = re.search(r"/sessions/(\d+)/", page.url)
    assert match, page.url
    return int(match.group(1))
