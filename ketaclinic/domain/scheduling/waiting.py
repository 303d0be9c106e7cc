"""The waiting list's pure parts: does a freed chair time suit a patient's stated wishes, when does an offer close,
and which part of a cancelled appointment's time can still be offered.

Whether the booking rules accept the patient in that chair is *not* decided here: the calendar puts every match
through ``rules.check`` (the same rules ``book`` applies). These functions only say what the patient asked for
(dates, weekdays, times of day) and the clinic's policy on how long an offer stays open. No published standard
exists for either (knowledge/scheduling.md has none): both are the clinic's and the patient's choices.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ketaclinic.domain.scheduling.rules import Interval

__all__ = ["Wishes", "freed_window", "offer_expires_at", "wish_problems"]

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Wishes:
    """What the patient asked for when joining the list. Empty ``weekdays`` / no times = any."""

    earliest: dt.date
    latest: dt.date
    weekdays: frozenset[int] = frozenset()  # Monday = 0
    not_before: dt.time | None = None
    not_after: dt.time | None = None  # the visit should be over by then


def wish_problems(wishes: Wishes, start_local: dt.datetime, end_local: dt.datetime) -> list[str]:
    """Why a visit from ``start_local`` to ``end_local`` (the location's wall-clock time) does not suit the patient;
    empty when it does. Every reason is given, not only the first."""
    problems: list[str] = []
    day = start_local.date()
    if day < wishes.earliest:
        problems.append(f"before the earliest date ({wishes.earliest:%Y-%m-%d})")
    if day > wishes.latest:
        problems.append(f"after the latest date ({wishes.latest:%Y-%m-%d})")
    if wishes.weekdays and day.weekday() not in wishes.weekdays:
        problems.append(f"not a preferred weekday ({WEEKDAY_NAMES[day.weekday()]})")
    if wishes.not_before is not None and start_local.time() < wishes.not_before:
        problems.append(f"starts before {wishes.not_before:%H:%M}")
    if wishes.not_after is not None and (end_local.date() > day or end_local.time() > wishes.not_after):
        problems.append(f"ends after {wishes.not_after:%H:%M}")
    return problems


def offer_expires_at(*, slot_start: dt.datetime, now: dt.datetime, offer_hours: int | None) -> dt.datetime:
    """When an offer closes: ``offer_hours`` after it is sent (CLINIC POLICY, no published standard and so no
    default), and never later than the start of the time offered. Until the clinic sets it, offers last until the
    slot starts."""
    if offer_hours is None:
        return slot_start
    return min(slot_start, now + dt.timedelta(hours=offer_hours))


def freed_window(*, start: dt.datetime, end: dt.datetime, now: dt.datetime, step_min: int) -> Interval | None:
    """The part of a cancelled (or missed) appointment's chair time that can still be offered: from the later of its
    start and now (moved up to the next whole step of the calendar) to its end; None when nothing is left."""
    first = start
    if now > first:
        whole = now.replace(second=0, microsecond=0)
        if whole < now:
            whole += dt.timedelta(minutes=1)
        first = whole + dt.timedelta(minutes=(-whole.minute) % step_min)
    if first >= end:
        return None
    return Interval(first, end)
