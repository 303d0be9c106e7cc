"""The calendar follows the treatment (issue 17): the prescriber amends a signed IV plan whose first two sessions are
booked, lists a medicine to hold on the draft and signs; the plan page says the appointments moved to the new
version, and the day view shows them booked with the session numbers kept. Then a consultation is marked completed on
the day view, and the clinic admin sets the reminder offsets. Tablet 1024×768 and phone 390×844; screenshots in
test-artifacts/screens/."""

from __future__ import annotations

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


def both_sizes(page: Any, name: str) -> None:
    page.set_viewport_size({"width": 1024, "height": 768})
    assert_fits_width(page)
    shot(page, f"{name}-1024")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_fits_width(page)
    shot(page, f"{name}-390")
    page.set_viewport_size({"width": 1024, "height": 768})


@pytest.fixture
def long_idle(settings: Any) -> None:
    settings.KETACLINIC_IDLE_TIMEOUT_S = 6 * 3600


def test_an_amendment_moves_the_booked_sessions_and_says_so(
    live_server: Any, page: Any, carol: Any, alice: Any, bob: Any, dave: Any, pat: Any, main_st: Any
) -> None:
    from ketaclinic.plans import services as plans
    from ketaclinic.scheduling import services
    from tests.infusions.conftest import clinic_zone, make_iv_order, make_ready_patient
    from tests.plans.conftest import iv_input

    day, later = a_future_day(), a_future_day(10)
    chairs = set_up_location(dave, main_st)
    roster(dave, main_st, day, alice, bob)
    roster(dave, main_st, later, alice, bob)
    first = make_iv_order(make_ready_patient(pat, bob), bob)
    version = first.plan_version
    for order, when, chair in (
        (first, local(day, 9), "chair1"),
        (version.orders.get(session_number=2), local(later, 9), "chair2"),
    ):
        services.book(
            by=carol, patient=pat, kind="infusion_iv", location=main_st, start=when, chair=chairs[chair], order=order
        )
    # Pat's consultation at 10:30 on the first day: session 1 cannot grow to 105 minutes.
    services.book(
        by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 10, 30), chair=chairs["room"]
    )
    with clinic_zone(pat):
        draft = plans.amend(by=bob, signed=version, data=iv_input(infusion_duration_min=60), reason="slower infusion")

    sign_in(page, live_server.url, bob, PASSWORD, give_authenticator(bob) if bob.needs_mfa else None)
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{live_server.url}{reverse('plans:version', args=[draft.pk])}")
    page.locator("#id_medicine").fill("clonazepam")
    page.locator("#id_instruction").fill("skip the evening dose before your visit")
    page.get_by_role("button", name="Add to the hold list").click()
    expect(page.get_by_test_id("medicine-holds")).to_contain_text("clonazepam: skip the evening dose before your visit")
    expect(page.get_by_role("button", name="Remove clonazepam")).to_be_visible()
    both_sizes(page, "plan-holds-draft")
    page.get_by_role("button", name="Sign plan version 2").click()
    notice = page.get_by_test_id("calendar-changes")
    expect(notice).to_contain_text("1 appointment moved to version 2; 1 cancelled: session 1 on")
    expect(notice).to_contain_text("The patient already has an appointment at that time.")
    expect(page.get_by_text("Locked with the signed version")).to_be_visible()
    both_sizes(page, "plan-amendment-calendar")

    page.goto(f"{live_server.url}{reverse('schedule:day')}?date={later:%Y-%m-%d}&location={main_st.pk}")
    expect(page.locator(".schedule-grid")).to_contain_text("IV infusion · session 2")
    expect(page.locator(".schedule-grid")).to_contain_text("09:00–10:45")
    page.goto(f"{live_server.url}{reverse('schedule:day')}?date={day:%Y-%m-%d}&location={main_st.pk}")
    expect(page.get_by_text("Not moved to plan version 2: The patient already has an appointment")).to_be_visible()
    both_sizes(page, "day-amendment-cancelled")

    # At the chair, the nurse sees the medicines the patient was to hold (a walk-in from the open session 1 order).
    from ketaclinic.infusions import services as infusions

    session = infusions.create_session(by=alice, order=draft.orders.get(session_number=1), chair="Chair 3")
    page.context.clear_cookies()
    sign_in(page, live_server.url, alice, PASSWORD, give_authenticator(alice) if alice.needs_mfa else None)
    page.goto(f"{live_server.url}{reverse('infusions:session', args=[session.pk])}")
    expect(page.get_by_test_id("checkin-holds")).to_contain_text("clonazepam: skip the evening dose before your visit")
    both_sizes(page, "checkin-holds")


def test_a_consultation_is_completed_on_the_day_view_and_the_admin_sets_reminders(
    live_server: Any, page: Any, carol: Any, alice: Any, bob: Any, dave: Any, pat: Any, main_st: Any, long_idle: None
) -> None:
    from ketaclinic.scheduling import services

    day = a_future_day()
    chairs = set_up_location(dave, main_st)
    roster(dave, main_st, day, alice, bob)
    services.book(
        by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 9), chair=chairs["room"]
    )
    with time_machine.travel(local(day, 9, 20), tick=True):
        sign_in(page, live_server.url, carol, PASSWORD, give_authenticator(carol) if carol.needs_mfa else None)
        page.set_viewport_size({"width": 1024, "height": 768})
        page.goto(f"{live_server.url}{reverse('schedule:day')}?date={day:%Y-%m-%d}&location={main_st.pk}")
        shot(page, "day-mark-completed-1024")
        page.get_by_role("button", name="Mark completed").click()
        expect(page.get_by_text("Marked the Consultation of Pat Rivera completed.")).to_be_visible()
        expect(page.locator(".schedule-grid")).to_contain_text("Completed")
        expect(page.get_by_role("button", name="Mark completed")).to_have_count(0)
        both_sizes(page, "day-completed")

        page.context.clear_cookies()
        sign_in(page, live_server.url, dave, PASSWORD, give_authenticator(dave) if dave.needs_mfa else None)
        page.goto(f"{live_server.url}{reverse('schedule:setup')}?location={main_st.pk}")
        early = page.get_by_label("First reminder (hours before)")
        expect(early).to_have_value("48")
        expect(page.get_by_text("CLINIC POLICY, default 48 h", exact=False)).to_be_visible()
        early.fill("12")
        page.get_by_role("button", name="Save policy").click()
        expect(page.get_by_text("The first reminder goes out earlier than the day-before reminder")).to_be_visible()
        both_sizes(page, "setup-reminders-error")
        page.get_by_label("First reminder (hours before)").fill("72")
        page.get_by_role("button", name="Save policy").click()
        expect(page.get_by_text("Scheduling settings saved.")).to_be_visible()
        expect(page.get_by_label("First reminder (hours before)")).to_have_value("72")
