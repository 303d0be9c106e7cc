"""A prior authorisation caps bookings: the calendar refuses a booking or a series that would go past it or outside its
dates unless staff override it with a reason (audited), and says why beside it; billing registers the block through
``scheduling.hooks`` (the calendar is below billing)."""

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
    assert "billing.prior_authorisations" in hooks._block_providers
    assert hooks.booking_warnings(None, []) == []
    assert hooks.booking_blocks(None, []) == []


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


def _series_form(rows: Any, first: dt.date) -> dict[str, Any]:
    form: dict[str, Any] = {"start_date": first.isoformat(), "order": [p.order.pk for p, _ in rows]}
    for placement, local_start in rows:
        form[f"start-{placement.order.pk}"] = local_start.strftime("%Y-%m-%dT%H:%M")
        form[f"chair-{placement.order.pk}"] = placement.chair.pk
    return form


def test_the_series_page_refuses_past_the_approval_unless_overridden_with_a_reason(
    client: Any, carol: Any, bob: Any, pat: Any, clinic: Any, main_st: Any, staffed: dict[str, Any]
) -> None:
    from ketaclinic.audit.models import AuditEvent
    from tests.infusions.conftest import make_iv_order, make_ready_patient

    order = make_iv_order(make_ready_patient(pat, bob), bob)
    version = order.plan_version
    payer = make_payer(clinic)
    cover(pat, payer)
    first = staffed["first"]
    authorisation = authorise(
        carol, pat, payer, service="iv_infusion", reference="IV77", approved_sessions=2, valid_from=first
    )
    sign_in(client, carol)
    url = reverse("schedule:series", args=[version.pk])
    page = client.get(url, {"start_date": first.isoformat(), "times": "10:00"})
    rows = page.context["rows"]
    assert len(rows) > 2
    text = page.content.decode()
    assert "Before you book:" in text and "Authorisation IV77 (Acme Health) allows 2 sessions until" in text
    assert f"this series would make {len(rows)}." in text and "The renewal is pending — book anyway" in text
    form = _series_form(rows, first)
    refused = client.post(url, form)
    assert refused.status_code == 422 and Appointment.objects.count() == 0
    assert "Authorisation IV77 (Acme Health) allows 2 sessions" in refused.content.decode()
    no_reason = client.post(url, {**form, "override": "1", "override_reason": "  "})
    assert no_reason.status_code == 422 and Appointment.objects.count() == 0
    assert "Say why you book past the authorisation." in no_reason.content.decode()
    booked = client.post(url, {**form, "override": "1", "override_reason": "Renewal sent 1 Dec"}, follow=True)
    assert Appointment.objects.count() == len(rows)
    assert "Authorisation IV77 (Acme Health) allows 2 sessions" in booked.content.decode()
    event = AuditEvent.objects.get(action="schedule.booking_override")
    assert event.actor == carol and event.patient_id == pat.pk
    assert event.detail["reason"] == "Renewal sent 1 Dec"
    assert sorted(event.detail["appointments"]) == sorted(Appointment.objects.values_list("pk", flat=True))
    [block] = event.detail["blocks"]
    assert block["authorisation"] == authorisation.pk and block["reference"] == "IV77"
    assert (block["problem"], block["approved"], block["used"], block["would_make"]) == ("sessions", 2, 0, len(rows))


def test_a_single_booking_past_the_approval_is_refused_then_booked_with_an_override(
    client: Any, carol: Any, bob: Any, pat: Any, clinic: Any, main_st: Any, staffed: dict[str, Any]
) -> None:
    from ketaclinic.audit.models import AuditEvent
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
    assert not AuditEvent.objects.filter(action="schedule.booking_override").exists()  # within the approval
    sign_in(client, carol)
    later = first + dt.timedelta(days=3)
    form = {
        "location": main_st.pk,
        "patient": pat.pk,
        "kind": "infusion_iv",
        "start": f"{later:%Y-%m-%d}T10:00",
        "chair": staffed["chair1"].pk,
        "order": second.pk,
    }
    empty = client.get(reverse("schedule:book_form"), {"location": main_st.pk, "date": later.isoformat()})
    assert empty.status_code == 200 and "The renewal is pending — book anyway" not in empty.content.decode()
    refused = client.post(reverse("schedule:book"), form)
    text = refused.content.decode()
    assert Appointment.objects.filter(status="booked").count() == 1
    assert "Authorisation IV78 (Acme Health) allows 1 session until" in text
    assert "The renewal is pending — book anyway" in text  # the override is offered now
    ticked_only = client.post(reverse("schedule:book"), {**form, "override": "on"})
    assert "Say why you book past the authorisation." in ticked_only.content.decode()
    assert Appointment.objects.filter(status="booked").count() == 1
    response = client.post(
        reverse("schedule:book"), {**form, "override": "on", "override_reason": "Renewal pending"}, follow=True
    )
    text = response.content.decode()
    assert Appointment.objects.filter(status="booked").count() == 2
    assert "Authorisation IV78 (Acme Health) allows 1 session until" in text
    assert "1 booked or done so far, this booking would make 2." in text
    event = AuditEvent.objects.get(action="schedule.booking_override")
    assert event.detail["reason"] == "Renewal pending"
    assert event.detail["blocks"][0]["reference"] == "IV78" and event.detail["blocks"][0]["would_make"] == 2


def test_the_booking_service_refuses_past_the_dates_and_an_idle_reason_is_not_audited(
    carol: Any, bob: Any, pat: Any, clinic: Any, main_st: Any, staffed: dict[str, Any]
) -> None:
    from ketaclinic.audit.models import AuditEvent
    from ketaclinic.scheduling import services as calendar
    from tests.infusions.conftest import make_iv_order, make_ready_patient

    order = make_iv_order(make_ready_patient(pat, bob), bob)
    payer = make_payer(clinic)
    cover(pat, payer)
    first = staffed["first"]
    authorise(carol, pat, payer, service="iv_infusion", reference="IV79", valid_from=first, valid_to=first)
    args = {"by": carol, "patient": pat, "kind": "infusion_iv", "location": main_st, "chair": staffed["chair1"]}
    later = local(first + dt.timedelta(days=2), 9)
    with pytest.raises(calendar.BookingNeedsOverride) as refused:
        calendar.book(**args, start=later, order=order)
    assert "Authorisation IV79 (Acme Health) ended on" in refused.value.message
    assert refused.value.field == "override_reason" and not refused.value.slot_gone
    assert refused.value.blocks[0].detail["problem"] == "after_end"
    assert refused.value.problems[0].rule == "prior_authorisation"
    assert Appointment.objects.count() == 0
    with pytest.raises(calendar.BookingNeedsOverride):
        calendar.book(**args, start=later, order=order, override_reason="   ")
    # Within the dates a reason overrides nothing: no override is audited.
    calendar.book(**args, start=local(first, 9), order=order, override_reason="just in case")
    assert not AuditEvent.objects.filter(action="schedule.booking_override").exists()
    second = order.plan_version.orders.get(session_number=2)
    calendar.book(**args, start=later, order=second, override_reason="Renewal requested")
    event = AuditEvent.objects.get(action="schedule.booking_override")
    assert event.detail["blocks"][0]["days"] == [(first + dt.timedelta(days=2)).isoformat()]


def test_the_api_answers_422_naming_the_authorisation_unless_an_override_reason_is_given(
    carol: Any, bob: Any, pat: Any, clinic: Any, main_st: Any, staffed: dict[str, Any]
) -> None:
    from ketaclinic.audit.models import AuditEvent
    from tests.infusions.conftest import make_iv_order, make_ready_patient
    from tests.scheduling.test_api import BASE, post

    order = make_iv_order(make_ready_patient(pat, bob), bob)
    payer = make_payer(clinic)
    cover(pat, payer)
    first = staffed["first"]
    authorise(carol, pat, payer, service="iv_infusion", reference="IV80", valid_from=first, valid_to=first)
    body = {
        "patient_id": pat.pk,
        "kind": "infusion_iv",
        "start": local(first + dt.timedelta(days=2), 9).isoformat(),
        "location_id": main_st.pk,
        "chair_id": staffed["chair1"].pk,
        "order_id": order.pk,
    }
    url = f"{BASE}/appointments"
    refused = post(carol, url, body, key="k-1")
    assert refused.status_code == 422, refused.content
    [problem] = refused.json()["detail"]
    assert problem["loc"] == ["body", "override_reason"] and "Authorisation IV80 (Acme Health)" in problem["msg"]
    assert Appointment.objects.count() == 0
    body["override_reason"] = "Renewal pending"
    booked = post(carol, url, body, key="k-2")
    assert booked.status_code == 201, booked.content
    assert AuditEvent.objects.get(action="schedule.booking_override").detail["reason"] == "Renewal pending"


def test_the_series_api_answers_422_naming_the_authorisation_unless_an_override_reason_is_given(
    carol: Any, bob: Any, pat: Any, clinic: Any, main_st: Any, staffed: dict[str, Any]
) -> None:
    from ketaclinic.audit.models import AuditEvent
    from tests.infusions.conftest import make_iv_order, make_ready_patient
    from tests.scheduling.test_api import BASE, post

    version = make_iv_order(make_ready_patient(pat, bob), bob).plan_version
    payer = make_payer(clinic)
    cover(pat, payer)
    first = staffed["first"]
    authorise(carol, pat, payer, service="iv_infusion", reference="IV81", approved_sessions=1, valid_from=first)
    body: dict[str, Any] = {"plan_version_id": version.pk, "start_date": first.isoformat()}
    refused = post(carol, f"{BASE}/series", body, key="s-1")
    assert refused.status_code == 422, refused.content
    problems = refused.json()["detail"]
    assert problems[0]["loc"] == ["body", "override_reason"]
    assert "Authorisation IV81 (Acme Health) allows 1 session" in problems[0]["msg"]
    assert Appointment.objects.count() == 0
    booked = post(carol, f"{BASE}/series", {**body, "override_reason": "Renewal pending"}, key="s-2")
    assert booked.status_code == 201, booked.content
    event = AuditEvent.objects.get(action="schedule.booking_override")
    assert event.detail["appointments"] == [a["id"] for a in booked.json()["appointments"]]
