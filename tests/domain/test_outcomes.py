"""Outcome maths: change from baseline, Wilson intervals, IV-series stop signal and relapse detection.

Thresholds from shared/knowledge/clinical-rules.md §5; Wilson values computed by hand from
centre = (p + z²/2n) / (1 + z²/n), half-width = z·√(p(1−p)/n + z²/4n²) / (1 + z²/n), z = 1.959963984540054.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from ketaclinic.domain import instruments, outcomes
from ketaclinic.domain.outcomes import assess_change, detect_relapse, iv_series_stop_signal, proportion_ci

# --- assess_change --------------------------------------------------------------------------------------------------


def test_contract_example_phq9_twenty_to_ten_is_a_fifty_percent_response():
    change = assess_change("phq9", baseline_total=20, current_total=10)
    assert change.percent_reduction == 50.0
    assert change.response is True
    assert change.partial_response is False
    assert change.early_improvement is True
    assert change.remission is False
    assert change.moderate_improvement is None
    assert change.substantial_improvement is None


@pytest.mark.parametrize(
    ("current", "percent", "response", "partial", "early"),
    [
        (10, 50.0, True, False, True),  # response boundary, on it
        (11, 45.0, False, True, True),  # just below response
        (15, 25.0, False, True, True),  # partial boundary, on it
        (16, 20.0, False, False, True),  # below partial; early-improvement boundary, on it
        (17, 15.0, False, False, False),  # below early improvement
        (0, 100.0, True, False, True),
        (20, 0.0, False, False, False),
        (25, -25.0, False, False, False),  # worse than baseline
    ],
)
def test_response_partial_response_and_early_improvement_boundaries(current, percent, response, partial, early):
    change = assess_change("phq9", 20, current)
    assert change.percent_reduction == pytest.approx(percent)
    assert (change.response, change.partial_response, change.early_improvement) == (response, partial, early)


def test_partial_response_just_below_twenty_five_percent_is_false():
    change = assess_change("madrs", 40, 31)  # 22.5 %
    assert change.partial_response is False
    assert change.early_improvement is True


def test_response_just_below_fifty_percent_is_partial():
    change = assess_change("madrs", 40, 21)  # 47.5 %
    assert (change.response, change.partial_response) == (False, True)


@pytest.mark.parametrize(
    ("instrument_id", "current", "remission"),
    [
        ("phq9", 4, True),
        ("phq9", 5, False),
        ("gad7", 4, True),
        ("gad7", 5, False),
        ("qids_sr16", 5, True),
        ("qids_sr16", 6, False),
        ("madrs", 9, True),
        ("madrs", 10, False),
    ],
)
def test_remission_thresholds_per_instrument(instrument_id, current, remission):
    assert assess_change(instrument_id, 20, current).remission is remission


@pytest.mark.parametrize(("current", "remission"), [(12, True), (13, False), (10, True)])
def test_madrs_remission_can_use_the_esketamine_trial_cut_off_of_twelve(current, remission):
    change = assess_change(
        "madrs", 30, current, madrs_remission_at_most=outcomes.MADRS_REMISSION_AT_MOST_ESKETAMINE_TRIALS
    )
    assert change.remission is remission


def test_madrs_default_remission_cut_off_is_nine_zimmerman_2004():
    """Zimmerman M et al., J Clin Psychiatry 2004;65:163-168: MADRS ≤ 9 is the empirical broad remission cut-off
    (issue 16 item 11; the code used ≤ 10, so a MADRS of 10 counted as remission)."""
    assert outcomes.MADRS_REMISSION_AT_MOST == 9
    assert assess_change("madrs", 30, 9).remission is True
    assert assess_change("madrs", 30, 10).remission is False


@pytest.mark.parametrize(("cutoff", "remits", "does_not"), [(9, 9, 10), (10, 10, 11), (12, 12, 13), (4, 4, 5)])
def test_every_madrs_cutoff_a_clinic_may_choose(cutoff, remits, does_not):
    """Zimmerman 2004 (≤ 9 broad, ≤ 4 narrow); ≤ 10 as in many trials; ≤ 12 as in the esketamine trials."""
    assert cutoff in outcomes.MADRS_REMISSION_CUTOFFS
    assert assess_change("madrs", 30, remits, madrs_remission_at_most=cutoff).remission is True
    assert assess_change("madrs", 30, does_not, madrs_remission_at_most=cutoff).remission is False


def test_remission_rule_says_which_cutoff_is_used():
    assert outcomes.remission_rule("madrs") == outcomes.MADRS_REMISSION_CUTOFFS[9]
    assert outcomes.remission_rule("madrs", madrs_remission_at_most=12).startswith("MADRS ≤ 12")
    assert outcomes.remission_rule("madrs", madrs_remission_at_most=7) == "MADRS ≤ 7"
    assert outcomes.remission_rule("phq9") == "PHQ-9 < 5 (Kroenke 2001)"
    assert outcomes.remission_rule("pain_nrs") is None
    with pytest.raises(ValueError):
        outcomes.remission_rule("cadss")


def test_madrs_cutoff_texts_name_their_source_and_the_default_comes_first():
    assert next(iter(outcomes.MADRS_REMISSION_CUTOFFS)) == outcomes.MADRS_REMISSION_AT_MOST
    assert "Zimmerman 2004" in outcomes.MADRS_REMISSION_CUTOFFS[9]
    assert ".md" not in " ".join(outcomes.MADRS_REMISSION_CUTOFFS.values())


@pytest.mark.parametrize("instrument_id", ["pain_nrs", "peg", "bpi"])
def test_remission_is_not_defined_for_pain(instrument_id):
    assert assess_change(instrument_id, 8, 0).remission is None


@pytest.mark.parametrize(
    ("current", "moderate", "substantial"),
    [(7, True, False), (8, False, False), (5, True, True), (6, True, False), (0, True, True)],
)
def test_pain_improvement_boundaries_thirty_and_fifty_percent(current, moderate, substantial):
    change = assess_change("pain_nrs", 10, current)
    assert (change.moderate_improvement, change.substantial_improvement) == (moderate, substantial)


def test_peg_thirds_land_on_the_intended_side_of_thirty_percent():
    baseline = instruments.score("peg", [4, 3, 3]).total  # 10/3
    current = instruments.score("peg", [3, 2, 2]).total  # 7/3: exactly 30 % less
    change = assess_change("peg", baseline, current)
    assert change.percent_reduction == pytest.approx(30.0)
    assert change.moderate_improvement is True
    assert change.substantial_improvement is False


def test_float_rounding_of_a_mean_does_not_push_an_exact_threshold_below_itself():
    baseline = instruments.score("peg", [2, 1, 1]).total  # 4/3
    current = instruments.score("peg", [1, 1, 1]).total  # 1: exactly 25 % less, 24.999999999999993 in floats
    change = assess_change("peg", baseline, current)
    assert change.percent_reduction == pytest.approx(25.0)
    assert change.partial_response is True


def test_bpi_change_uses_the_severity_mean():
    change = assess_change("bpi", 6.0, 3.0)
    assert change.percent_reduction == 50.0
    assert change.substantial_improvement is True
    assert change.response is True


@pytest.mark.parametrize("instrument_id", ["phq9", "gad7", "qids_sr16", "madrs"])
def test_baseline_zero_has_no_percentage_and_no_response(instrument_id):
    change = assess_change(instrument_id, 0, 0)
    assert change.percent_reduction is None
    assert (change.response, change.partial_response, change.early_improvement) == (False, False, False)
    assert change.remission is True
    assert change.moderate_improvement is None


def test_baseline_zero_pain_has_no_improvement():
    change = assess_change("pain_nrs", 0, 3)
    assert change.percent_reduction is None
    assert (change.moderate_improvement, change.substantial_improvement) == (False, False)
    assert change.remission is None


def test_unknown_instrument_is_a_value_error():
    with pytest.raises(ValueError, match="'phq8'"):
        assess_change("phq8", 10, 5)


@pytest.mark.parametrize("instrument_id", ["cadss", "cssrs_screener", "aldrete", "padss", "moaas", "rass"])
def test_instruments_without_change_rules_are_refused(instrument_id):
    with pytest.raises(ValueError, match=rf"'{instrument_id}' is not supported here"):
        assess_change(instrument_id, 2, 1)


@pytest.mark.parametrize(
    ("baseline", "current", "message"),
    [
        (-1, 5, "baseline_total -1 is out of range 0–27 for phq9"),
        (10, 28, "current_total 28 is out of range 0–27 for phq9"),
        (10, -0.5, "current_total -0.5 is out of range"),
        (True, 5, "baseline_total must be a number, got True"),
        (10, float("nan"), "current_total must be a number"),
        (10, float("inf"), "current_total must be a number"),
        ("10", 5, "baseline_total must be a number"),
        (None, 5, "baseline_total must be a number"),
    ],
)
def test_totals_must_be_numbers_in_the_instrument_range(baseline, current, message):
    with pytest.raises(ValueError, match=message):
        assess_change("phq9", baseline, current)


def test_change_is_frozen():
    change = assess_change("phq9", 20, 10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        change.response = False  # type: ignore[misc]


# --- BPI interference -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "meaningful"), [(4.0, True), (3.0, True), (4.25, False), (6.0, False)])
def test_bpi_interference_reduction_of_one_point_is_meaningful(current, meaningful):
    change = outcomes.bpi_interference_change(5.0, current)
    assert change.change_points == pytest.approx(5.0 - current)
    assert change.meaningful_improvement is meaningful


def test_bpi_interference_threshold_is_a_parameter():
    assert outcomes.bpi_interference_change(5.0, 3.5, min_change_points=2.0).meaningful_improvement is False


def test_bpi_interference_outside_zero_to_ten_is_refused():
    with pytest.raises(ValueError, match="current_interference 11 is out of range 0–10 for bpi"):
        outcomes.bpi_interference_change(5.0, 11)


# --- proportion_ci --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "n", "expected"),
    [
        (5, 10, (0.5, 0.2366, 0.7634)),
        (0, 10, (0.0, 0.0, 0.2775)),
        (10, 10, (1.0, 0.7225, 1.0)),
        (50, 100, (0.5, 0.4038, 0.5962)),
        (1, 1, (1.0, 0.2065, 1.0)),
        (0, 1, (0.0, 0.0, 0.7935)),
    ],
)
def test_wilson_interval_matches_hand_computed_values(successes, n, expected):
    rate, low, high = proportion_ci(successes, n)
    assert rate == expected[0]
    assert low == pytest.approx(expected[1], abs=5e-5)
    assert high == pytest.approx(expected[2], abs=5e-5)


def test_wilson_interval_is_exactly_zero_and_one_at_the_ends():
    assert proportion_ci(0, 10)[1] == 0.0
    assert proportion_ci(10, 10)[2] == 1.0


def test_wilson_z_is_the_two_sided_95_percent_quantile():
    assert outcomes.WILSON_Z_95 == 1.959963984540054


def test_a_wider_z_gives_a_wider_interval():
    _, low95, high95 = proportion_ci(5, 10)
    _, low99, high99 = proportion_ci(5, 10, z=2.5758293035489)
    assert low99 < low95 < high95 < high99


def test_n_of_zero_is_a_value_error_naming_n():
    with pytest.raises(ValueError, match="n must be at least 1, got n=0"):
        proportion_ci(0, 0)


@pytest.mark.parametrize(("successes", "n"), [(11, 10), (-1, 10)])
def test_successes_outside_zero_to_n_are_refused(successes, n):
    with pytest.raises(ValueError, match="successes must be between 0 and n=10"):
        proportion_ci(successes, n)


@pytest.mark.parametrize(("successes", "n", "name"), [(True, 10, "successes"), (5, 10.0, "n"), (2.5, 10, "successes")])
def test_counts_must_be_whole_numbers(successes, n, name):
    with pytest.raises(ValueError, match=f"{name} must be a whole number"):
        proportion_ci(successes, n)


# --- IV-series stop signal ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("totals", [[20], [20, 20], [20, 20, 20], [20, 27, 27]])
def test_never_suggests_stopping_before_infusion_three(totals):
    signal = iv_series_stop_signal("phq9", totals)
    assert signal.suggest_stop is False
    assert signal.rule is None
    assert signal.infusions == len(totals) - 1
    assert "not suggested before infusion 3" in signal.reason


def test_three_non_improvements_through_infusion_three_suggest_stopping():
    signal = iv_series_stop_signal("phq9", [20, 19, 18, 17])  # 5, 10, 15 %
    assert signal.suggest_stop is True
    assert signal.rule == "consecutive_non_improvements"
    assert signal.infusions == 3
    assert signal.percent_reductions == pytest.approx((5.0, 10.0, 15.0))
    assert "infusions 1–3" in signal.reason


def test_an_early_improvement_at_infusion_one_breaks_the_run_of_three():
    signal = iv_series_stop_signal("phq9", [20, 16, 18, 18])  # 20 %, then 10 %, 10 %
    assert signal.suggest_stop is False
    assert "no stop signal" in signal.reason


def test_twenty_percent_at_infusion_three_is_an_improvement_not_a_non_improvement():
    assert iv_series_stop_signal("phq9", [20, 20, 20, 16]).suggest_stop is False
    assert iv_series_stop_signal("phq9", [20, 20, 20, 17]).suggest_stop is True


@pytest.mark.parametrize(("after_four", "stop"), [(20, False), (21, True), (25, True), (10, False)])
def test_under_twenty_percent_after_infusion_four_suggests_stopping(after_four, stop):
    signal = iv_series_stop_signal("phq9", [25, 15, 15, 15, after_four])  # 25 → 20 is exactly 20 %
    assert signal.suggest_stop is stop
    assert signal.rule == ("under_min_improvement_after_decision_infusion" if stop else None)
    if stop:
        assert "after infusion 4" in signal.reason


def test_a_later_infusion_is_judged_on_its_latest_score():
    assert iv_series_stop_signal("phq9", [20, 20, 20, 20, 18, 10]).suggest_stop is False
    later_relapse = iv_series_stop_signal("phq9", [20, 10, 10, 10, 10, 19])
    assert later_relapse.suggest_stop is True
    assert "after infusion 5" in later_relapse.reason


def test_stop_rule_parameters_can_be_tuned():
    totals = [20, 19, 19, 19, 19]
    assert iv_series_stop_signal("phq9", totals, decision_infusion=6, consecutive_non_improvements=5).suggest_stop is (
        False
    )
    assert iv_series_stop_signal("phq9", totals[:3], not_before_infusion=2, consecutive_non_improvements=2).rule == (
        "consecutive_non_improvements"
    )
    assert iv_series_stop_signal("phq9", [20, 15, 15, 15], min_improvement_pct=30.0).suggest_stop is True


def test_stop_signal_defaults_are_the_cited_values():
    assert outcomes.STOP_NOT_BEFORE_INFUSION == 3
    assert outcomes.STOP_DECISION_INFUSION == 4
    assert outcomes.STOP_MIN_IMPROVEMENT_PCT == 20.0
    assert outcomes.STOP_CONSECUTIVE_NON_IMPROVEMENTS == 3


@pytest.mark.parametrize("instrument_id", ["qids_sr16", "madrs"])
def test_stop_signal_works_for_every_depression_scale(instrument_id):
    assert iv_series_stop_signal(instrument_id, [20, 20, 20, 20]).suggest_stop is True


def test_stop_signal_refuses_non_depression_scales():
    with pytest.raises(ValueError, match="'gad7' is not supported here"):
        iv_series_stop_signal("gad7", [10, 10, 10, 10])


def test_stop_signal_needs_a_baseline():
    with pytest.raises(ValueError, match="totals must start with the baseline total"):
        iv_series_stop_signal("phq9", [])


def test_stop_signal_refuses_a_zero_baseline():
    with pytest.raises(ValueError, match=r"totals\[0\] \(baseline\) is 0"):
        iv_series_stop_signal("phq9", [0, 0, 0, 0])


def test_stop_signal_names_an_out_of_range_total():
    with pytest.raises(ValueError, match=r"totals\[2\] 30 is out of range"):
        iv_series_stop_signal("phq9", [20, 10, 30])


# --- relapse --------------------------------------------------------------------------------------------------------


def test_no_response_means_no_relapse():
    signal = detect_relapse("phq9", 20, [(1, 15), (2, 12), (3, 18)])
    assert signal.relapsed is False
    assert signal.time is None
    assert signal.responded_at is None
    assert signal.remitted_at is None
    assert signal.criteria == frozenset()


def test_return_above_half_of_baseline_after_response_is_a_relapse_at_that_time():
    signal = detect_relapse("phq9", 20, [(1, 15), (2, 9), (3, 10), (4, 11), (5, 14)])
    assert signal.relapsed is True
    assert signal.time == 4
    assert signal.total == 11
    assert signal.criteria == {"above_half_baseline"}
    assert signal.responded_at == 2
    assert signal.remitted_at is None


def test_exactly_half_of_baseline_is_still_a_response_not_a_relapse():
    signal = detect_relapse("phq9", 20, [(1, 8), (2, 10)])
    assert signal.relapsed is False
    assert signal.responded_at == 1


def test_loss_of_remission_is_a_relapse_even_while_still_responding():
    signal = detect_relapse("phq9", 20, [(1, 8), (2, 4), (3, 3), (4, 5)])
    assert signal.relapsed is True
    assert signal.time == 4
    assert signal.criteria == {"loss_of_remission"}
    assert signal.responded_at == 1
    assert signal.remitted_at == 2


def test_falling_from_remission_to_above_half_baseline_meets_both_criteria():
    signal = detect_relapse("phq9", 20, [(1, 2), (2, 12)])
    assert signal.criteria == {"above_half_baseline", "loss_of_remission"}
    assert signal.remitted_at == 1


def test_before_response_worsening_is_not_a_relapse():
    signal = detect_relapse("phq9", 20, [(1, 25), (2, 10), (3, 9)])
    assert signal.relapsed is False
    assert signal.responded_at == 2


def test_remission_before_response_is_not_tracked():
    # baseline 6: 4 is remission (< 5) but only a 33 % reduction; 3 is response + remission
    signal = detect_relapse("phq9", 6, [(1, 4), (2, 3), (3, 5)])
    assert signal.responded_at == 2
    assert signal.remitted_at == 2
    assert signal.criteria == {"loss_of_remission", "above_half_baseline"}


def test_pain_relapse_uses_only_the_half_baseline_criterion():
    signal = detect_relapse("pain_nrs", 8, [(1, 4), (2, 0), (3, 4), (4, 5)])
    assert signal.remitted_at is None
    assert signal.time == 4
    assert signal.criteria == {"above_half_baseline"}


def test_relapse_accepts_dates_and_equal_times():
    series = [(date(2025, 1, 1), 9), (date(2025, 1, 1), 8), (date(2025, 2, 1), 12)]
    signal = detect_relapse("phq9", 20, series)
    assert signal.time == date(2025, 2, 1)
    assert signal.responded_at == date(2025, 1, 1)


def test_relapse_refuses_times_out_of_order():
    with pytest.raises(ValueError, match=r"series\[1\] time 1 is earlier than the one before it \(2\)"):
        detect_relapse("phq9", 20, [(2, 10), (1, 10)])


def test_relapse_uses_the_madrs_remission_parameter():
    series = [(1, 12), (2, 11)]
    assert detect_relapse("madrs", 30, series).remitted_at is None
    tuned = detect_relapse("madrs", 30, series, madrs_remission_at_most=12)
    assert tuned.remitted_at == 1
    assert tuned.relapsed is False


def test_relapse_refuses_unsupported_instruments_and_bad_totals():
    with pytest.raises(ValueError, match="'cadss' is not supported here"):
        detect_relapse("cadss", 20, [(1, 10)])
    with pytest.raises(ValueError, match="current_total 99 is out of range"):
        detect_relapse("phq9", 20, [(1, 99)])


def test_empty_series_has_no_relapse():
    assert detect_relapse("phq9", 20, []).relapsed is False
