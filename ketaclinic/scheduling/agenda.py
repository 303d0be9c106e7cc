"""Lists of appointments for the calendar's staff views (issue 17): the week view, "My day" and the printable day list.

Each loader reads a constant number of queries whatever the data: the appointments (with patient, chair, order and
the order's count of sessions in its plan version), the roster shifts of the window (the nurses rostered on each
appointment are matched in Python), and for the week the opening hours, closures and chairs. Appointments are scoped
by the caller: a location the user works at (``queries.get_location_for_user``) or the feed's rule for "My day".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.roles import Role
from ketaclinic.domain import scheduling as rules
from ketaclinic.domain.scheduling import local_day_bounds
from ketaclinic.plans.models import SessionOrder
from ketaclinic.scheduling.feed import appointments_worked_by, scope_is_rostered
from ketaclinic.scheduling.hooks import sessions_for_appointments
from ketaclinic.scheduling.models import Appointment, Chair, Closure, OpeningHours, RosterShift
from ketaclinic.scheduling.queries import LIVE, locations_of, settings_for

NURSE_ROLES = (Role.NURSE,)


@dataclass(frozen=True)
class Entry:
    """One appointment as the lists show it: local times, session n of N, the nurses rostered over it."""

    appointment: Appointment
    starts: dt.datetime  # naive wall-clock time at the location (templates do not convert it again)
    ends: dt.datetime
    sessions_total: int | None
    nurses: list[str]
    session_id: int | None = None  # the treatment session checked in from it ("My day" only)

    @property
    def session_label(self) -> str:
        order = self.appointment.order
        if order is None:
            return ""
        return f"session {order.session_number} of {self.sessions_total}" if self.sessions_total else ""

    @property
    def live(self) -> bool:
        return self.appointment.status in LIVE


@dataclass(frozen=True)
class Day:
    day: dt.date
    closed: str  # "" when open; else the closure's reason, "federal holiday" or "closed"
    entries: list[Entry] = field(default_factory=list)
    utilisation: float | None = None  # booked ÷ open chair-minutes (scheduling.md §6); None when closed


def with_session_totals(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """Each appointment's count of session orders in its order's plan version (the N of "session n of N")."""
    total = (
        SessionOrder.objects.filter(plan_version_id=OuterRef("order__plan_version_id"))
        .order_by()
        .values("plan_version_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return appointments.annotate(sessions_total=Coalesce(Subquery(total, output_field=IntegerField()), 0))


def _nurses(appointment: Appointment, shifts: Sequence[RosterShift]) -> list[str]:
    return sorted(
        {
            s.user.display_name
            for s in shifts
            if s.location_id == appointment.location_id
            and s.role in NURSE_ROLES
            and s.starts_at < appointment.ends_at
            and s.ends_at > appointment.starts_at
        }
    )


def _entries(
    appointments: Iterable[Appointment],
    shifts: Sequence[RosterShift],
    sessions: dict[int, int] | None = None,
    time_zone: str | None = None,
) -> list[Entry]:
    """``time_zone``: the one location's zone; without it each appointment's own (its location and clinic loaded)."""
    out = []
    for a in appointments:
        zone = ZoneInfo(time_zone or a.location.clinic.timezone)
        out.append(
            Entry(
                appointment=a,
                starts=a.starts_at.astimezone(zone).replace(tzinfo=None),
                ends=a.ends_at.astimezone(zone).replace(tzinfo=None),
                sessions_total=getattr(a, "sessions_total", None) or None,
                nurses=_nurses(a, shifts),
                session_id=(sessions or {}).get(a.pk),
            )
        )
    return out


def _location_appointments(location: Location, start: dt.datetime, end: dt.datetime) -> QuerySet[Appointment]:
    return with_session_totals(
        Appointment.objects.overlapping(start, end)
        .filter(location=location)
        .select_related("patient", "chair", "order")
        .order_by("starts_at", "chair__label", "pk")
    )


def _shifts(locations: Iterable[int], start: dt.datetime, end: dt.datetime) -> list[RosterShift]:
    return list(
        RosterShift.objects.overlapping(start, end)
        .filter(location_id__in=list(locations))
        .select_related("user", "location__clinic")
        .order_by("starts_at", "pk")
    )


def week(location: Location, monday: dt.date) -> list[Day]:
    """The location's seven days from ``monday``: closures, each day's appointments in time order, utilisation."""
    days = [monday + dt.timedelta(days=n) for n in range(7)]
    start, _ = local_day_bounds(days[0], location.clinic.timezone)
    _, end = local_day_bounds(days[-1], location.clinic.timezone)
    appointments = list(_location_appointments(location, start, end))
    shifts = _shifts([location.pk], start, end)
    hours = [
        rules.OpenHours(h.weekday, h.opens_at, h.closes_at) for h in OpeningHours.objects.filter(location=location)
    ]
    closures = [
        rules.Closure(c.first_day, c.last_day, c.reason)
        for c in Closure.objects.filter(location=location, last_day__gte=days[0], first_day__lte=days[-1])
    ]
    chairs = Chair.objects.filter(location=location, is_active=True, kind=Chair.Kind.CHAIR).count()
    holidays_closed = settings_for(location).closed_on_federal_holidays
    zone = ZoneInfo(location.clinic.timezone)
    by_day: dict[dt.date, list[Appointment]] = defaultdict(list)
    for a in appointments:
        by_day[a.starts_at.astimezone(zone).date()].append(a)
    out = []
    for day in days:
        closed = rules.closed_because(day, hours, closures, holidays_closed=holidays_closed)
        on_chairs = [
            rules.Interval(a.starts_at, a.ends_at)
            for a in by_day[day]
            if a.status in LIVE and a.chair is not None and a.chair.kind == Chair.Kind.CHAIR
        ]
        utilisation = rules.day_utilisation(
            day,
            hours=hours,
            closures=closures,
            chairs=chairs,
            time_zone=location.clinic.timezone,
            on_chairs=on_chairs,
            holidays_closed=holidays_closed,
        )
        out.append(Day(day, closed, _entries(by_day[day], shifts, time_zone=location.clinic.timezone), utilisation))
    return out


def day_list(location: Location, day: dt.date) -> list[Entry]:
    """One location's day by time, cancelled and no-shows included (the list on the wall says what happened)."""
    start, end = local_day_bounds(day, location.clinic.timezone)
    appointments = _location_appointments(location, start, end)
    return _entries(appointments, _shifts([location.pk], start, end), time_zone=location.clinic.timezone)


@dataclass(frozen=True)
class MyDay:
    shifts: list[RosterShift]
    entries: list[Entry]
    rostered_scope: bool  # True: the appointments during my shifts; False: every appointment at my locations


def my_day(user: User, day: dt.date, time_zone: str) -> MyDay:
    """A staff member's day: their roster shifts at any of their locations, and the appointments they work (the
    calendar feed's rule, ``feed.appointments_worked_by``) with the treatment session opened from each."""
    start, end = local_day_bounds(day, time_zone)
    locations = [loc.pk for loc in locations_of(user)]
    every_shift = _shifts(locations, start, end)
    shifts = [s for s in every_shift if s.user_id == user.pk]
    appointments = list(with_session_totals(appointments_worked_by(user, start, end)))
    sessions = sessions_for_appointments([a.pk for a in appointments if a.status != Appointment.Status.BOOKED])
    return MyDay(shifts, _entries(appointments, every_shift, sessions), scope_is_rostered(user))
