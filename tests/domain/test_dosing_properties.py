"""Properties of the dose arithmetic, dosing weight, dose checks and schedules (hypothesis)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import assume, example, given
from hypothesis import strategies as st

from ketaclinic.domain import protocols
from ketaclinic.domain.dosing import (
    check_dose,
    dosing_weights,
    drug_volume_ml,
    esketamine_schedule,
    ideal_body_weight_kg,
    induction_series_dates,
    infusion_rate_mg_per_h,
    weight_based_dose_mg,
)

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000"), places=2)
per_kg = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10"), places=2)
weights = st.decimals(min_value=Decimal("1"), max_value=Decimal("650"), places=1)
heights = st.decimals(min_value=Decimal("50"), max_value=Decimal("275"), places=1)
durations = st.integers(min_value=1, max_value=1440)
sexes = st.sampled_from(["male", "female"])
RACEMIC = [p for p in protocols.all() if p.esketamine is None]


@given(per_kg, per_kg, weights)
def test_dose_is_monotonic_in_mg_per_kg(a, b, weight):
    low, high = sorted((a, b))
    assert weight_based_dose_mg(low, weight) <= weight_based_dose_mg(high, weight)


@given(per_kg, weights, weights)
def test_dose_is_monotonic_in_weight(mg_per_kg, a, b):
    low, high = sorted((a, b))
    assert weight_based_dose_mg(mg_per_kg, low) <= weight_based_dose_mg(mg_per_kg, high)


@given(per_kg, weights, amounts)
def test_dose_never_exceeds_the_cap(mg_per_kg, weight, cap):
    dose = weight_based_dose_mg(mg_per_kg, weight, max_mg=cap)
    assert dose <= cap
    assert dose == min(weight_based_dose_mg(mg_per_kg, weight), dose)


@given(amounts, durations, durations)
def test_rate_falls_as_the_infusion_lengthens(dose, a, b):
    short, long = sorted((a, b))
    assert infusion_rate_mg_per_h(dose, long) <= infusion_rate_mg_per_h(dose, short)


@given(amounts, amounts, durations)
def test_rate_rises_with_the_dose(a, b, duration):
    low, high = sorted((a, b))
    assert infusion_rate_mg_per_h(low, duration) <= infusion_rate_mg_per_h(high, duration)


@given(amounts, amounts, st.sampled_from([10, 50, 100]))
def test_volume_rises_with_the_dose(a, b, concentration):
    low, high = sorted((a, b))
    assert drug_volume_ml(low, concentration) <= drug_volume_ml(high, concentration)


@given(heights, heights, sexes)
def test_ideal_weight_is_monotonic_in_height_and_never_below_the_base(a, b, sex):
    low, high = sorted((a, b))
    assert ideal_body_weight_kg(low, sex) <= ideal_body_weight_kg(high, sex)
    assert ideal_body_weight_kg(low, sex) >= (Decimal("50") if sex == "male" else Decimal("45.5"))


@given(weights, heights, sexes)
def test_ideal_le_adjusted_le_total_dosing_weight(weight, height, sex):
    by_basis = {basis: dosing_weights(weight, height, sex, basis).dosing_weight_kg for basis in protocols.WEIGHT_BASES}
    assert by_basis["ideal"] <= by_basis["adjusted"] <= by_basis["total"] == weight.quantize(Decimal("0.1"))


@given(st.sampled_from(RACEMIC), amounts, weights, st.integers(min_value=0, max_value=600))
def test_check_dose_never_crashes_and_blocked_matches_the_findings(protocol, dose, weight, duration):
    check = check_dose(
        protocol, dose_mg=dose, dosing_weight_kg=weight, duration_min=duration if protocol.route == "iv" else None
    )
    assert check.blocked == any(f.severity in ("hard_stop", "override_allowed") for f in check.findings)
    codes = [f.code for f in check.findings]
    assert len(codes) == len(set(codes))


@given(st.sampled_from(RACEMIC), amounts, amounts, weights)
@example(protocols.get("oral"), Decimal("7.01"), Decimal("25"), Decimal("1"))
def test_a_bigger_dose_never_clears_a_ceiling_finding(protocol, a, b, weight):
    low, high = sorted((a, b))
    ceilings = {"dose_above_range", "infusion_ceiling_exceeded", "bolus_ceiling_exceeded", "rate_above_max"}
    low_codes = {f.code for f in check_dose(protocol, dose_mg=low, dosing_weight_kg=weight).findings} & ceilings
    high_codes = {f.code for f in check_dose(protocol, dose_mg=high, dosing_weight_kg=weight).findings} & ceilings
    if inside_a_range(protocol, high, weight):
        # A protocol with a mg/kg and a fixed-mg range accepts a dose inside either (check_dose): at 1 kg, 7.01 mg is
        # above 0.25–7 mg/kg yet below 25–300 mg, while 25 mg is inside the fixed range. Hypothesis found this case.
        low_codes.discard("dose_above_range")
    assert low_codes <= high_codes


def inside_a_range(protocol, dose, weight):
    per_kg = dose / weight
    by_weight = protocol.dose_mg_per_kg_min is not None and protocol.dose_mg_per_kg_max is not None
    fixed = protocol.dose_mg_min is not None and protocol.dose_mg_max is not None
    return (by_weight and protocol.dose_mg_per_kg_min <= per_kg <= protocol.dose_mg_per_kg_max) or (
        fixed and protocol.dose_mg_min <= dose <= protocol.dose_mg_max
    )


def test_a_dose_above_every_range_is_flagged_above():
    for protocol in RACEMIC:
        if protocol.dose_mg_max is None and protocol.dose_mg_per_kg_max is None:
            continue
        weight = Decimal("70")
        top = max(
            protocol.dose_mg_max or Decimal(0),
            (protocol.dose_mg_per_kg_max or Decimal(0)) * weight,
        )
        codes = {f.code for f in check_dose(protocol, dose_mg=top + 1, dosing_weight_kg=weight).findings}
        assert "dose_above_range" in codes, protocol.id


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    st.integers(min_value=18, max_value=100),
    st.integers(min_value=1, max_value=60),
    st.sampled_from([1, 2]),
)
def test_esketamine_sessions_are_ordered_and_never_closer_than_two_days(start, age, through_week, interval):
    sessions = esketamine_schedule(
        protocols.get("esketamine"),
        start,
        age_years=age,
        through_week=through_week,
        maintenance_interval_weeks=interval,
    )
    dates = [s.date for s in sessions]
    assert dates[0] == start
    assert all(later - earlier >= timedelta(days=3) for earlier, later in itertools.pairwise(dates))
    assert all(s.allowed_doses_mg for s in sessions)
    expected_induction = 2 * min(through_week, 4)
    assert sum(s.phase == "induction" for s in sessions) == expected_induction


@given(st.dates(), st.integers(min_value=1, max_value=30), st.sampled_from([2, 3]))
def test_induction_series_has_the_requested_count_and_per_week_cap(start, sessions, per_week):
    assume(start <= date(9000, 1, 1))
    dates = induction_series_dates(protocols.get("depression_iv"), start, sessions=sessions, sessions_per_week=per_week)
    assert len(dates) == sessions
    assert list(dates) == sorted(set(dates))
    for week in range(0, (sessions + per_week - 1) // per_week):
        window = [d for d in dates if start + timedelta(days=7 * week) <= d < start + timedelta(days=7 * (week + 1))]
        assert len(window) <= per_week
