"""The home-dose release rule, reconciliation and refill limit: every threshold edge."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from ketaclinic.domain import homecare
from ketaclinic.domain.homecare import ImplausibleVitals, PreDoseCheckIn, ReleaseThresholds

SET = ReleaseThresholds(max_systolic_mmhg=160, max_diastolic_mmhg=90, max_heart_rate_per_min=100, doses_per_day=1)


def ok(**changes: object) -> PreDoseCheckIn:
    base = PreDoseCheckIn(
        systolic_mmhg=120,
        diastolic_mmhg=80,
        heart_rate_per_min=70,
        monitor_present=True,
        monitor_sober=True,
        no_alcohol_today=True,
        no_interacting_sedatives_today=True,
        suicidal_thoughts=False,
        doses_taken_today=0,
        prescription_active=True,
        sessions_remaining=3,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_all_good_is_cleared() -> None:
    result = homecare.release(ok(), SET)
    assert result.cleared and result.reasons == () and not result.suicidality


@pytest.mark.parametrize(
    ("field", "limit"),
    [("systolic_mmhg", 160), ("diastolic_mmhg", 90), ("heart_rate_per_min", 100)],
)
def test_threshold_edges(field: str, limit: int) -> None:
    assert homecare.release(ok(**{field: limit}), SET).cleared
    above = homecare.release(ok(**{field: limit + 1}), SET)
    assert not above.cleared
    assert "above the clinic's limit" in above.reasons[0]


def test_fractional_reading_just_above_limit_refused() -> None:
    assert not homecare.release(ok(heart_rate_per_min=100.5), SET).cleared


@pytest.mark.parametrize("name", ["max_systolic_mmhg", "max_diastolic_mmhg", "max_heart_rate_per_min"])
def test_unset_threshold_is_not_cleared(name: str) -> None:
    result = homecare.release(ok(), replace(SET, **{name: None}))
    assert not result.cleared
    assert "has not set" in result.reasons[0]


def test_unset_daily_allowance_is_not_cleared() -> None:
    result = homecare.release(ok(), replace(SET, doses_per_day=None))
    assert result.reasons == ("The clinic has not set how many home doses a day the protocol allows.",)


def test_nothing_set_lists_every_reason() -> None:
    assert len(homecare.release(ok(), ReleaseThresholds()).reasons) == 4


def test_second_dose_same_day_refused_when_one_allowed() -> None:
    result = homecare.release(ok(doses_taken_today=1), SET)
    assert not result.cleared and "already taken 1" in result.reasons[0]
    assert homecare.release(ok(doses_taken_today=1), replace(SET, doses_per_day=2)).cleared


def test_prescription_inactive_or_run_out() -> None:
    assert "not active" in homecare.release(ok(prescription_active=False), SET).reasons[0]
    assert "no doses left" in homecare.release(ok(sessions_remaining=0), SET).reasons[0]
    assert homecare.release(ok(sessions_remaining=1), SET).cleared


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"monitor_present": False}, "monitor must be with you"),
        ({"monitor_sober": False}, "monitor must be sober"),
        ({"no_alcohol_today": False}, "alcohol"),
        ({"no_interacting_sedatives_today": False}, "sedatives"),
    ],
)
def test_safety_questions(change: dict[str, bool], words: str) -> None:
    result = homecare.release(ok(**change), SET)
    assert not result.cleared and words in result.reasons[0]


def test_suicidality_refuses_and_flags() -> None:
    result = homecare.release(ok(suicidal_thoughts=True), SET)
    assert not result.cleared and result.suicidality and "crisis line" in result.reasons[0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"systolic_mmhg": 400}, "systolic_mmhg"),
        ({"systolic_mmhg": 39}, "systolic_mmhg"),
        ({"diastolic_mmhg": 201}, "diastolic_mmhg"),
        ({"heart_rate_per_min": 19}, "heart_rate_per_min"),
        ({"heart_rate_per_min": 301}, "heart_rate_per_min"),
        ({"heart_rate_per_min": None}, "heart_rate_per_min"),
        ({"systolic_mmhg": None}, "systolic_mmhg"),
        ({"systolic_mmhg": float("nan")}, "systolic_mmhg"),
    ],
)
def test_implausible_readings_refused_naming_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(ImplausibleVitals) as caught:
        ok(**change)
    assert caught.value.field == field


def test_plausibility_edges_accepted() -> None:
    ok(systolic_mmhg=300, diastolic_mmhg=200, heart_rate_per_min=300)
    ok(systolic_mmhg=40, diastolic_mmhg=20, heart_rate_per_min=20)


def test_diastolic_above_systolic_refused() -> None:
    with pytest.raises(ImplausibleVitals):
        ok(systolic_mmhg=80, diastolic_mmhg=90)


@pytest.mark.parametrize("bad", [-1, True, 1.5])
@pytest.mark.parametrize("name", ["doses_taken_today", "sessions_remaining"])
def test_counts_must_be_whole(name: str, bad: object) -> None:
    with pytest.raises(ValueError, match=name):
        ok(**{name: bad})


def test_balance() -> None:
    assert homecare.balance(Decimal(6), Decimal(2), Decimal("0.5")) == Decimal("3.5")
    with pytest.raises(ValueError, match="wasted"):
        homecare.balance(Decimal(6), Decimal(2), Decimal(-1))


def test_discrepancy_edges() -> None:
    assert homecare.discrepancy(Decimal(3), Decimal(2), Decimal(1)) is True
    assert homecare.discrepancy(Decimal(3), Decimal("2.5"), Decimal(1)) is False
    assert homecare.discrepancy(Decimal(3), Decimal(4), Decimal(1)) is True
    assert homecare.discrepancy(Decimal(3), Decimal(2), None) is None
    assert homecare.discrepancy(Decimal(-1), Decimal(0), None) is True
    with pytest.raises(ValueError, match="tolerance"):
        homecare.discrepancy(Decimal(3), Decimal(2), Decimal(0))


def test_refill_window_end_of_month() -> None:
    assert homecare.refill_window_ends(date(2026, 8, 31)) == date(2027, 2, 28)
    assert homecare.refill_window_ends(date(2026, 1, 15)) == date(2026, 7, 15)


def test_refill_problems() -> None:
    issued = date(2026, 6, 1)
    assert (
        homecare.refill_problems(issued_on=issued, today=date(2026, 12, 1), refills_authorised=5, refills_used=4) == []
    )
    too_many = homecare.refill_problems(issued_on=issued, today=issued, refills_authorised=6, refills_used=0)
    assert "at most 5" in too_many[0]
    used = homecare.refill_problems(issued_on=issued, today=issued, refills_authorised=2, refills_used=2)
    assert "All 2" in used[0]
    late = homecare.refill_problems(issued_on=issued, today=date(2026, 12, 2), refills_authorised=5, refills_used=0)
    assert "six months" in late[0]


def test_monitor_problems() -> None:
    assert homecare.monitor_problems(age_years=18, is_the_patient=False, phone="555", email="") == []
    problems = homecare.monitor_problems(age_years=17, is_the_patient=True, phone=" ", email="")
    assert len(problems) == 3 and "cannot be the patient" in problems[0]


def test_telehealth_warning() -> None:
    end = homecare.DEA_TELEMEDICINE_FLEXIBILITIES_END
    assert homecare.telehealth_warning(in_person_evaluation_on=date(2026, 1, 1), today=end) is None
    assert homecare.telehealth_warning(in_person_evaluation_on=None, today=date(2026, 10, 1)) is None
    near = homecare.telehealth_warning(in_person_evaluation_on=None, today=date(2026, 10, 2))
    assert near is not None and "90 days" in near
    after = homecare.telehealth_warning(in_person_evaluation_on=None, today=date(2027, 1, 1))
    assert after is not None and "ended" in after
