"""The calendar warns (never refuses) when a booking or a series would go past a prior authorisation or outside its
dates; billing registers the warning through ``scheduling.hooks`` (the calendar is below billing)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.billing.services import authorisations as service
from ketaclinic.scheduling import hooks
from ketaclinic.scheduling.models import Appointment
from tests.billing.authorisation_helpers import authorise, clinic_today, cover, make_payer
from tests.conftest import sign_in
from tests.scheduling.conftest import CHI, local, set_up_location

pytestmark = pytest.mark.django_db


def esketamine(day: dt.date, dose: str = "56", devices: int | None = 2) -> hooks.ProposedBooking:
    return hooks.ProposedBooking("esketamine", local(day, 9), Decimal(dose), devices)


def test_billing_registers_its_provider() -> None:
    assert "billing.prior_authorisations" in hooks._warning_providers
    assert hooks.booking_warnings(None, []) == []


def test_no_authorisation_on_file_says_nothing(carol: Any, pat: Any, clinic: Any) -> None:
    cover(pat, make_payer(clinic))
    day = clinic_today(pat) + dt.timedelta(days=2)
    assert service.warnings_for(pat, [esketamine(day)]) == []


def test_an_authorisation_for_a_payer_not_covering_the_patient_says_nothing(carol: Any, pat: Any, clinic: Any) -> None:
    authorise(carol, pat, make_payer(clinic), approved_sessions=1)
    day = clinic_today(pat) + dt.timedelta(days=2)
    assert service.warnings_for(pat, [esketamine(day), esketamine(day + dt.timedelta(days=3))]) == []


def test_sessions_and_devices_past_the_approval_are_named_with_the_numbers(carol: Any, pat: Any, clinic: Any) -> None:
    payer = make_payer(clinic)
    cover(pat, payer)
    today = clinic_today(pat)
    end = today + dt.timedelta(days=30)
    authorise(carol, pat, payer, approved_sessions=2, approved_devices=5, valid_to=end)
    days = [today + dt.timedelta(days=n) for n in (1, 4, 8)]
    said = service.warnings_for(pat, [esketamine(d) for d in days])
    until = f"{end.day} {end:%b %Y}"
    assert said == [
        f"Authorisation PA123 (Acme Health) allows 2 sessions until {until}; 0 booked or done so far, this "
        "series would make 3.",
        f"Authorisation PA123 (Acme Health) allows 5 devices (28 mg each) until {until}; 0 booked or used so "
        "far, this series would make 6.",
    ]
    assert service.warnings_for(pat, [esketamine(days[0])]) == []  # within both caps
    # A dose without the order's device count: 84 mg is three devices.
    assert "would make 3" not in " ".join(service.warnings_for(pat, [esketamine(days[0], "84", None)]))
    assert service.warnings_for(pat, [esketamine(days[0], "84", None), esketamine(days[1], "84", None)])[-1].endswith(
        "this series would make 6."
    )


def test_a_booking_after_the_last_day_or_before_the_first_is_named(carol: Any, pat: Any, clinic: Any) -> None:
    payer = make_payer(clinic)
    cover(pat, payer)
    today = clinic_today(pat)
    authorise(carol, pat, payer, valid_from=today + dt.timedelta(days=10), valid_to=today + dt.timedelta(days=20))
    end = today + dt.timedelta(days=20)
    after = service.warnings_for(pat, [esketamine(today + dt.timedelta(days=25))])
    assert after == [
        f"Authorisation PA123 (Acme Health) ended on {end.day} {end:%b %Y}; this booking "
        f"({(today + dt.timedelta(days=25)).day} {(today + dt.timedelta(days=25)):%b %Y}) falls after it: ask the "
        "payer for a renewal."
    ]
    before = service.warnings_for(pat, [esketamine(today + dt.timedelta(days=2)), esketamine(today + dt.timedelta(3))])
    assert len(before) == 1 and "starts on" in before[0] and "2 sessions from" in before[0]
    # IV bookings are not counted against an esketamine approval.
    iv = hooks.ProposedBooking("infusion_iv", local(today + dt.timedelta(days=25), 9))
    assert service.warnings_for(pat, [iv]) == []


def test_a_withdrawn_authorisation_is_not_used(carol: Any, pat: Any, clinic: Any) -> None:
    payer = make_payer(clinic)
    cover(pat, payer)
    authorisation = authorise(carol, pat, payer, approved_sessions=1)
    day = clinic_today(pat) + dt.timedelta(days=2)
    two = [esketamine(day), esketamine(day + dt.timedelta(days=3))]
    assert len(service.warnings_for(pat, two)) == 1
    service.withdraw(by=carol, authorisation=authorisation, reason="Recorded twice")
    assert service.warnings_for(pat, two) == []


@pytest.fixture
def staffed(dave: Any, alice: Any, main_st: Any) -> dict[str, Any]:
    """Main set up, alice rostered every day for four weeks from tomorrow."""
    from ketaclinic.scheduling import services

    chairs = set_up_location(dave, main_st)
    first = dt.datetime.now(CHI).date() + dt.timedelta(days=1)
    for offset in range(28):
        date = first + dt.timedelta(days=offset)
        services.add_shift(by=dave, user=alice, location=main_st, starts_at=local(date, 7), ends_at=local(date, 19))
    return {**chairs, "first": first}


def test_the_series_page_warns_before_booking_and_books_anyway(
    client: Any, carol: Any, bob: Any, pat: Any, clinic: Any, main_st: Any, staffed: dict[str, Any]
) -> None:
    from tests.infusions.conftest import make_iv_order, make_ready_patient

    order = make_iv_order(make_ready_patient(pat, bob), bob)
    version = order.plan_version
    payer = make_payer(clinic)
    cover(pat, payer)
    first = staffed["first"]
    authorise(carol, pat, payer, service="iv_infusion", reference="IV77", approved_sessions=2, valid_from=first)
    sign_in(client, carol)
    url = reverse("schedule:series", args=[version.pk])
    page = client.get(url, {"start_date": first.isoformat(), "times": "10:00"})
    rows = page.context["rows"]
    assert len(rows) > 2
    text = page.content.decode()
    assert "Before you book:" in text and "Authorisation IV77 (Acme Health) allows 2 sessions until" in text
    assert f"this series would make {len(rows)}." in text
    form: dict[str, Any] = {"start_date": first.isoformat(), "order": [p.order.pk for p, _ in rows]}
    for placement, local_start in rows:
        form[f"start-{placement.order.pk}"] = local_start.strftime("%Y-%m-%dT%H:%M")
        form[f"chair-{placement.order.pk}"] = placement.chair.pk
    booked = client.post(url, form, follow=True)
    assert Appointment.objects.count() == len(rows)  # a warning, not a refusal
    assert "Authorisation IV77 (Acme Health) allows 2 sessions" in booked.content.decode()


def test_a_single_booking_past_the_approval_is_booked_with_a_warning(
    client: Any, carol: Any, bob: Any, pat: Any, clinic: Any, main_st: Any, staffed: dict[str, Any]
) -> None:
    from ketaclinic.scheduling import services as calendar
    from tests.infusions.conftest import make_iv_order, make_ready_patient

    order = make_iv_order(make_ready_patient(pat, bob), bob)
    second = order.plan_version.orders.get(session_number=2)
    payer = make_payer(clinic)
    cover(pat, payer)
    first = staffed["first"]
    authorise(carol, pat, payer, service="iv_infusion", reference="IV78", approved_sessions=1, valid_from=first)
    calendar.book(
        by=carol,
        patient=pat,
        kind="infusion_iv",
        location=main_st,
        start=local(first, 9),
        chair=staffed["chair1"],
        order=order,
    )
    sign_in(client, carol)
    later = first + dt.timedelta(days=3)
    response = client.post(
        reverse("schedule:book"),
        {
            "location": main_st.pk,
            "patient": pat.pk,
            "kind": "infusion_iv",
            "start": f"{later:%Y-%m-%d}T10:00",
            "chair": staffed["chair1"].pk,
            "order": second.pk,
        },
        follow=True,
    )
    text = response.content.decode()
    assert Appointment.objects.filter(status="booked").count() == 2
    assert "Authorisation IV78 (Acme Health) allows 1 session until" in text
    assert "1 booked or done so far, this booking would make 2." in text
