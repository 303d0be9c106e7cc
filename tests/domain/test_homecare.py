"""The home-dose release rule, reconciliation and refill limit: every threshold edge."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from ketaclinic.domain import homecare
from ketaclinic.domain import homecare as rules
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


D = Decimal


# --- clinic fills, the running balance over time, the in-person status (issue 21 gaps) ---------------------------


def test_clinic_dispense_form() -> None:
    assert rules.clinic_dispense_form("oral") == "injection"
    assert rules.clinic_dispense_form("intranasal_racemic") == "nasal_spray"
    with pytest.raises(rules.ClinicDispenseProblem, match="pharmacy"):
        rules.clinic_dispense_form("sublingual_troche")


def test_dispense_volume_ml() -> None:
    assert rules.dispense_volume_ml(doses=2, dose_mg=D("100"), concentration_mg_per_ml=D("10")) == D("20.00")
    assert rules.dispense_volume_ml(doses=1, dose_mg=D("28"), concentration_mg_per_ml=D("140")) == D("0.20")
    with pytest.raises(rules.ClinicDispenseProblem, match=r"0\.01 mL"):
        rules.dispense_volume_ml(doses=1, dose_mg=D("1.5"), concentration_mg_per_ml=D("100"))
    with pytest.raises(rules.ClinicDispenseProblem, match="too large"):
        rules.dispense_volume_ml(doses=1, dose_mg=D("1e40"), concentration_mg_per_ml=D("1"))


@pytest.mark.parametrize("doses", [0, -1, True, 1.0])
def test_dispense_volume_needs_whole_doses(doses: object) -> None:
    with pytest.raises(rules.ClinicDispenseProblem, match="whole dose"):
        rules.dispense_volume_ml(doses=doses, dose_mg=D("100"), concentration_mg_per_ml=D("10"))  # type: ignore[arg-type]


@pytest.mark.parametrize(("dose", "concentration"), [("0", "10"), ("100", "0"), ("-1", "10")])
def test_dispense_volume_needs_positive_amounts(dose: str, concentration: str) -> None:
    with pytest.raises(rules.ClinicDispenseProblem, match="more than 0"):
        rules.dispense_volume_ml(doses=1, dose_mg=D(dose), concentration_mg_per_ml=D(concentration))


def test_balance_over_time() -> None:
    day = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    events = [
        rules.DiaryEvent(day + dt.timedelta(hours=3), "count", D(4)),
        rules.DiaryEvent(day, "dispense", D(6)),
        rules.DiaryEvent(day + dt.timedelta(hours=1), "dose", D(1)),
        rules.DiaryEvent(day + dt.timedelta(hours=2), "waste", D("0.5")),
    ]
    points = rules.balance_over_time(events)
    assert [p.kind for p in points] == ["dispense", "dose", "waste", "count"]
    assert [p.expected for p in points] == [D(6), D(5), D("4.5"), D("4.5")]
    assert [p.difference for p in points] == [None, None, None, D("-0.5")]
    assert rules.balance_over_time([]) == []


def test_balance_over_time_refuses_bad_events() -> None:
    at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="unknown diary event"):
        rules.balance_over_time([rules.DiaryEvent(at, "lost", D(1))])
    with pytest.raises(ValueError, match="cannot be negative"):
        rules.balance_over_time([rules.DiaryEvent(at, "dose", D(-1))])


def test_in_person_status() -> None:
    assert (
        rules.in_person_status(in_person_evaluation_on=dt.date(2026, 3, 2), today=dt.date(2026, 12, 1))
        == "in-person evaluation 2026-03-02"
    )
    assert (
        rules.in_person_status(in_person_evaluation_on=None, today=dt.date(2026, 12, 1))
        == "none: 30 days to 31 Dec 2026"
    )
    assert rules.in_person_status(in_person_evaluation_on=None, today=dt.date(2026, 12, 31)).startswith("none: 0 days")
    assert (
        rules.in_person_status(in_person_evaluation_on=None, today=dt.date(2027, 1, 1))
        == "none: telemedicine flexibilities ended 31 Dec 2026"
    )
