"""Placing a treatment series on the calendar: which days to try for each session of a signed plan.

The signed plan's session orders carry target dates whose rhythm the plan's evaluation derived from the protocol
(e.g. IV twice or three times a week, Singh 2016 [S16]; esketamine twice weekly in weeks 1-4, weekly in weeks 5-8,
label [S7]). A series booked from another start date keeps that rhythm: the whole schedule moves so that session 1
falls on the chosen day, and a session that cannot be placed on its day may move by at most ``slack_days``, as long
as its gap to the previous session stays within ``min_gap_days`` (from the protocol's most sessions per week) and the
planned gap + ``slack_days`` (never bunching or stretching the series beyond a day of its plan).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

__all__ = ["candidate_days", "min_gap_days", "shifted_days"]


def shifted_days(targets: Sequence[dt.date], start: dt.date) -> list[dt.date]:
    """The plan's target dates moved so that the first one falls on ``start`` (spacing unchanged)."""
    if not targets:
        return []
    offset = start - targets[0]
    return [day + offset for day in targets]


def min_gap_days(sessions_per_week_max: int | None) -> int:
    """The fewest days between two sessions: 7 // the protocol's most sessions a week (3 a week → 2), at least 1."""
    if not sessions_per_week_max:
        return 1
    return max(1, math.floor(7 / sessions_per_week_max))


def candidate_days(
    day: dt.date,
    *,
    previous: dt.date | None,
    planned_gap_days: int | None,
    min_gap: int,
    slack_days: int = 1,
    not_before: dt.date | None = None,
) -> list[dt.date]:
    """Days to try for one session, best first: its own day, then one day later, one earlier, and so on."""
    order = [day]
    for step in range(1, slack_days + 1):
        order += [day + dt.timedelta(days=step), day - dt.timedelta(days=step)]
    allowed = []
    for option in order:
        if not_before is not None and option < not_before:
            continue
        if previous is not None:
            gap = (option - previous).days
            if gap < min_gap or (planned_gap_days is not None and gap > planned_gap_days + slack_days):
                continue
        allowed.append(option)
    return allowed
