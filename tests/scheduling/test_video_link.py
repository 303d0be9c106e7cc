"""Telehealth visits carry a video link on the clinic's own video service: https only, telehealth only, audited;
shown on the day view, in the portal's appointments and in the reminder. Bad input writes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.scheduling import services
from ketaclinic.scheduling.models import Appointment
from ketaclinic.scheduling.services import reminders
from tests.portal.conftest import outboxes, sign_in_as  # noqa: F401  (the outbox fixture is needed to sign in)
from tests.scheduling.conftest import local

pytestmark = pytest.mark.django_db
LINK = "https://video.example.org/room/abc-123"


def book_telehealth(by: Any, pat: Any, main_st: Any, day: dt.date, **extra: Any) -> Appointment:
    return services.book(by=by, patient=pat, kind="telehealth", location=main_st, start=local(day, 10), **extra)


def test_booking_with_a_link(floor: Any, carol: Any, pat: Any, main_st: Any, day: dt.date) -> None:
    visit = book_telehealth(carol, pat, main_st, day, video_url=f"  {LINK} ")
    assert visit.video_url == LINK
    assert AuditEvent.objects.filter(action="schedule.book", detail__video_link=True).exists()


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://video.example.org/room", "https"),
        ("javascript:alert(1)", "https"),
        ("https://user:secret@video.example.org/r", "username or password"),
        ("https://localhost/room", "video service's address"),
        ("https://video.example.org/a room", "no spaces"),
        ("https://video.example.org:99999/r", "not a web address"),
        ("https://video.example.org/" + "x" * 500, "at most 500"),
    ],
)
def test_bad_links_write_nothing(
    floor: Any, carol: Any, pat: Any, main_st: Any, day: dt.date, url: str, words: str
) -> None:
    with pytest.raises(ServiceError, match=words) as caught:
        book_telehealth(carol, pat, main_st, day, video_url=url)
    assert caught.value.field == "video_url"
    assert not Appointment.objects.exists()


def test_only_telehealth_has_a_link(floor: Any, carol: Any, pat: Any, main_st: Any, day: dt.date) -> None:
    with pytest.raises(ServiceError, match="Only a telehealth visit"):
        services.book(
            by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 10), video_url=LINK
        )
    visit = services.book(by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 10))
    with pytest.raises(ServiceError, match="Only a telehealth visit"):
        services.set_video_link(by=carol, appointment=visit, url=LINK)
    assert Appointment.objects.get().video_url == ""


def test_set_change_and_clear(floor: Any, carol: Any, erin: Any, pat: Any, main_st: Any, day: dt.date) -> None:
    visit = book_telehealth(carol, pat, main_st, day)
    services.set_video_link(by=carol, appointment=visit, url=LINK)
    assert Appointment.objects.get().video_url == LINK
    with pytest.raises(ServiceError, match="https"):
        services.set_video_link(by=carol, appointment=visit, url="ftp://video.example.org/x")
    with pytest.raises(PermissionDenied):
        services.set_video_link(by=erin, appointment=visit, url="https://other.example.org/x")  # Lakeside
    assert Appointment.objects.get().video_url == LINK
    services.set_video_link(by=carol, appointment=visit, url="")
    assert Appointment.objects.get().video_url == ""
    assert AuditEvent.objects.filter(action="schedule.video_link").count() == 2
    services.cancel(by=carol, appointment=visit, reason="patient unwell")
    with pytest.raises(ServiceError, match="cancelled"):
        services.set_video_link(by=carol, appointment=visit, url=LINK)


def test_day_view_shows_and_sets_the_link(
    client_as: Any, floor: Any, carol: Any, pat: Any, main_st: Any, day: dt.date
) -> None:
    visit = book_telehealth(carol, pat, main_st, day)
    client = client_as(carol)
    day_url = f"/schedule/?date={day.isoformat()}&location={main_st.pk}"
    assert "Add video link" in client.get(day_url).content.decode()
    client.post(f"/schedule/appointments/{visit.pk}/video-link/", {"video_url": "http://insecure.example.org/r"})
    assert Appointment.objects.get().video_url == ""
    client.post(f"/schedule/appointments/{visit.pk}/video-link/", {"video_url": LINK})
    page = client.get(day_url).content.decode()
    assert f'href="{LINK}"' in page and 'rel="noopener noreferrer"' in page


def test_booking_form_preselects_patient_and_kind(
    client_as: Any, floor: Any, carol: Any, pat: Any, main_st: Any
) -> None:
    page = (
        client_as(carol)
        .get(f"/schedule/book/form/?location={main_st.pk}&patient={pat.pk}&kind=telehealth")
        .content.decode()
    )
    assert f'<option value="{pat.pk}" selected>' in page and '<option value="telehealth" selected>' in page


def test_portal_and_reminder_show_the_link(
    client: Client, floor: Any, carol: Any, pat: Any, main_st: Any, day: dt.date
) -> None:
    visit = book_telehealth(carol, pat, main_st, day, video_url=LINK)
    text = reminders.compose(visit, "confirmation", "https://clinic.example.org/v/token")
    assert f"Join by video: {LINK}" in text.email and LINK in text.sms and main_st.name not in text.sms
    sign_in_as(client, pat)
    assert 'data-testid="video-ready"' in client.get("/portal/appointments/").content.decode()
    page = client.get(f"/portal/appointments/{visit.pk}/").content.decode()
    assert f'id="video-link" href="{LINK}"' in page
    mail.outbox.clear()
