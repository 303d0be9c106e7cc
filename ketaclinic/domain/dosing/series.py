"""Treatment series: dating an induction series, and spreading sessions over the days of a week.

Depression IV: 6 infusions over 2-3 weeks, 2-3 a week (clinical-rules.md §3); the series length and weekly range come
from the protocol. The weekday helpers are shared with the esketamine schedule.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from ketaclinic.domain.protocols import Protocol

__all__ = ["induction_series_dates"]


def _spread(per_week: int) -> tuple[int, ...]:
    """Days of a 7-day week for ``per_week`` evenly spread sessions: 1 → (0,), 2 → (0, 3), 3 → (0, 2, 4)."""
    return tuple(i * 7 // per_week for i in range(per_week))


def _offsets(name: str, offsets: tuple[int, ...], count: int) -> tuple[int, ...]:
    if (
        len(offsets) != count
        or list(offsets) != sorted(set(offsets))
        or any(isinstance(o, bool) or not isinstance(o, int) or not 0 <= o <= 6 for o in offsets)
    ):
        raise ValueError(f"{name}: needs {count} different days 0-6 of the week in increasing order (got {offsets!r})")
    return offsets


def induction_series_dates(
    protocol: Protocol,
    start_date: date,
    *,
    sessions: int | None = None,
    sessions_per_week: int | None = None,
    week_offsets_days: tuple[int, ...] | None = None,
) -> tuple[date, ...]:
    """Dates of an induction series (depression IV: 6 infusions over 2-3 weeks, 2-3 a week; clinical-rules.md §3).

    ``sessions`` defaults to the protocol's series length; ``sessions_per_week`` to its maximum (the shortest series,
    e.g. 6 at 3 a week = 2 weeks) and must lie within the protocol's range. ``week_offsets_days`` are the days of
    each 7-day week (0 = the start date's weekday) with a session; the default spreads them evenly (2 a week: days 0
    and 3; 3 a week: days 0, 2 and 4).
    """
    low, high = protocol.series_sessions_per_week_min, protocol.series_sessions_per_week_max
    if low is None or high is None or protocol.series_sessions is None:
        raise ValueError(f"protocol: {protocol.id!r} defines no weekly induction series")
    if not isinstance(start_date, date):
        raise ValueError(f"start_date: must be a date (got {start_date!r})")
    count = protocol.series_sessions if sessions is None else sessions
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"sessions: must be a whole number ≥ 1 (got {sessions!r})")
    per_week = high if sessions_per_week is None else sessions_per_week
    if isinstance(per_week, bool) or not isinstance(per_week, int) or not low <= per_week <= high:
        raise ValueError(
            f"sessions_per_week: protocol {protocol.id!r} allows {low}-{high} a week (got {sessions_per_week!r})"
        )
    chosen = _spread(per_week) if week_offsets_days is None else week_offsets_days
    offsets = _offsets("week_offsets_days", chosen, per_week)
    weeks = math.ceil(count / per_week)
    dates = [start_date + timedelta(days=7 * week + offset) for week in range(weeks) for offset in offsets]
    return tuple(dates[:count])
