"""Loads the calendar's measures for a user's locations (issue 17): the rows the pure
``ketaclinic.domain.scheduling.measures`` needs, in a constant number of queries whatever the weeks or locations.

Open chair-minutes use the location's chairs that are in service now (kind "chair"; rooms hold no infusion) and its
current opening hours: the calendar keeps no history of either, so a past week is measured against today's template.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.utils import timezone

from ketaclinic.accounts.models import Location, User
from ketaclinic.domain import scheduling as rules
from ketaclinic.scheduling.models import Appointment, Chair, Closure, OpeningHours, SchedulingSettings
from ketaclinic.scheduling.queries import locations_of

MAX_WEEKS = 26


@dataclass(frozen=True)
class LocationMeasures:
    location: Location
    chairs: int
    weeks: list[rules.WeekMeasures]


def weeks_ending(last: dt.date, count: int) -> list[dt.date]:
    """``count`` Mondays, oldest first, the last one being ``last``'s week."""
    monday = rules.week_start(last)
    return [monday - dt.timedelta(weeks=n) for n in range(count - 1, -1, -1)]


def this_week(user: User) -> dt.date:
    first = locations_of(user).first()
    zone = ZoneInfo(first.clinic.timezone) if first else dt.UTC
    return timezone.now().astimezone(zone).date()


def measures_for(user: User, weeks: list[dt.date], location: Location | None = None) -> list[LocationMeasures]:
    """Per location (the user's, or one of them) and per week: utilisation, cancellations and no-shows."""
    locations = list(locations_of(user) if location is None else locations_of(user).filter(pk=location.pk))
    if not locations or not weeks:
        return []
    ids = [loc.pk for loc in locations]
    first, last = weeks[0] - dt.timedelta(days=1), weeks[-1] + dt.timedelta(days=8)  # local days, any time zone
    hours: dict[int, list[rules.OpenHours]] = defaultdict(list)
    for h in OpeningHours.objects.filter(location_id__in=ids):
        hours[h.location_id].append(rules.OpenHours(h.weekday, h.opens_at, h.closes_at))
    closures: dict[int, list[rules.Closure]] = defaultdict(list)
    for c in Closure.objects.filter(location_id__in=ids, last_day__gte=first, first_day__lte=last):
        closures[c.location_id].append(rules.Closure(c.first_day, c.last_day, c.reason))
    chairs = dict(
        Chair.objects.filter(location_id__in=ids, is_active=True, kind=Chair.Kind.CHAIR)
        .values_list("location_id")
        .annotate(n=Count("pk"))
    )
    holidays = dict(SchedulingSettings.objects.values_list("clinic_id", "closed_on_federal_holidays"))
    start = dt.datetime.combine(first, dt.time(0), tzinfo=dt.UTC)
    end = dt.datetime.combine(last, dt.time(0), tzinfo=dt.UTC)
    rows: dict[int, list[tuple[str, dt.datetime, dt.datetime, bool]]] = defaultdict(list)
    for location_id, status, starts, ends, chair_kind in Appointment.objects.filter(
        Q(location_id__in=ids), starts_at__gte=start, starts_at__lt=end
    ).values_list("location_id", "status", "starts_at", "ends_at", "chair__kind"):
        rows[location_id].append((status, starts, ends, chair_kind == Chair.Kind.CHAIR))
    result = []
    for loc in locations:
        zone = ZoneInfo(loc.clinic.timezone)
        by_week: dict[dt.date, list[tuple[str, rules.Interval, bool]]] = defaultdict(list)
        for status, starts, ends, on_chair in rows[loc.pk]:
            monday = rules.week_start(starts.astimezone(zone).date())
            by_week[monday].append((status, rules.Interval(starts, ends), on_chair))
        measured = [
            rules.week_measures(
                monday,
                hours=hours[loc.pk],
                closures=closures[loc.pk],
                chairs=chairs.get(loc.pk, 0),
                time_zone=loc.clinic.timezone,
                appointments=by_week[monday],
                holidays_closed=holidays.get(loc.clinic_id, True),
            )
            for monday in weeks
        ]
        result.append(LocationMeasures(loc, chairs.get(loc.pk, 0), measured))
    return result


CSV_HEADER = [
    "location",
    "week_starting",
    "chairs",
    "open_chair_minutes",
    "booked_chair_minutes",
    "utilisation_percent",
    "appointments",
    "cancelled",
    "cancellation_rate_percent",
    "no_shows",
    "no_show_rate_percent",
]


def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def csv_rows(measures: list[LocationMeasures]) -> list[list[object]]:
    return [
        [
            m.location.name,
            week.week.isoformat(),
            m.chairs,
            week.open_minutes,
            week.booked_minutes,
            percent(week.utilisation),
            week.appointments,
            week.cancelled,
            percent(week.cancellation_rate),
            week.no_shows,
            percent(week.no_show_rate),
        ]
        for m in measures
        for week in m.weeks
    ]
