"""The front desk books a whole esketamine induction from the signed plan in the browser: refused (the rule named)
while no prescriber is rostered onsite, then proposed in the label's rhythm, one session moved by hand, and booked in
one step; screenshots in test-artifacts/screens/."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from ketaclinic.scheduling import services
from ketaclinic.scheduling.models import Appointment
from tests.conftest import PASSWORD
from tests.e2e.conftest import REPO_ROOT, assert_fits_width, give_authenticator, sign_in
from tests.scheduling.conftest import CHI, a_future_day, local, set_up_location

pytestmark = pytest.mark.browser
SCREENS = REPO_ROOT / "test-artifacts" / "screens"


def shot(page: Any, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def rostered(dave: Any, location: Any, person: Any, first: dt.date, days: int) -> None:
    for offset in range(days):
        date = first + dt.timedelta(days=offset)
        services.add_shift(by=dave, user=person, location=location, starts_at=local(date, 7), ends_at=local(date, 19))


def test_front_desk_books_an_esketamine_induction_from_the_signed_plan(
    live_server: Any, page: Any, carol: Any, alice: Any, bob: Any, dave: Any, pat: Any, main_st: Any
) -> None:
    from tests.infusions.conftest import make_esk_order, make_ready_patient

    day = a_future_day()
    set_up_location(dave, main_st)
    version = make_esk_order(make_ready_patient(pat, bob), bob).plan_version
    orders = version.orders.count()
    rostered(dave, main_st, alice, day, 70)  # a nurse every day, but no prescriber yet

    sign_in(page, live_server.url, carol, PASSWORD, give_authenticator(carol) if carol.needs_mfa else None)
    page.set_viewport_size({"width": 1024, "height": 768})
    series_url = f"{live_server.url}{reverse('schedule:series', args=[version.pk])}?start_date={day:%Y-%m-%d}"
    page.goto(series_url)
    expect(page.get_by_role("heading", name="Book the series · Pat Rivera")).to_be_visible()
    # Spravato REMS: a prescriber onsite for the whole administration and monitoring window.
    expect(page.get_by_role("alert")).to_contain_text(re.compile("prescriber", re.IGNORECASE))
    expect(page.locator(".series-problems li")).to_have_count(orders)  # one line per session, each with its rule
    assert page.locator("tbody tr").count() == 0
    shot(page, "esketamine-series-refused-1024")

    rostered(dave, main_st, bob, day, 70)
    page.goto(series_url)
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(orders)
    assert_fits_width(page)
    shot(page, "esketamine-series-1024")

    # Move session 1 to 10:30 on its day, then book everything at once.
    first = page.get_by_label("Start of session 1", exact=True)
    proposed = dt.datetime.fromisoformat(first.input_value())
    first.fill(f"{proposed:%Y-%m-%d}T10:30")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_fits_width(page)
    shot(page, "esketamine-series-390")
    page.get_by_role("button", name=re.compile("^Book all")).click()
    expect(page.get_by_text(f"Booked {orders} sessions for Pat Rivera")).to_be_visible()

    booked = list(Appointment.objects.filter(order__plan_version=version).order_by("starts_at"))
    assert len(booked) == orders and {a.kind for a in booked} == {"esketamine"}
    assert booked[0].starts_at.astimezone(CHI).replace(tzinfo=None) == proposed.replace(hour=10, minute=30)
    days = [a.starts_at.astimezone(CHI).date() for a in booked]
    assert all((later - earlier).days >= 3 for earlier, later in itertools.pairwise(days[:8]))  # twice a week
    # Check-in + the last device + at least 2 h of monitoring hold the chair (Spravato REMS).
    assert all(a.ends_at - a.starts_at >= dt.timedelta(minutes=135) for a in booked)
    page.set_viewport_size({"width": 1024, "height": 768})
    expect(page.locator("td.appt").filter(has_text="Pat Rivera").first).to_be_visible()
    shot(page, "esketamine-series-booked-1024")
