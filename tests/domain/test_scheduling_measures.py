"""Chair utilisation and no-show/cancellation rates (domain/scheduling/measures.py), with hand-computed values."""

from __future__ import annotations

import datetime as dt

from ketaclinic.domain.scheduling import UTILISATION_SOURCE, week_measures, week_start
from ketaclinic.domain.scheduling.measures import (
    booked_chair_minutes,
    open_chair_minutes,
    open_windows,
    ratio,
)
from ketaclinic.domain.scheduling.rules import Closure, Interval, OpenHours

CHI = "America/Chicago"
UTC = dt.UTC
# Week of Monday 2 Feb 2026 (no federal holiday; Central Standard Time, UTC-6).
MONDAY = dt.date(2026, 2, 2)
WEEKDAYS_9_TO_5 = [OpenHours(weekday, dt.time(9), dt.time(17)) for weekday in range(5)]


def utc(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=UTC)


def test_week_start_is_the_monday() -> None:
    assert week_start(dt.date(2026, 2, 8)) == MONDAY  # a Sunday
    assert week_start(MONDAY) == MONDAY


def test_ratio_without_a_denominator_is_none() -> None:
    assert ratio(3, 0) is None
    assert ratio(1, 4) == 0.25


def test_open_chair_minutes_is_hours_times_chairs() -> None:
    windows = open_windows([MONDAY + dt.timedelta(days=n) for n in range(7)], WEEKDAYS_9_TO_5, [], CHI)
    assert len(windows) == 5  # Saturday and Sunday have no hours
    assert windows[0] == Interval(utc(MONDAY, 15), utc(MONDAY, 23))  # 09:00–17:00 CST
    assert open_chair_minutes(windows, chairs=3) == 5 * 8 * 60 * 3  # 7,200


def test_closures_and_federal_holidays_have_no_open_minutes() -> None:
    closure = Closure(MONDAY, MONDAY, "Staff training")
    days = [MONDAY, MONDAY + dt.timedelta(days=1)]
    assert len(open_windows(days, WEEKDAYS_9_TO_5, [closure], CHI)) == 1
    labor_day = dt.date(2026, 9, 7)
    assert open_windows([labor_day], WEEKDAYS_9_TO_5, [], CHI) == []
    assert len(open_windows([labor_day], WEEKDAYS_9_TO_5, [], CHI, holidays_closed=False)) == 1


def test_booked_minutes_are_clipped_to_the_hours() -> None:
    window = Interval(utc(MONDAY, 15), utc(MONDAY, 23))
    inside = Interval(utc(MONDAY, 16), utc(MONDAY, 17, 25))  # 85 min
    past_closing = Interval(utc(MONDAY, 22, 30), utc(MONDAY, 23, 30))  # 30 min inside
    before_opening = Interval(utc(MONDAY, 13), utc(MONDAY, 14))  # 0
    assert booked_chair_minutes([inside, past_closing, before_opening], [window]) == 115


def test_a_week_by_hand() -> None:
    # 2 chairs, Mon–Fri 09–17: 2 × 5 × 480 = 4,800 open chair-minutes.
    # Live chair sessions: 85 + 120 + 60 = 265 min; a consultation without a chair and a cancelled and a no-show
    # chair session do not count as booked. 6 appointments: 1 cancelled, 1 no-show.
    tuesday = MONDAY + dt.timedelta(days=1)
    appointments = [
        ("booked", Interval(utc(MONDAY, 15), utc(MONDAY, 16, 25)), True),
        ("completed", Interval(utc(tuesday, 15), utc(tuesday, 17)), True),
        ("checked_in", Interval(utc(tuesday, 18), utc(tuesday, 19)), True),
        ("booked", Interval(utc(tuesday, 18), utc(tuesday, 18, 30)), False),
        ("cancelled", Interval(utc(tuesday, 20), utc(tuesday, 21)), True),
        ("no_show", Interval(utc(tuesday, 21), utc(tuesday, 22)), True),
    ]
    week = week_measures(
        MONDAY + dt.timedelta(days=3),
        hours=WEEKDAYS_9_TO_5,
        closures=[],
        chairs=2,
        time_zone=CHI,
        appointments=appointments,
    )
    assert week.week == MONDAY
    assert (week.open_minutes, week.booked_minutes) == (4800, 265)
    assert week.utilisation == 265 / 4800
    assert week.cancellation_rate == week.no_show_rate == 1 / 6


def test_an_empty_week_has_no_rates() -> None:
    week = week_measures(MONDAY, hours=[], closures=[], chairs=4, time_zone=CHI, appointments=[])
    assert week.utilisation is None and week.cancellation_rate is None and week.no_show_rate is None


def test_daylight_saving_day_counts_wall_clock_hours() -> None:
    # Sunday 8 March 2026 springs forward at 02:00; 07:00–19:00 is still 12 hours of opening.
    sunday = dt.date(2026, 3, 8)
    windows = open_windows([sunday], [OpenHours(6, dt.time(7), dt.time(19))], [], CHI)
    assert open_chair_minutes(windows, chairs=1) == 720
    assert windows[0].start == utc(sunday, 12)  # 07:00 CDT = 12:00 UTC


def test_the_definition_cites_its_source() -> None:
    assert "LeanTaaS" in UTILISATION_SOURCE and ".md" not in UTILISATION_SOURCE


def test_why_a_day_is_closed() -> None:
    from ketaclinic.domain.scheduling import closed_because

    training = [Closure(MONDAY, MONDAY + dt.timedelta(days=1), "Staff training")]
    assert closed_because(MONDAY, WEEKDAYS_9_TO_5, training) == "Staff training"
    assert closed_because(MONDAY + dt.timedelta(days=2), WEEKDAYS_9_TO_5, training) == ""
    assert closed_because(MONDAY + dt.timedelta(days=5), WEEKDAYS_9_TO_5, training) == "closed"  # no Saturday hours
    presidents_day = dt.date(2026, 2, 16)  # third Monday of February
    assert closed_because(presidents_day, WEEKDAYS_9_TO_5, []) == "federal holiday"
    assert closed_because(presidents_day, WEEKDAYS_9_TO_5, [], holidays_closed=False) == ""


def test_one_days_utilisation_is_booked_over_open_chair_minutes() -> None:
    from ketaclinic.domain.scheduling import day_utilisation

    # 09:00–17:00 CST is 15:00–23:00 UTC: 480 min × 2 chairs = 960 open chair-minutes.
    booked = [Interval(utc(MONDAY, 15), utc(MONDAY, 17)), Interval(utc(MONDAY, 22), utc(MONDAY, 23, 30))]
    value = day_utilisation(MONDAY, hours=WEEKDAYS_9_TO_5, closures=[], chairs=2, time_zone=CHI, on_chairs=booked)
    assert value == (120 + 60) / 960  # the second session counts up to closing time
    saturday = MONDAY + dt.timedelta(days=5)
    assert day_utilisation(saturday, hours=WEEKDAYS_9_TO_5, closures=[], chairs=2, time_zone=CHI, on_chairs=[]) is None
