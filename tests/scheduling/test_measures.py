"""The calendar's measures page and CSV (issue 17): utilisation, cancellation and no-show rates by hand."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.scheduling import services
from ketaclinic.scheduling.models import Appointment
from tests.conftest import make_patient, sign_in
from tests.scheduling.conftest import local

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date) -> dict[str, Any]:
    """Main's week of ``day``: open 07–19 daily, 2 chairs (the room is not a chair) → 7 × 720 × 2 = 10,080 open
    chair-minutes. One IV of 85 min on Chair 1; three consultations without a chair, one cancelled, one a no-show."""
    services.book(
        by=carol,
        patient=pat,
        kind="infusion_iv",
        location=main_st,
        start=local(day, 9),
        chair=floor["chair1"],
        order=iv_order,
    )
    others = []
    for n, hour in enumerate((11, 12, 13)):
        patient = make_patient(main_st, given_name=f"M{n}", family_name="Measure", email=f"m{n}@example.org")
        others.append(
            services.book(by=carol, patient=patient, kind="consultation", location=main_st, start=local(day, hour))
        )
    services.cancel(by=carol, appointment=others[0], reason="Patient unwell")
    Appointment.objects.filter(pk=others[1].pk).update(status=Appointment.Status.NO_SHOW)
    return {"day": day}


def url(name: str, location: Any, day: dt.date, weeks: int = 1) -> str:
    return f"{reverse(name)}?location={location.pk}&week={day:%Y-%m-%d}&weeks={weeks}"


def test_the_page_shows_the_hand_computed_week(client: Any, carol: Any, main_st: Any, week: dict[str, Any]) -> None:
    sign_in(client, carol)
    page = client.get(url("schedule:measures", main_st, week["day"])).content.decode()
    assert "85 / 10080" in page
    assert "0.8 %" in page  # 85 / 10,080 = 0.84 %
    assert "1 (25.0 %)" in page  # one cancelled and one no-show of four appointments
    assert "scheduled utilisation (LeanTaaS" in page and ".md" not in page  # the definition is cited on screen
    assert "Pat Rivera" not in page and "M1 Measure" not in page  # counts only, no patient
    assert AuditEvent.objects.filter(action="schedule.measures_viewed").exists()


def test_the_csv_has_the_same_figures_and_is_injection_safe(
    client: Any, carol: Any, main_st: Any, week: dict[str, Any]
) -> None:
    main_st.name = '=HYPERLINK("http://evil")'
    main_st.save()
    sign_in(client, carol)
    response = client.get(url("schedule:measures_csv", main_st, week["day"], weeks=2))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 2  # the week before, then the week of the appointments
    empty, this = rows
    assert empty["appointments"] == "0" and empty["utilisation_percent"] == "0.0"
    assert empty["cancellation_rate_percent"] == ""  # nothing to divide by
    assert this["location"].startswith("'=")
    assert (this["open_chair_minutes"], this["booked_chair_minutes"], this["utilisation_percent"]) == (
        "10080",
        "85",
        "0.8",
    )
    assert (this["appointments"], this["cancelled"], this["no_shows"]) == ("4", "1", "1")
    assert this["cancellation_rate_percent"] == this["no_show_rate_percent"] == "25.0"
    assert AuditEvent.objects.filter(action="schedule.measures_exported").last().detail["rows"] == 2


def test_anlakeside_is_not_found(client: Any, carol: Any, lakeside: Any) -> None:
    sign_in(client, carol)
    assert client.get(f"{reverse('schedule:measures')}?location={lakeside.pk}").status_code == 404


def test_queries_do_not_grow_with_weeks(client: Any, carol: Any, main_st: Any, week: dict[str, Any]) -> None:
    sign_in(client, carol)
    with CaptureQueriesContext(connection) as one:
        client.get(url("schedule:measures", main_st, week["day"], weeks=1))
    with CaptureQueriesContext(connection) as many:
        client.get(url("schedule:measures", main_st, week["day"], weeks=26))
    assert len(many) == len(one)
