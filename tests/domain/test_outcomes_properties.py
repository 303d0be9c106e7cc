"""Properties of the outcome maths, checked with Hypothesis."""

from __future__ import annotations

import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ketaclinic.domain import instruments, outcomes
from ketaclinic.domain.outcomes import assess_change, detect_relapse, iv_series_stop_signal, proportion_ci

PROPERTY = settings(database=None, max_examples=300, deadline=None)


CHANGE_IDS = tuple(sorted(outcomes.CHANGE_INSTRUMENTS))


@st.composite
def instrument_and_totals(draw):
    instrument_id = draw(st.sampled_from(CHANGE_IDS))
    low, high = instruments.get(instrument_id).total_range
    totals = st.integers(int(low), int(high)) | st.floats(low, high)
    return instrument_id, draw(totals), draw(totals)


@PROPERTY
@given(instrument_and_totals())
def test_change_categories_are_consistent(case):
    instrument_id, baseline, current = case
    change = assess_change(instrument_id, baseline, current)
    assert not (change.response and change.partial_response)
    if change.response or change.partial_response:
        assert change.early_improvement
    if baseline == 0:
        assert change.percent_reduction is None
        assert not (change.response or change.partial_response or change.early_improvement)
    else:
        assert change.percent_reduction is not None
        assert math.isclose(change.percent_reduction, (baseline - current) / baseline * 100, abs_tol=1e-9)
        assert change.percent_reduction <= 100.0
    if instrument_id in outcomes.PAIN_INSTRUMENTS:
        assert change.remission is None
        assert change.substantial_improvement == change.response
        if change.substantial_improvement:
            assert change.moderate_improvement
    else:
        assert change.remission in (True, False)
        assert change.moderate_improvement is None


@PROPERTY
@given(instrument_and_totals(), st.floats(0, 1))
def test_a_lower_current_total_never_loses_a_category(case, fraction):
    instrument_id, baseline, current = case
    better = current * fraction
    worse_change = assess_change(instrument_id, baseline, current)
    better_change = assess_change(instrument_id, baseline, better)
    for name in ("response", "early_improvement", "remission", "moderate_improvement", "substantial_improvement"):
        if getattr(worse_change, name):
            assert getattr(better_change, name), name


@PROPERTY
@given(st.integers(1, 2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_contains_the_rate_and_stays_in_zero_to_one(case):
    successes, n = case
    rate, low, high = proportion_ci(successes, n)
    assert rate == successes / n
    assert 0.0 <= low <= rate <= high <= 1.0
    assert low < high


@PROPERTY
@given(st.integers(1, 2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_is_symmetric_between_successes_and_failures(case):
    successes, n = case
    _, low, high = proportion_ci(successes, n)
    _, mirrored_low, mirrored_high = proportion_ci(n - successes, n)
    assert math.isclose(low, 1 - mirrored_high, abs_tol=1e-12)
    assert math.isclose(high, 1 - mirrored_low, abs_tol=1e-12)


@PROPERTY
@given(st.integers(1, 500), st.integers(2, 4))
def test_wilson_interval_narrows_as_n_grows_at_a_fixed_rate(n, factor):
    _, low, high = proportion_ci(n, 2 * n)
    _, wider_low, wider_high = proportion_ci(factor * n, factor * 2 * n)
    assert high - low > wider_high - wider_low


@PROPERTY
@given(st.lists(st.integers(0, 27), min_size=1, max_size=10), st.integers(1, 27))
def test_stop_is_never_suggested_before_infusion_three_or_after_a_twenty_percent_improvement(after, baseline):
    totals = [baseline, *after]
    signal = iv_series_stop_signal("phq9", totals)
    assert len(signal.percent_reductions) == signal.infusions == len(after)
    if signal.infusions < 3:
        assert not signal.suggest_stop
    if signal.suggest_stop:
        assert signal.percent_reductions[-1] < 20.0
        assert signal.rule is not None
    else:
        assert signal.rule is None


@PROPERTY
@given(st.integers(1, 27), st.lists(st.integers(0, 27), max_size=12))
def test_relapse_only_happens_after_a_response_and_at_a_non_response_or_lost_remission(baseline, totals):
    series = list(enumerate(totals))
    signal = detect_relapse("phq9", baseline, series)
    if signal.relapsed:
        assert signal.responded_at is not None
        assert signal.time is not None
        assert signal.time > signal.responded_at
        change = assess_change("phq9", baseline, signal.total)
        assert ("above_half_baseline" in signal.criteria) is (not change.response)
        assert ("loss_of_remission" in signal.criteria) is (signal.remitted_at is not None and not change.remission)
        before = [total for time, total in series if time < signal.time and time >= signal.responded_at]
        assert all(assess_change("phq9", baseline, total).response for total in before)
    else:
        assume(signal.responded_at is not None)
        after = [total for time, total in series if time >= signal.responded_at]
        assert all(total * 2 <= baseline for total in after)
