"""Business days, the theft/loss deadlines, the biennial inventory, retention and back-dating."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.domain.controlled import deadlines as d

D = dt.date


def test_federal_holidays_2026_as_published_by_opm() -> None:
    # OPM's 2026 list: Independence Day (a Saturday) is observed on Friday 3 July.
    assert sorted(d.federal_holidays(2026)) == [
        D(2026, 1, 1),
        D(2026, 1, 19),
        D(2026, 2, 16),
        D(2026, 5, 25),
        D(2026, 6, 19),
        D(2026, 7, 3),
        D(2026, 9, 7),
        D(2026, 10, 12),
        D(2026, 11, 11),
        D(2026, 11, 26),
        D(2026, 12, 25),
    ]


def test_a_saturday_new_year_is_observed_on_the_friday_before_in_the_old_year() -> None:
    # 1 January 2022 was a Saturday: observed Friday 31 December 2021; 2022 has no 1 January holiday.
    assert D(2021, 12, 31) in d.federal_holidays(2021)
    assert D(2022, 1, 1) not in d.federal_holidays(2022)


def test_a_sunday_holiday_is_observed_on_the_monday() -> None:
    assert D(2023, 1, 2) in d.federal_holidays(2023)  # 1 January 2023 was a Sunday


def test_juneteenth_from_2021_only() -> None:
    assert D(2021, 6, 18) in d.federal_holidays(2021)  # 19 June 2021 was a Saturday
    assert not any(day.month == 6 for day in d.federal_holidays(2020))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 11, 24), True),  # Tuesday
        (D(2026, 11, 28), False),  # Saturday
        (D(2026, 11, 29), False),  # Sunday
        (D(2026, 11, 26), False),  # Thanksgiving
    ],
)
def test_is_business_day(day: dt.date, expected: bool) -> None:
    assert d.is_business_day(day) is expected


def test_a_clinic_closure_is_not_a_business_day() -> None:
    assert not d.is_business_day(D(2026, 11, 27), extra_holidays={D(2026, 11, 27)})


@pytest.mark.parametrize(
    ("discovered", "due"),
    [
        (D(2026, 11, 24), D(2026, 11, 25)),  # Tuesday → Wednesday
        (D(2026, 11, 25), D(2026, 11, 27)),  # Wednesday → Friday (Thursday is Thanksgiving)
        (D(2026, 11, 27), D(2026, 11, 30)),  # Friday → Monday
        (D(2026, 11, 28), D(2026, 11, 30)),  # Saturday → Monday
        (D(2026, 7, 2), D(2026, 7, 6)),  # Thursday → Monday (Friday 3 July observed Independence Day)
    ],
)
def test_the_one_business_day_notice(discovered: dt.date, due: dt.date) -> None:
    assert d.notice_due(discovered) == due


def test_the_notice_skips_a_clinic_closure_too() -> None:
    assert d.notice_due(D(2026, 11, 25), extra_holidays={D(2026, 11, 27)}) == D(2026, 11, 30)


def test_add_business_days_needs_a_positive_count() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        d.add_business_days(D(2026, 1, 5), 0)
    assert d.add_business_days(D(2026, 1, 2), 3) == D(2026, 1, 7)


def test_form_106_is_due_45_days_after_discovery() -> None:
    assert d.form_106_due(D(2026, 11, 24)) == D(2027, 1, 8)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 3, 15), 24, D(2028, 3, 15)),
        (D(2024, 2, 29), 24, D(2026, 2, 28)),
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2026, 12, 10), 1, D(2027, 1, 10)),
        (D(2026, 1, 31), -13, D(2024, 12, 31)),
    ],
)
def test_add_months(day: dt.date, months: int, expected: dt.date) -> None:
    assert d.add_months(day, months) == expected


def test_biennial_due_is_two_years_or_a_shorter_state_interval() -> None:
    assert d.biennial_due(D(2026, 11, 24)) == D(2028, 11, 24)
    assert d.biennial_due(D(2026, 11, 24), interval_months=12) == D(2027, 11, 24)
    for months in (0, 25):
        with pytest.raises(ValueError, match="interval_months"):
            d.biennial_due(D(2026, 11, 24), interval_months=months)


def test_retention_is_at_least_two_years() -> None:
    assert d.retention_cutoff(D(2026, 11, 24)) == D(2024, 11, 24)
    assert d.retention_cutoff(D(2026, 11, 24), years=5) == D(2021, 11, 24)
    with pytest.raises(ValueError, match="at least 2 years"):
        d.retention_cutoff(D(2026, 11, 24), years=1)


@pytest.mark.parametrize(
    ("due", "done", "state"),
    [
        (D(2026, 11, 20), False, "overdue"),
        (D(2026, 11, 30), False, "due soon"),
        (D(2026, 12, 30), False, "ok"),
        (D(2026, 11, 20), True, "done"),
    ],
)
def test_deadline_state(due: dt.date, done: bool, state: str) -> None:
    assert d.deadline_state(due, D(2026, 11, 24), warn_days=7, done=done) == state


UTC = dt.UTC
NOW = dt.datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
DAY = dt.timedelta(hours=24)


def test_timing_inside_the_limit_is_not_backdating() -> None:
    result = d.timing(NOW - DAY, NOW, limit=DAY)
    assert result == d.Timing(delay=DAY, backdated=False)


def test_timing_beyond_the_limit_is_backdating() -> None:
    assert d.timing(NOW - DAY - dt.timedelta(seconds=1), NOW, limit=DAY).backdated


def test_an_entry_cannot_be_dated_in_the_future() -> None:
    with pytest.raises(d.TimingError, match="future"):
        d.timing(NOW + dt.timedelta(seconds=1), NOW, limit=DAY)


def test_naive_times_are_refused() -> None:
    with pytest.raises(d.TimingError, match="timezone-aware"):
        d.timing(NOW.replace(tzinfo=None), NOW, limit=DAY)


@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31)))
def test_the_notice_is_always_a_business_day_within_four_days(discovered: dt.date) -> None:
    """Federal holidays never fall on consecutive weekdays, so the longest wait is a Friday discovery before a
    holiday Monday (or a Thursday one before a holiday Friday): due four days later."""
    due = d.notice_due(discovered)
    assert d.is_business_day(due)
    assert 1 <= (due - discovered).days <= 4
    assert all(not d.is_business_day(discovered + dt.timedelta(days=n)) for n in range(1, (due - discovered).days))


@given(st.integers(min_value=1990, max_value=2100))
def test_every_year_has_its_observed_holidays_on_weekdays(year: int) -> None:
    """Ten holidays (eleven from 2021), minus New Year's Day when it is a Saturday (observed the year before), plus
    the next New Year's Day when that is a Saturday (observed on 31 December)."""
    holidays = d.federal_holidays(year)
    expected = (11 if year >= 2021 else 10) - (D(year, 1, 1).weekday() == 5) + (D(year + 1, 1, 1).weekday() == 5)
    assert len(holidays) == expected
    assert all(day.weekday() < 5 and day.year == year for day in holidays)
