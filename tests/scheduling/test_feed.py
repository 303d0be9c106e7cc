"""The staff calendar feed (CONTRACTS.md §6): RFC 5545 read back with icalendar, initials only, the location's time
zone, a hashed and revocable token, audited reads."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import icalendar
import pytest
from django.test import Client
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.scheduling import services
from ketaclinic.scheduling.models import CalendarFeed
from tests.conftest import make_patient, sign_in
from tests.scheduling.conftest import CHI, local

pytestmark = pytest.mark.django_db


def make_feed(client: Any, user: Any) -> str:
    sign_in(client, user)
    page = client.post(reverse("schedule:feed_create")).content.decode()
    match = re.search(r'value="http://testserver(/schedule/feed/[^"]+\.ics)"', page)
    assert match, page
    return match.group(1)


def read(path: str) -> tuple[int, bytes]:
    response = Client().get(path)  # a calendar app: no session
    return response.status_code, response.content


@pytest.fixture
def booked(carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date) -> dict[str, Any]:
    """Pat Rivera's IV at 09:00 on ``day`` (alice and bob rostered); a consultation the next day, nobody rostered."""
    iv = services.book(
        by=carol,
        patient=pat,
        kind="infusion_iv",
        location=main_st,
        start=local(day, 9),
        chair=floor["chair1"],
        order=iv_order,
    )
    other = make_patient(main_st, given_name="Quinn", family_name="Zephyr", email="qz@example.org")
    consult = services.book(
        by=carol, patient=other, kind="consultation", location=main_st, start=local(day + dt.timedelta(days=1), 10)
    )
    return {"iv": iv, "consult": consult}


def test_the_feed_parses_back_with_initials_only_in_the_location_zone(
    client: Any, alice: Any, pat: Any, booked: dict[str, Any], day: dt.date
) -> None:
    path = make_feed(client, alice)
    status, body = read(path)
    assert status == 200
    calendar = icalendar.Calendar.from_ical(body)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1  # alice (nurse) gets the appointments during her own shifts only
    event = events[0]
    assert str(event["summary"]) == "IV infusion · P.R."
    assert str(event["uid"]) == f"appointment-{booked['iv'].pk}@ketaclinic"
    assert str(event["location"]) == "Main · Chair 1"
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert start == local(day, 9) and end == local(day, 10, 25)
    assert str(start.tzinfo) == "America/Chicago" and event["dtstart"].params["TZID"] == "America/Chicago"
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["America/Chicago"]
    text = body.decode()
    assert "Rivera" not in text and "Pat " not in text and "Zephyr" not in text and "Quinn" not in text
    event_read = AuditEvent.objects.filter(action="schedule.feed_read").last()
    assert event_read is not None and event_read.actor_id == alice.pk
    assert event_read.detail["patients"] == [pat.pk]


def test_front_desk_gets_every_appointment_at_their_locations(client: Any, carol: Any, booked: dict[str, Any]) -> None:
    status, body = read(make_feed(client, carol))
    summaries = sorted(str(e["summary"]) for e in icalendar.Calendar.from_ical(body).walk("VEVENT"))
    assert status == 200 and summaries == ["Consultation · Q.Z.", "IV infusion · P.R."]


def test_a_cancelled_appointment_is_marked_cancelled(client: Any, carol: Any, booked: dict[str, Any]) -> None:
    services.cancel(by=carol, appointment=booked["consult"], reason="Patient asked")
    _, body = read(make_feed(client, carol))
    status = {str(e["summary"]): str(e["status"]) for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}
    assert status == {"Consultation · Q.Z.": "CANCELLED", "IV infusion · P.R.": "CONFIRMED"}


def test_the_token_is_hashed_at_rest(client: Any, alice: Any) -> None:
    path = make_feed(client, alice)
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    feed = CalendarFeed.objects.get(user=alice)
    assert len(token) >= 40 and token not in feed.token_hash and len(feed.token_hash) == 64
    page = client.get(reverse("schedule:feed")).content.decode()
    assert token not in page  # shown once, when made


def test_a_revoked_or_replaced_token_is_not_found(client: Any, alice: Any, booked: dict[str, Any]) -> None:
    first = make_feed(client, alice)
    second = make_feed(client, alice)  # a new address revokes the old
    assert read(first)[0] == 404 and read(second)[0] == 200
    client.post(reverse("schedule:feed_revoke"))
    assert read(second)[0] == 404
    assert AuditEvent.objects.filter(action="schedule.feed_revoked").count() == 2
    assert read("/schedule/feed/guess.ics")[0] == 404


def test_a_deactivated_user_feed_stops(client: Any, alice: Any, booked: dict[str, Any]) -> None:
    path = make_feed(client, alice)
    alice.is_active = False
    alice.save()
    assert read(path)[0] == 404


def test_initials_of_odd_names() -> None:
    from ketaclinic.scheduling.feed import initials

    assert initials(" ana", "de la Cruz") == "A.D." and initials("", "Solo") == "S."


def test_both_daylight_saving_changes_keep_the_wall_clock(carol: Any, pat: Any, main_st: Any) -> None:
    from ketaclinic.scheduling.feed import render_ics
    from ketaclinic.scheduling.models import Appointment

    utc = dt.UTC
    # 09:00 in Chicago: 15:00 UTC in winter (CST), 14:00 UTC in summer (CDT); around 8 Mar and 1 Nov 2026.
    instants = [
        dt.datetime(2026, 3, 7, 15, tzinfo=utc),
        dt.datetime(2026, 3, 9, 14, tzinfo=utc),
        dt.datetime(2026, 10, 31, 14, tzinfo=utc),
        dt.datetime(2026, 11, 2, 15, tzinfo=utc),
    ]
    appointments = [
        Appointment(
            pk=n, patient=pat, location=main_st, kind="consultation", starts_at=at, ends_at=at + dt.timedelta(hours=1)
        )
        for n, at in enumerate(instants, start=1)
    ]
    calendar = icalendar.Calendar.from_ical(render_ics(carol, appointments))
    starts = [event.decoded("dtstart") for event in calendar.walk("VEVENT")]
    assert starts == instants  # the same instants
    assert {(s.astimezone(CHI).hour, s.astimezone(CHI).minute) for s in starts} == {(9, 0)}
    assert all(
        event["dtstart"].to_ical() == b"%b" % f"{at.astimezone(CHI):%Y%m%dT0900}00".encode()
        for event, at in zip(calendar.walk("VEVENT"), instants, strict=True)
    )
    offsets = {str(sub["tzoffsetto"].to_ical()) for tz in calendar.walk("VTIMEZONE") for sub in tz.subcomponents}
    assert {"-0600", "-0500"} <= offsets
