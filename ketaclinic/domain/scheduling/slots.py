"""Candidate start times of one local day: every ``step_min`` from opening until the appointment would end after
closing. Built in local time and converted to UTC, so 09:00 is 09:00 on both sides of a daylight-saving change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from ketaclinic.domain.scheduling.rules import OpenHours

__all__ = ["candidate_starts", "local_day_bounds"]

UTC = dt.UTC


def local_day_bounds(day: dt.date, time_zone: str) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants at which a local day starts and ends (23 or 25 hours apart on a change day)."""
    zone = ZoneInfo(time_zone)
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def candidate_starts(
    day: dt.date, time_zone: str, hours: Sequence[OpenHours], *, minutes: int, step_min: int
) -> list[dt.datetime]:
    if step_min <= 0 or minutes <= 0:
        raise ValueError("step_min and minutes must be positive")
    zone = ZoneInfo(time_zone)
    starts: list[dt.datetime] = []
    for block in sorted((h for h in hours if h.weekday == day.weekday()), key=lambda h: h.opens):
        moment = dt.datetime.combine(day, block.opens, tzinfo=zone)
        closes = dt.datetime.combine(day, block.closes, tzinfo=zone)
        # Wall-clock arithmetic in the zone, then UTC: a 15-minute step stays on the quarter hours.
        while moment + dt.timedelta(minutes=minutes) <= closes:
            starts.append(moment.astimezone(UTC))
            moment += dt.timedelta(minutes=step_min)
    return starts
