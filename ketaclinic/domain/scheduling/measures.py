"""The calendar's measures (issue 17): chair utilisation, no-show and cancellation rates per location and week.

Chair utilisation is the infusion-centre "scheduled utilisation" of knowledge/scheduling.md §6 (LeanTaaS S39/S40):
booked chair-minutes divided by open chair-minutes, where open chair-minutes are "hours of operations x chair count"
(the theoretical maximum, which no clinic runs at 100 %). Booked minutes are those of live appointments (booked,
checked in, completed) on a chair, clipped to the opening hours of their local day. Cancellation and no-show rates
count appointments by status over every appointment that started in the week. Pure: the service loads the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ketaclinic.domain.controlled.deadlines import federal_holidays
from ketaclinic.domain.scheduling.rules import Closure, Interval, OpenHours

__all__ = [
    "LIVE_STATUSES",
    "UTILISATION_SOURCE",
    "WeekMeasures",
    "booked_chair_minutes",
    "closed_because",
    "day_utilisation",
    "open_chair_minutes",
    "open_windows",
    "ratio",
    "week_measures",
    "week_start",
]

UTILISATION_SOURCE = (
    "Scheduled chair utilisation = booked chair-minutes / open chair-minutes (opening hours × active chairs), "
    "the infusion-centre definition of scheduled utilisation (LeanTaaS, infusion-centre chair utilisation guides)."
)
LIVE_STATUSES = frozenset({"booked", "checked_in", "completed"})


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week (ISO weeks)."""
    return day - dt.timedelta(days=day.weekday())


def ratio(part: int, whole: int) -> float | None:
    """``part / whole``, or None when there is nothing to divide by (a week with no hours or no appointments)."""
    return part / whole if whole else None


def _is_closed(day: dt.date, closures: Sequence[Closure], holidays_closed: bool) -> bool:
    if any(c.first_day <= day <= c.last_day for c in closures):
        return True
    return holidays_closed and day in federal_holidays(day.year)


def open_windows(
    days: Iterable[dt.date],
    hours: Sequence[OpenHours],
    closures: Sequence[Closure],
    time_zone: str,
    *,
    holidays_closed: bool = True,
) -> list[Interval]:
    """Every opening window of these local days, in UTC (a closed day has none)."""
    zone = ZoneInfo(time_zone)
    windows = []
    for day in days:
        if _is_closed(day, closures, holidays_closed):
            continue
        for h in hours:
            if h.weekday == day.weekday():
                start = dt.datetime.combine(day, h.opens, tzinfo=zone).astimezone(dt.UTC)
                end = dt.datetime.combine(day, h.closes, tzinfo=zone).astimezone(dt.UTC)
                windows.append(Interval(start, end))
    return windows


def _minutes(interval: Interval) -> int:
    return int((interval.end - interval.start).total_seconds() // 60)


def open_chair_minutes(windows: Sequence[Interval], chairs: int) -> int:
    """Hours of operation × chair count, in minutes (scheduling.md §6)."""
    return sum(_minutes(w) for w in windows) * chairs


def booked_chair_minutes(booked: Iterable[Interval], windows: Sequence[Interval]) -> int:
    """Minutes of chair appointments inside the opening windows (a session running past closing counts up to it)."""
    total = 0
    for appointment in booked:
        for window in windows:
            start, end = max(appointment.start, window.start), min(appointment.end, window.end)
            if start < end:
                total += _minutes(Interval(start, end))
    return total


@dataclass(frozen=True)
class WeekMeasures:
    week: dt.date  # its Monday
    open_minutes: int
    booked_minutes: int
    appointments: int
    cancelled: int
    no_shows: int

    @property
    def utilisation(self) -> float | None:
        return ratio(self.booked_minutes, self.open_minutes)

    @property
    def cancellation_rate(self) -> float | None:
        return ratio(self.cancelled, self.appointments)

    @property
    def no_show_rate(self) -> float | None:
        return ratio(self.no_shows, self.appointments)


def week_measures(
    week: dt.date,
    *,
    hours: Sequence[OpenHours],
    closures: Sequence[Closure],
    chairs: int,
    time_zone: str,
    appointments: Sequence[tuple[str, Interval, bool]],
    holidays_closed: bool = True,
) -> WeekMeasures:
    """One location's week from its hours, closures, active chair count and the appointments that start in it, each
    ``(status, interval, on_a_chair)``."""
    monday = week_start(week)
    windows = open_windows(
        (monday + dt.timedelta(days=n) for n in range(7)), hours, closures, time_zone, holidays_closed=holidays_closed
    )
    on_chairs = [interval for status, interval, chair in appointments if chair and status in LIVE_STATUSES]
    return WeekMeasures(
        week=monday,
        open_minutes=open_chair_minutes(windows, chairs),
        booked_minutes=booked_chair_minutes(on_chairs, windows),
        appointments=len(appointments),
        cancelled=sum(1 for status, _, _ in appointments if status == "cancelled"),
        no_shows=sum(1 for status, _, _ in appointments if status == "no_show"),
    )


def closed_because(
    day: dt.date, hours: Sequence[OpenHours], closures: Sequence[Closure], *, holidays_closed: bool = True
) -> str:
    """Why a location is closed on ``day`` ("" when it opens): a closure's reason, "federal holiday" (when the clinic
    closes on them), or "closed" (no opening hours that weekday)."""
    closure = next((c for c in closures if c.first_day <= day <= c.last_day), None)
    if closure is not None:
        return closure.reason or "closed"
    if holidays_closed and day in federal_holidays(day.year):
        return "federal holiday"
    if not any(h.weekday == day.weekday() for h in hours):
        return "closed"
    return ""


def day_utilisation(
    day: dt.date,
    *,
    hours: Sequence[OpenHours],
    closures: Sequence[Closure],
    chairs: int,
    time_zone: str,
    on_chairs: Iterable[Interval],
    holidays_closed: bool = True,
) -> float | None:
    """One local day's scheduled chair utilisation (booked ÷ open chair-minutes, scheduling.md §6); None when the
    location does not open that day or has no chair. ``on_chairs``: the live appointments on a chair."""
    windows = open_windows([day], hours, closures, time_zone, holidays_closed=holidays_closed)
    return ratio(booked_chair_minutes(on_chairs, windows), open_chair_minutes(windows, chairs))
