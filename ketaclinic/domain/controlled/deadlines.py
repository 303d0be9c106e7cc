"""Dates the controlled-substance records turn on (knowledge/controlled-substances.md).

- Theft or significant loss: written notice to the DEA within 1 business day of discovery, and DEA Form 106 online
  within 45 days (the 2023 rule). We read "within 1 business day of discovery" as: by the end of the first business
  day after the day of discovery (a Friday discovery is due on Monday, a Saturday one too).
- Business days exclude Saturdays, Sundays and the US federal legal public holidays of 5 U.S.C. 6103(a) on the days
  they are observed (a Saturday holiday on the Friday before, a Sunday one on the Monday after; U.S. Office of
  Personnel Management practice, e.g. https://www.ca6.uscourts.gov/federal-holidays). A clinic adds its own closures
  (state holidays) as ``extra_holidays``.
- Biennial inventory: at most 2 years after the last inventory; a state may require it sooner (a setting).
- Retention: records are kept at least 2 years (21 CFR 1304.04).
- Dates are those things actually happened (1304.21(d)); recording later than a clinic's limit (24 h by default)
  needs a reason and is flagged.
"""

from __future__ import annotations

import datetime as dt
from calendar import monthrange
from collections.abc import Collection
from dataclasses import dataclass

__all__ = [
    "BACKDATE_LIMIT_HOURS",
    "BIENNIAL_INTERVAL_MONTHS",
    "FORM_106_DAYS",
    "NOTICE_BUSINESS_DAYS",
    "RETENTION_YEARS",
    "Timing",
    "TimingError",
    "add_business_days",
    "add_months",
    "biennial_due",
    "deadline_state",
    "federal_holidays",
    "form_106_due",
    "is_business_day",
    "notice_due",
    "retention_cutoff",
    "timing",
]

NOTICE_BUSINESS_DAYS = 1  # controlled-substances.md: written notice within 1 business day of discovery
FORM_106_DAYS = 45  # controlled-substances.md: DEA Form 106 online within 45 days (2023 rule)
BIENNIAL_INTERVAL_MONTHS = 24  # controlled-substances.md invariant 7: last inventory + 2 years
RETENTION_YEARS = 2  # controlled-substances.md: kept ≥ 2 years (21 CFR 1304.04)
BACKDATE_LIMIT_HOURS = 24  # controlled-substances.md invariant 6: back-dating beyond 24 h (default) needs a reason

JUNETEENTH_FIRST_YEAR = 2021  # Juneteenth National Independence Day Act, signed 17 June 2021
MONDAY, THURSDAY, SATURDAY, SUNDAY = 0, 3, 5, 6


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> dt.date:
    last = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _legal_public_holidays(year: int) -> list[dt.date]:
    """5 U.S.C. 6103(a), on their calendar dates."""
    days = [
        dt.date(year, 1, 1),  # New Year's Day
        _nth_weekday(year, 1, MONDAY, 3),  # Birthday of Martin Luther King, Jr.
        _nth_weekday(year, 2, MONDAY, 3),  # Washington's Birthday
        _last_weekday(year, 5, MONDAY),  # Memorial Day
        dt.date(year, 7, 4),  # Independence Day
        _nth_weekday(year, 9, MONDAY, 1),  # Labor Day
        _nth_weekday(year, 10, MONDAY, 2),  # Columbus Day
        dt.date(year, 11, 11),  # Veterans Day
        _nth_weekday(year, 11, THURSDAY, 4),  # Thanksgiving Day
        dt.date(year, 12, 25),  # Christmas Day
    ]
    if year >= JUNETEENTH_FIRST_YEAR:
        days.append(dt.date(year, 6, 19))  # Juneteenth National Independence Day
    return days


def _observed(day: dt.date) -> dt.date:
    if day.weekday() == SATURDAY:
        return day - dt.timedelta(days=1)
    if day.weekday() == SUNDAY:
        return day + dt.timedelta(days=1)
    return day


def federal_holidays(year: int) -> frozenset[dt.date]:
    """The days in ``year`` on which a federal holiday is observed (New Year's Day on a Saturday is observed on
    31 December of the year before, so it belongs to that year)."""
    observed = {_observed(day) for y in (year, year + 1) for day in _legal_public_holidays(y)}
    return frozenset(day for day in observed if day.year == year)


def is_business_day(day: dt.date, extra_holidays: Collection[dt.date] = ()) -> bool:
    if day.weekday() in (SATURDAY, SUNDAY) or day in extra_holidays:
        return False
    return day not in federal_holidays(day.year)


def add_business_days(day: dt.date, count: int, extra_holidays: Collection[dt.date] = ()) -> dt.date:
    """The ``count``-th business day after ``day`` (``day`` itself never counts)."""
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}")
    current = day
    remaining = count
    while remaining:
        current += dt.timedelta(days=1)
        if is_business_day(current, extra_holidays):
            remaining -= 1
    return current


def notice_due(discovered_on: dt.date, extra_holidays: Collection[dt.date] = ()) -> dt.date:
    """Last day for the written theft/loss notice to the DEA: 1 business day after the day of discovery."""
    return add_business_days(discovered_on, NOTICE_BUSINESS_DAYS, extra_holidays)


def form_106_due(discovered_on: dt.date) -> dt.date:
    """Last day to file DEA Form 106: 45 calendar days after discovery."""
    return discovered_on + dt.timedelta(days=FORM_106_DAYS)


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day ``months`` later (or earlier), clamped to the month's end (29 Feb + 12 months → 28 Feb)."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    last_day = monthrange(year, month_index + 1)[1]
    return dt.date(year, month_index + 1, min(day.day, last_day))


def biennial_due(last_inventory_on: dt.date, interval_months: int = BIENNIAL_INTERVAL_MONTHS) -> dt.date:
    """Invariant 7: the next inventory is due ``interval_months`` (≤ 24) after the last one."""
    if not 1 <= interval_months <= BIENNIAL_INTERVAL_MONTHS:
        raise ValueError(f"interval_months must be between 1 and {BIENNIAL_INTERVAL_MONTHS}, not {interval_months}")
    return add_months(last_inventory_on, interval_months)


def retention_cutoff(today: dt.date, years: int = RETENTION_YEARS) -> dt.date:
    """Entries on or after this date are inside the retention period and may not be purged (invariant 8)."""
    if years < RETENTION_YEARS:
        raise ValueError(f"records are kept at least {RETENTION_YEARS} years, not {years}")
    return add_months(today, -12 * years)


def deadline_state(due: dt.date, today: dt.date, *, warn_days: int, done: bool = False) -> str:
    """'done', 'overdue', 'due soon' (within ``warn_days``) or 'ok' — for alerts and report badges."""
    if done:
        return "done"
    if today > due:
        return "overdue"
    if (due - today).days <= warn_days:
        return "due soon"
    return "ok"


class TimingError(ValueError):
    """An entry dated in the future of its recording."""


@dataclass(frozen=True)
class Timing:
    delay: dt.timedelta  # recorded_at − occurred_at
    backdated: bool  # beyond the clinic's limit: needs a reason, flagged in reports


def timing(occurred_at: dt.datetime, recorded_at: dt.datetime, *, limit: dt.timedelta) -> Timing:
    """Invariant 6: occurred_at ≤ recorded_at; later than ``limit`` is back-dating."""
    if occurred_at.tzinfo is None or recorded_at.tzinfo is None:
        raise TimingError("times must be timezone-aware")
    if occurred_at > recorded_at:
        raise TimingError("the entry is dated in the future: it can only record what has already happened")
    delay = recorded_at - occurred_at
    return Timing(delay=delay, backdated=delay > limit)
