"""Per-infusion scores of a series, the stop-signal wrapper and chart reference lines (clinical-rules.md §5)."""

from __future__ import annotations

import datetime as dt

import pytest

from ketaclinic.domain import outcomes, trajectory


def test_infusions_before_counts_starts_strictly_before() -> None:
    starts = [dt.datetime(2026, 1, d, 9, 0) for d in (1, 3, 5)]
    assert trajectory.infusions_before(starts, dt.datetime(2026, 1, 1, 8, 0)) == 0
    # A pre-dose score taken before infusion 2 starts belongs to infusion 1.
    assert trajectory.infusions_before(starts, dt.datetime(2026, 1, 3, 8, 59)) == 1
    # Taken at the very start of infusion 2: not after it yet.
    assert trajectory.infusions_before(starts, dt.datetime(2026, 1, 3, 9, 0)) == 1
    assert trajectory.infusions_before(starts, dt.datetime(2026, 2, 1)) == 3
    assert trajectory.infusions_before([], 5) == 0


def test_per_infusion_totals_takes_the_last_score_before_the_next_infusion() -> None:
    # Baseline 20; pre-dose of session 1 (0 given) is ignored; two scores after infusion 1: the later one counts.
    scores = trajectory.per_infusion_totals(20, [(0, 19), (1, 18), (1, 16), (2, 15), (3, 14)])
    assert scores.totals == (20, 16, 15, 14)
    assert scores.by_infusion == {1: 16, 2: 15, 3: 14}
    assert scores.missing == ()
    assert scores.assessed == 3


def test_a_gap_stops_the_contiguous_totals_and_is_reported() -> None:
    scores = trajectory.per_infusion_totals(20, [(1, 18), (3, 17), (4, 17)])
    assert scores.totals == (20, 18)
    assert scores.missing == (2,)
    assert scores.by_infusion == {1: 18, 3: 17, 4: 17}
    first_missing = trajectory.per_infusion_totals(20, [(2, 18)])
    assert first_missing.totals == (20,) and first_missing.missing == (1,) and first_missing.assessed == 0


def test_empty_series_is_only_the_baseline() -> None:
    scores = trajectory.per_infusion_totals(12, [])
    assert (scores.totals, scores.missing, scores.assessed) == ((12,), (), 0)


@pytest.mark.parametrize(
    ("series", "message"),
    [([(-1, 3)], "negative"), ([(2, 3), (1, 3)], "went down")],
)
def test_bad_series_is_refused(series: list[tuple[int, float]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        trajectory.per_infusion_totals(20, series)


def test_stop_not_suggested_at_infusion_2() -> None:
    result = trajectory.stop_assessment("phq9", "iv", 20, [(1, 20), (2, 20)])
    assert result.applies and not result.suggest_stop
    assert result.signal is not None and result.signal.infusions == 2
    assert "not suggested before infusion 3" in result.reason


def test_stop_suggested_at_infusion_4_under_20_percent() -> None:
    # 20 → 17 is a 15 % improvement after infusion 4: < 20 % (clinical-rules.md §5).
    result = trajectory.stop_assessment("phq9", "iv", 20, [(1, 19), (2, 14), (3, 15), (4, 17)])
    assert result.suggest_stop
    assert result.signal is not None
    assert result.signal.rule == "under_min_improvement_after_decision_infusion"
    assert result.reason == result.signal.reason


def test_responder_gets_no_stop_signal() -> None:
    result = trajectory.stop_assessment("madrs", "iv", 30, [(1, 24), (2, 18), (3, 14), (4, 12)])
    assert result.applies and not result.suggest_stop
    assert result.signal is not None and result.signal.percent_reductions[-1] == pytest.approx(60.0)


def test_missing_scores_are_explained() -> None:
    result = trajectory.stop_assessment("phq9", "iv", 20, [(1, 20), (2, 20), (4, 20)])
    assert result.signal is not None and result.signal.infusions == 2
    assert "No score after infusion(s) 3" in result.reason and "infusions 1–2 are assessed" in result.reason
    none_scored = trajectory.stop_assessment("phq9", "iv", 20, [(2, 20)])
    assert none_scored.reason.endswith("the rule needs a score after every infusion.")
    assert none_scored.scores is not None and none_scored.scores.assessed == 0


@pytest.mark.parametrize(
    ("instrument", "route", "baseline", "message"),
    [
        ("phq9", "im", 20, "IV ketamine series only"),
        ("phq9", None, 20, "IV ketamine series only"),
        ("gad7", "iv", 12, "depression scales"),
        ("pain_nrs", "iv", 8, "depression scales"),
        ("phq9", "iv", None, "No baseline"),
        ("phq9", "iv", 0, "baseline score is 0"),
    ],
)
def test_stop_signal_does_not_apply(instrument: str, route: str | None, baseline: float | None, message: str) -> None:
    result = trajectory.stop_assessment(instrument, route, baseline, [(1, 5), (2, 5), (3, 5), (4, 5)])
    assert not result.applies and not result.suggest_stop and result.signal is None and result.scores is None
    assert message in result.reason


@pytest.mark.parametrize(
    ("instrument", "remission", "inclusive"),
    [
        ("phq9", outcomes.PHQ9_REMISSION_BELOW, False),
        ("gad7", outcomes.GAD7_REMISSION_BELOW, False),
        ("qids_sr16", outcomes.QIDS_SR16_REMISSION_AT_MOST, True),
        ("madrs", outcomes.MADRS_REMISSION_AT_MOST, True),
    ],
)
def test_reference_lines_of_symptom_scales(instrument: str, remission: int, inclusive: bool) -> None:
    lines = trajectory.reference_lines(instrument, 20)
    # Response = 50 % reduction from baseline: 20 → 10 (clinical-rules.md §5).
    assert (lines.baseline_total, lines.response_total, lines.moderate_total) == (20, 10, None)
    assert (lines.remission_total, lines.remission_inclusive) == (remission, inclusive)


def test_madrs_remission_line_follows_the_clinic_cutoff() -> None:
    """Default ≤ 9 (Zimmerman 2004); a clinic comparing with the esketamine trials draws ≤ 12."""
    assert trajectory.reference_lines("madrs", 30).remission_total == 9
    assert trajectory.reference_lines("madrs", 30, madrs_remission_at_most=12).remission_total == 12


def test_reference_lines_of_pain_scales_use_immpact() -> None:
    lines = trajectory.reference_lines("pain_nrs", 8)
    # ≥ 50 % → 4, ≥ 30 % → 5.6 (IMMPACT, clinical-rules.md §5); no remission for pain.
    assert lines.response_total == pytest.approx(4.0)
    assert lines.moderate_total == pytest.approx(5.6)
    assert lines.remission_total is None


def test_reference_lines_without_a_usable_baseline_or_change_rules() -> None:
    assert trajectory.reference_lines("phq9", None).response_total is None
    assert trajectory.reference_lines("phq9", 0).response_total is None
    no_rules = trajectory.reference_lines("cadss", 10)
    assert (no_rules.baseline_total, no_rules.response_total, no_rules.remission_total) == (10, None, None)
