"""The waiting list offered a freed chair (issue 17): the front desk cancels an IV session on the day view (tablet),
the freed chair shows who on the waiting list fits, the front desk offers it to both, one patient accepts on a phone,
the other is told it has been taken, and the day view shows the new booking. Screenshots 1024×768 and 390×844 in
test-artifacts/screens/waiting-*.png."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, REPO_ROOT, TABLET, assert_fits_width, give_authenticator, sign_in, watch_errors
from tests.scheduling.conftest import a_future_day, local, roster, set_up_location
from tests.scheduling.waiting_scene import join, waiter

pytestmark = pytest.mark.browser
SCREENS = REPO_ROOT / "test-artifacts" / "screens"


def shot(page: Any, name: str) -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_a_cancelled_chair_is_offered_and_a_waiting_patient_takes_it_on_a_phone(
    live_server: Any,
    page: Any,
    browser: Any,
    settings: Any,
    carol: Any,
    alice: Any,
    bob: Any,
    dave: Any,
    pat: Any,
    main_st: Any,
) -> None:
    from ketaclinic.scheduling import services
    from ketaclinic.scheduling.models import Appointment, WaitingListEntry
    from tests.infusions.conftest import make_iv_order, make_ready_patient

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    main_st.phone = "(217) 555-0100"
    main_st.save()
    day = a_future_day()
    chairs = set_up_location(dave, main_st)
    roster(dave, main_st, day, alice, bob)
    booked = services.book(
        by=carol,
        patient=pat,
        kind="infusion_iv",
        location=main_st,
        start=local(day, 14),
        chair=chairs["chair1"],
        order=make_iv_order(make_ready_patient(pat, bob), bob),
    )
    sam, sam_plan = waiter(main_st, bob, "Sam", "Okafor")
    kim, kim_plan = waiter(main_st, bob, "Kim", "Novak")
    join(carol, main_st, sam, sam_plan, day, note="Can come at short notice")
    join(carol, main_st, kim, kim_plan, day, not_before=dt.time(12))

    sign_in(page, live_server.url, carol, PASSWORD, give_authenticator(carol) if carol.needs_mfa else None)
    page.set_viewport_size(TABLET)
    page.goto(f"{live_server.url}{reverse('schedule:waiting')}?location={main_st.pk}")
    expect(page.get_by_role("heading", name="Waiting list · Main")).to_be_visible()
    rows = page.locator("table.waiting-table tbody tr")
    expect(rows.nth(0)).to_contain_text("Sam Okafor")
    expect(rows.nth(1)).to_contain_text("Kim Novak")
    assert_fits_width(page)
    shot(page, "waiting-list-1024")

    # Cancel Pat's session before it starts: the chair is freed and the waiting list is shown against it.
    day_view = f"{live_server.url}{reverse('schedule:day')}?date={day:%Y-%m-%d}&location={main_st.pk}"
    page.goto(day_view)
    cell = page.locator("td.appt", has_text="Pat Rivera")
    cell.locator("summary", has_text="Cancel").click()
    page.locator(f"#reason-{booked.pk}").fill("Patient has a cold")
    cell.get_by_role("button", name="Cancel appointment").click()
    expect(page.get_by_text("Cancelled the IV infusion of Pat Rivera")).to_be_visible()
    freed = page.locator(f"#freed-{booked.pk}")
    expect(freed.get_by_role("heading")).to_have_text(
        re.compile(r"Freed: Chair 1, 14:00–\d\d:\d\d —\s+2 people on the waiting list fit")
    )
    expect(freed).to_contain_text("Sam Okafor")
    expect(freed).to_contain_text("Kim Novak")
    freed.scroll_into_view_if_needed()
    assert_fits_width(page)
    shot(page, "waiting-freed-1024")
    page.set_viewport_size(PHONE)
    assert_fits_width(page)
    shot(page, "waiting-freed-390")
    page.set_viewport_size(TABLET)

    freed.get_by_role("button", name="Offer").click()
    expect(page.get_by_text(re.compile(r"Offered Chair 1 at 14:00 to Sam Okafor, Kim Novak"))).to_be_visible()
    assert len(mail.outbox) == 2
    sam_link, kim_link = (re.search(r"http://\S+/a/o/[\w-]+/", m.body).group(0) for m in mail.outbox)  # type: ignore[union-attr]

    # Kim accepts on a phone; Sam comes second.
    phone = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    mobile = phone.new_page()
    problems = watch_errors(mobile)
    mobile.goto(kim_link)
    expect(mobile.get_by_role("heading", name="Hello Kim", level=1)).to_be_visible()
    expect(mobile.locator("#visit-when")).to_contain_text("at 14:00")
    assert "Novak" not in mobile.content() and "ketamine" not in mobile.content().lower()
    box = mobile.locator("#accept").bounding_box()
    assert box is not None and box["height"] >= 44
    assert_fits_width(mobile)
    shot(mobile, "waiting-offer-phone-390")
    mobile.locator("#accept").click()
    expect(mobile.get_by_role("heading", name="You are booked, Kim")).to_be_visible()
    assert_fits_width(mobile)
    shot(mobile, "waiting-offer-booked-phone-390")

    mobile.goto(sam_link)
    expect(mobile.locator("#outcome")).to_have_text("This time has been taken — we will keep you on the list.")
    shot(mobile, "waiting-offer-taken-phone-390")
    mobile.goto(kim_link)  # one-time
    expect(mobile.get_by_role("heading", name="This link cannot be used")).to_be_visible()
    assert problems == []
    phone.close()

    # The day view shows Kim's booking in the freed chair.
    page.goto(day_view)
    expect(page.locator(f"#freed-{booked.pk}")).to_contain_text(
        re.compile(r"Filled from the waiting list: Chair 1, 14:00–\d\d:\d\d — Kim Novak booked 14:00")
    )
    kim_cell = page.locator("td.appt", has_text="Kim Novak")
    expect(kim_cell).to_contain_text("14:00")
    expect(kim_cell).to_contain_text("session 1")
    assert_fits_width(page)
    shot(page, "waiting-booked-day-1024")
    page.set_viewport_size(PHONE)
    page.reload()
    assert_fits_width(page)
    shot(page, "waiting-booked-day-390")
    assert Appointment.objects.get(status="booked").patient == kim
    assert WaitingListEntry.objects.get(patient=sam).status == "waiting"
