"""Chair-side arithmetic (ketaclinic.domain.sessions): dose from the rate history, fasting, assessment times, REMS."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.domain import sessions
from ketaclinic.domain.sessions import BpPoint, RateSegment

D = Decimal
UTC = dt.UTC


# --- Dose delivered -------------------------------------------------------------------------------------------------


def test_the_worked_example_runs_in_40_mg_over_40_min():
    """clinical-rules.md §3: 40 mg over 40 min = 60 mg/h."""
    segments = [RateSegment(0, D("60"))]
    assert sessions.dose_delivered_mg(segments, until_min=40) == D("40.00")
    assert sessions.dose_delivered_mg(segments, until_min=20) == D("20.00")
    assert sessions.expected_end_min(segments, dose_mg=D("40")) == D("40.0")


def test_a_pause_and_a_rate_change_are_integrated_and_the_pump_stops_at_the_dose():
    # 60 mg/h for 10 min (10 mg), paused 5 min, 30 mg/h from 15 to 35 min (10 mg), then 60 mg/h again.
    segments = [RateSegment(0, D("60")), RateSegment(10, D("0")), RateSegment(15, D("30")), RateSegment(35, D("60"))]
    assert sessions.dose_delivered_mg(segments, until_min=35) == D("20.00")
    assert sessions.dose_delivered_mg(segments, until_min=12.5) == D("10.00")
    # 20 mg left at 60 mg/h: 20 min more → ends at 55 min.
    assert sessions.expected_end_min(segments, dose_mg=D("40")) == D("55.0")
    assert sessions.dose_delivered_mg(segments, until_min=90, cap_mg=D("40")) == D("40.00")
    assert sessions.dose_delivered_mg(segments, until_min=90) == D("75.00")  # uncapped: the pump would run on


def test_no_segments_nothing_delivered_and_no_end():
    assert sessions.dose_delivered_mg([], until_min=10) == D("0.00")
    assert sessions.expected_end_min([], dose_mg=D("40")) is None
    assert sessions.expected_end_min([RateSegment(0, D("60")), RateSegment(5, D("0"))], dose_mg=D("40")) is None


def test_already_delivered_ends_where_the_last_segment_starts():
    segments = [RateSegment(0, D("120")), RateSegment(30, D("60"))]  # 60 mg in 30 min, more than the 40 mg dose
    assert sessions.expected_end_min(segments, dose_mg=D("40")) == D("30.0")


def test_segment_time_before_until_is_clipped():
    assert sessions.dose_delivered_mg([RateSegment(10, D("60"))], until_min=5) == D("0.00")


@pytest.mark.parametrize(
    ("segments", "until", "message"),
    [
        ([RateSegment(0, D("-1"))], 10, r"segments\[0\].rate_mg_per_h: must not be negative"),
        ([RateSegment(10, D("60")), RateSegment(5, D("0"))], 20, r"segments\[1\].start_min: .*time order"),
        ([RateSegment(float("nan"), D("60"))], 20, r"segments\[0\].start_min: must be a finite number"),
        ([RateSegment(True, D("60"))], 20, r"segments\[0\].start_min: must be a number"),  # type: ignore[arg-type]
        ([RateSegment(0, D("NaN"))], 20, r"segments\[0\].rate_mg_per_h: must be a finite number"),
        ([RateSegment(0, D("60"))], float("inf"), r"until_min: must be a finite number"),
        ([RateSegment(0, D("60"))], "10", r"until_min: must be a number"),
    ],
)
def test_bad_rate_histories_name_the_field(segments, until, message):
    with pytest.raises(ValueError, match=message):
        sessions.dose_delivered_mg(segments, until_min=until)


@given(
    st.lists(st.tuples(st.integers(0, 600), st.integers(0, 200)), min_size=1, max_size=8),
    st.integers(0, 900),
)
def test_the_delivered_dose_never_decreases_with_time_and_respects_the_cap(raw, until):
    segments = [RateSegment(start, D(rate)) for start, rate in sorted(raw)]
    earlier = sessions.dose_delivered_mg(segments, until_min=until)
    later = sessions.dose_delivered_mg(segments, until_min=until + 10)
    assert D(0) <= earlier <= later
    assert sessions.dose_delivered_mg(segments, until_min=until + 10, cap_mg=D("40")) <= D("40")


def test_pump_rate_for_the_worked_example():
    assert sessions.pump_rate_ml_per_h(D("60"), dose_mg=D("40"), bag_volume_ml=D("100")) == D("150.0")
    assert sessions.pump_rate_ml_per_h(D("30"), dose_mg=D("40"), bag_volume_ml=D("100")) == D("75.0")
    assert sessions.pump_rate_ml_per_h(D("0"), dose_mg=D("40"), bag_volume_ml=D("100")) == D("0.0")
    with pytest.raises(ValueError, match="rate_mg_per_h: needs a positive dose"):
        sessions.pump_rate_ml_per_h(D("60"), dose_mg=D("0"), bag_volume_ml=D("100"))
    with pytest.raises(ValueError, match="rate_mg_per_h"):
        sessions.pump_rate_ml_per_h(D("-1"), dose_mg=D("40"), bag_volume_ml=D("100"))
    with pytest.raises(ValueError, match="rate_mg_per_h"):
        sessions.pump_rate_ml_per_h(D("60"), dose_mg=D("40"), bag_volume_ml=D("0"))


# --- Fasting --------------------------------------------------------------------------------------------------------

NOON = dt.datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


def test_esketamine_fasting_window_met_and_unmet():
    """clinical-rules.md §3: no food 2 h, no liquids 30 min before dosing."""
    ok = sessions.check_fasting(
        at=NOON,
        last_food_at=NOON - dt.timedelta(hours=3),
        last_liquids_at=NOON - dt.timedelta(minutes=30),
        food_min=120,
        liquids_min=30,
    )
    assert ok == sessions.FastingCheck(ok=True, unmet=(), ready_at=None)
    late = sessions.check_fasting(
        at=NOON,
        last_food_at=NOON - dt.timedelta(minutes=75),
        last_liquids_at=NOON - dt.timedelta(minutes=10),
        food_min=120,
        liquids_min=30,
    )
    assert not late.ok
    assert late.unmet == (
        "Last food 75 min ago; the protocol asks for 120 min.",
        "Last liquids 10 min ago; the protocol asks for 30 min.",
    )
    assert late.ready_at == NOON + dt.timedelta(minutes=45)


def test_fasting_times_must_be_recorded_and_not_in_the_future():
    missing = sessions.check_fasting(
        at=NOON, last_food_at=None, last_liquids_at=NOON - dt.timedelta(minutes=5), food_min=120, liquids_min=30
    )
    assert missing.unmet[0] == "The time of the last food is not recorded (the protocol asks for 120 min)."
    assert missing.ready_at is None  # unknown until the time is recorded
    with pytest.raises(ValueError, match=r"last_liquids_at: .*in the future"):
        sessions.check_fasting(
            at=NOON, last_food_at=None, last_liquids_at=NOON + dt.timedelta(minutes=1), food_min=None, liquids_min=30
        )


def test_no_fasting_rule_asks_nothing():
    assert sessions.check_fasting(at=NOON, last_food_at=None, last_liquids_at=None, food_min=None, liquids_min=None).ok


# --- Assessment times ----------------------------------------------------------------------------------------------


def test_cadss_times_before_40_and_90_min():
    """instruments.md "cadss": pre-dose, ~40 and ~90 min."""
    checks = (0, 40, 90)
    assert sessions.checks_due(checks, done_min=[], now_min=-5) == (0, False, ())
    assert sessions.checks_due(checks, done_min=[-3], now_min=20) == (40, False, (0,))
    assert sessions.checks_due(checks, done_min=[-3, 38], now_min=95) == (90, True, (0, 40))
    assert sessions.checks_due(checks, done_min=[-3, 45, 70], now_min=95) == (None, False, (0, 40, 90))
    assert sessions.checks_due(checks, done_min=[65], now_min=95) == (0, True, (40,))  # a tie goes to the earlier


def test_a_pre_dose_assessment_does_not_count_without_a_time_zero():
    assert sessions.checks_due((40,), done_min=[-2], now_min=10) == (40, False, ())
    assert sessions.checks_due((), done_min=[5], now_min=10) == (None, False, ())
    with pytest.raises(ValueError, match="done_min"):
        sessions.checks_due((40,), done_min=[float("nan")], now_min=10)


# --- REMS -----------------------------------------------------------------------------------------------------------


def test_rems_blood_pressure_points():
    readings = [
        BpPoint(-10, 138, 84),
        BpPoint(-2, 132, 80),
        BpPoint(38, 150, 92),
        BpPoint(45, 148, 90),
        BpPoint(118, 130, 80),
    ]
    bp = sessions.rems_blood_pressure(readings)
    assert bp.before_dosing == BpPoint(-2, 132, 80)
    assert bp.near_checkpoint == BpPoint(38, 150, 92)
    assert bp.before_leaving == BpPoint(118, 130, 80)


def test_rems_blood_pressure_with_few_readings():
    assert sessions.rems_blood_pressure([]) == sessions.RemsBloodPressure(None, None, None)
    only = sessions.rems_blood_pressure([BpPoint(41, 140, 88)])
    assert (only.before_dosing, only.near_checkpoint, only.before_leaving) == (None, BpPoint(41, 140, 88), None)


def test_rems_due_date_is_seven_calendar_days_after_the_session():
    """clinical-rules.md §3: within 7 calendar days."""
    assert sessions.REMS_FORM_WINDOW_DAYS == 7
    assert sessions.rems_due_on(dt.date(2026, 2, 26)) == dt.date(2026, 3, 5)
    with pytest.raises(ValueError, match="window_days"):
        sessions.rems_due_on(dt.date(2026, 2, 26), window_days=0)


def test_rems_status():
    due = dt.date(2026, 3, 5)
    assert sessions.rems_status(due_on=due, today=dt.date(2026, 3, 1), submitted=False) == sessions.RemsStatus("due", 4)
    assert sessions.rems_status(due_on=due, today=due, submitted=False).state == "due"
    late = sessions.rems_status(due_on=due, today=dt.date(2026, 3, 7), submitted=False)
    assert late == sessions.RemsStatus("overdue", -2)
    assert sessions.rems_status(due_on=due, today=dt.date(2026, 3, 7), submitted=True).state == "submitted"
