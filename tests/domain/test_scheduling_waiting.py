"""The waiting list's pure parts: the patient's wishes, when an offer closes (clinic policy, no default), and what is
left of a cancelled appointment's chair time."""

from __future__ import annotations

import datetime as dt

from ketaclinic.domain.scheduling.rules import Interval
from ketaclinic.domain.scheduling.waiting import Wishes, freed_window, offer_expires_at, wish_problems

UTC = dt.UTC
MONDAY = dt.date(2027, 3, 1)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


def test_a_time_inside_every_wish_suits() -> None:
    wishes = Wishes(MONDAY, MONDAY + dt.timedelta(days=6), frozenset({0, 2}), dt.time(9), dt.time(17))
    assert wish_problems(wishes, at(MONDAY, 9), at(MONDAY, 17)) == []
    assert wish_problems(Wishes(MONDAY, MONDAY), at(MONDAY, 6), at(MONDAY, 23)) == []  # no day or time wishes


def test_every_unmet_wish_is_named() -> None:
    wishes = Wishes(
        MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=3), frozenset({2}), dt.time(10), dt.time(12)
    )
    problems = wish_problems(wishes, at(MONDAY, 9), at(MONDAY, 13))
    assert problems == [
        "before the earliest date (2027-03-02)",
        "not a preferred weekday (Monday)",
        "starts before 10:00",
        "ends after 12:00",
    ]
    assert wish_problems(wishes, at(MONDAY + dt.timedelta(days=4), 10), at(MONDAY + dt.timedelta(days=4), 11)) == [
        "after the latest date (2027-03-04)",
        "not a preferred weekday (Friday)",
    ]


def test_a_visit_running_past_midnight_ends_after_the_wish() -> None:
    wishes = Wishes(MONDAY, MONDAY, not_after=dt.time(23, 30))
    assert wish_problems(wishes, at(MONDAY, 23), at(MONDAY + dt.timedelta(days=1), 0, 10)) == ["ends after 23:30"]


def test_without_a_clinic_policy_an_offer_lasts_until_the_slot_starts() -> None:
    start, now = at(MONDAY, 14).replace(tzinfo=UTC), at(MONDAY, 8).replace(tzinfo=UTC)
    assert offer_expires_at(slot_start=start, now=now, offer_hours=None) == start
    assert offer_expires_at(slot_start=start, now=now, offer_hours=2) == at(MONDAY, 10).replace(tzinfo=UTC)
    assert offer_expires_at(slot_start=start, now=now, offer_hours=12) == start  # never after the start


def test_the_freed_window_is_what_is_still_ahead() -> None:
    start, end = at(MONDAY, 14).replace(tzinfo=UTC), at(MONDAY, 16, 10).replace(tzinfo=UTC)
    earlier = at(MONDAY, 9).replace(tzinfo=UTC)
    assert freed_window(start=start, end=end, now=earlier, step_min=15) == Interval(start, end)
    midway = at(
        MONDAY,
        14,
        7,
    ).replace(tzinfo=UTC, second=30)
    assert freed_window(start=start, end=end, now=midway, step_min=15) == Interval(
        at(MONDAY, 14, 15).replace(tzinfo=UTC), end
    )
    exact = at(MONDAY, 14, 30).replace(tzinfo=UTC)
    assert freed_window(start=start, end=end, now=exact, step_min=15) == Interval(exact, end)
    assert freed_window(start=start, end=end, now=at(MONDAY, 16, 1).replace(tzinfo=UTC), step_min=15) is None
