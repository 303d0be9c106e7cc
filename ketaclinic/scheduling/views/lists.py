"""The calendar's staff lists (issue 17): a location's week, a staff member's own day ("My day"), and the printable
day list for the clipboard on the wall. Each audits the patients it shows, as the day view does."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.models import Location
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.domain import scheduling as rules
from ketaclinic.scheduling import agenda
from ketaclinic.scheduling.feed import SCOPE
from ketaclinic.scheduling.models import Appointment
from ketaclinic.scheduling.queries import locations_of
from ketaclinic.scheduling.views.common import chosen_day, chosen_location
from ketaclinic.scheduling.views.day import day_url


def week_url(location: Location, monday: dt.date) -> str:
    return f"{reverse('schedule:week')}?{urlencode({'location': location.pk, 'week': monday.isoformat()})}"


def _chosen_week(request: AuthedRequest, location: Location) -> dt.date:
    """``?week=`` (any day of the week), else this week in the clinic's zone; the Monday."""
    raw = request.GET.get("week", "")
    try:
        day = dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        day = None
    if day is None:
        day = timezone.now().astimezone(ZoneInfo(location.clinic.timezone)).date()
    return rules.week_start(day)


def _audit(
    request: AuthedRequest, action: str, entries: list[agenda.Entry], location: Location | None, **detail: object
) -> None:
    """Who saw which patients' appointments (the day view's ``schedule.day_viewed`` record, for these lists)."""
    audit.record(
        actor=request.user,
        action=action,
        obj=location,
        detail={**detail, "patients": sorted({e.appointment.patient_id for e in entries})},
    )


@require_GET
@staff_view("schedule.view")
def week(request: AuthedRequest) -> HttpResponse:
    location = chosen_location(request)
    monday = _chosen_week(request, location)
    days = agenda.week(location, monday)
    entries = [e for d in days for e in d.entries]
    _audit(request, "schedule.week_viewed", entries, location, week=monday.isoformat())
    context = {
        "location": location,
        "locations": locations_of(request.user),
        "monday": monday,
        "sunday": monday + dt.timedelta(days=6),
        "days": [(d, day_url(location, d.day)) for d in days],
        "previous": week_url(location, monday - dt.timedelta(weeks=1)),
        "next": week_url(location, monday + dt.timedelta(weeks=1)),
        "zone": ZoneInfo(location.clinic.timezone),
        "source": rules.UTILISATION_SOURCE,
    }
    return render(request, "scheduling/week.html", context)


@require_GET
@staff_view("schedule.view")
def print_day(request: AuthedRequest) -> HttpResponse:
    location = chosen_location(request)
    day = chosen_day(request, location)
    entries = agenda.day_list(location, day)
    _audit(request, "schedule.print_viewed", entries, location, date=day.isoformat())
    context = {
        "location": location,
        "day": day,
        "entries": entries,
        "back": day_url(location, day),
        "listed_at": timezone.now().astimezone(ZoneInfo(location.clinic.timezone)).replace(tzinfo=None),
    }
    return render(request, "scheduling/print.html", context)


def next_action(user_role: str, entry: agenda.Entry, today: dt.date) -> tuple[str, str] | None:
    """The link "My day" offers for an appointment: check in from the floor board (a booked session today, for the
    clinical roles), the session opened from it, else the patient's chart."""
    a = entry.appointment
    if entry.session_id is not None and role_can(user_role, "sessions.view"):
        return "Open the session", reverse("infusions:session", args=[entry.session_id])
    if (
        a.status == Appointment.Status.BOOKED
        and a.kind in rules.CHAIR_KINDS
        and entry.starts.date() == today
        and role_can(user_role, "floorboard.view")
    ):
        return "Check in on the floor board", f"{reverse('infusions:board')}?location={a.location_id}"
    if role_can(user_role, "patient.view"):
        return "Chart", reverse("patients:chart", args=[a.patient_id])
    return None


@require_GET
@staff_view("schedule.view")
def mine(request: AuthedRequest) -> HttpResponse:
    first = locations_of(request.user).first()
    time_zone = first.clinic.timezone if first else "UTC"
    raw = request.GET.get("date", "")
    today = timezone.now().astimezone(ZoneInfo(time_zone)).date()
    try:
        day = dt.date.fromisoformat(raw) if raw else today
    except ValueError:
        day = today
    found = agenda.my_day(request.user, day, time_zone)
    _audit(request, "schedule.my_day_viewed", found.entries, None, date=day.isoformat())
    here = reverse("schedule:mine")
    context = {
        "day": day,
        "today": today,
        "mine": found,
        "rows": [(e, next_action(request.user.role, e, today)) for e in found.entries],
        "scope": SCOPE[found.rostered_scope],
        "previous": f"{here}?date={day - dt.timedelta(days=1):%Y-%m-%d}",
        "next": f"{here}?date={day + dt.timedelta(days=1):%Y-%m-%d}",
    }
    return render(request, "scheduling/mine.html", context)
