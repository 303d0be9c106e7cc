"""A patient's outcome trajectory: per-infusion scores for the IV stop signal, and the reference lines of a chart.

Pure Python (no Django). The rules themselves live in ``ketaclinic.domain.outcomes`` (clinical-rules.md §5); this module
only arranges a patient's series so those rules can be applied, and never re-implements them:

- ``infusions_before``: how many infusions had started before a score was taken (the infusion count a score belongs to);
- ``per_infusion_totals``: the series ``[(infusions_given, total), ...]`` plus the baseline → the totals
  ``outcomes.iv_series_stop_signal`` expects (baseline first, then one score after each infusion);
- ``stop_assessment``: whether the stop signal applies (IV series, depression scale, a baseline above 0) and, if so,
  ``outcomes.iv_series_stop_signal`` on those totals;
- ``reference_lines``: the baseline, the response line and the remission threshold a chart draws for one scale.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ketaclinic.domain import outcomes
from ketaclinic.domain.vocabulary import IV_ROUTE

__all__ = [
    "IV_ROUTE",
    "InfusionScores",
    "ReferenceLines",
    "StopAssessment",
    "infusions_before",
    "per_infusion_totals",
    "reference_lines",
    "stop_assessment",
]


@dataclass(frozen=True)
class InfusionScores:
    """Scores arranged by infusion.

    ``totals`` is what ``outcomes.iv_series_stop_signal`` takes: the baseline, then the score after infusion 1, 2, …
    up to the last infusion before the first one without a score (a gap is never filled in). ``by_infusion`` maps every
    infusion that has a score to that score; ``missing`` lists the infusions given (up to the last scored one) that
    have none.
    """

    totals: tuple[float, ...]
    by_infusion: dict[int, float]
    missing: tuple[int, ...]

    @property
    def assessed(self) -> int:
        """Infusions counted by the stop rule: those in ``totals`` after the baseline."""
        return len(self.totals) - 1


@dataclass(frozen=True)
class StopAssessment:
    """The stop-signal suggestion for a patient's series on one scale.

    ``applies`` is False when the rule does not cover the case (not an IV series, not a depression scale, no baseline,
    a baseline of 0); then ``signal`` is None and ``reason`` says why. Otherwise ``signal`` is the result of
    ``outcomes.iv_series_stop_signal`` and ``reason`` its reason, with a note about infusions that have no score.
    """

    applies: bool
    suggest_stop: bool
    reason: str
    signal: outcomes.StopSignal | None
    scores: InfusionScores | None


@dataclass(frozen=True)
class ReferenceLines:
    """Horizontal lines of a trajectory chart for one scale.

    ``response_total`` is the total at which the reduction from baseline reaches ``RESPONSE_MIN_PCT`` (50 %, i.e. 50 %
    of baseline; clinical-rules.md §5); for pain scales it is the ≥ 50 % "substantial improvement" line and
    ``moderate_total`` the ≥ 30 % "moderate improvement" line (IMMPACT, clinical-rules.md §5).
    ``remission_total`` and ``remission_inclusive`` give the remission threshold where the scale defines one
    (PHQ-9 < 5, GAD-7 < 5, QIDS-SR16 ≤ 5, MADRS ≤ 10; clinical-rules.md §5): inclusive means "at most", otherwise
    "below".
    """

    baseline_total: float | None
    response_total: float | None
    moderate_total: float | None
    remission_total: float | None
    remission_inclusive: bool


def infusions_before(infusion_starts: Sequence[Any], moment: Any) -> int:
    """How many of ``infusion_starts`` (sorted, any ordered type) are strictly before ``moment``.

    A score taken before infusion ``k + 1`` started (its pre-dose score) and after infusion ``k`` counts ``k``.
    """
    return bisect.bisect_left(list(infusion_starts), moment)


def per_infusion_totals(baseline_total: float, series: Sequence[tuple[int, float]]) -> InfusionScores:
    """Arrange a time-ordered series of ``(infusions_given, total)`` by infusion.

    A score with ``infusions_given == k`` (k ≥ 1) was taken after infusion ``k`` and before infusion ``k + 1``: it is
    "the score 24 h after infusion k" of clinical-rules.md §5 (the pre-dose score of session ``k + 1`` counts, as the
    ``iv_series_stop_signal`` docstring reads the rule). When several scores fall in that interval the last one is
    used: it is the one closest to the next infusion (normally the pre-dose score), not one taken while the patient may
    still feel the acute effect. Scores before the first infusion (``infusions_given == 0``) belong to the baseline
    and are not used here.

    Raises
    ------
    ValueError
        A negative infusion count, or counts that go down (the series must be in time order).
    """
    by_infusion: dict[int, float] = {}
    previous = 0
    for index, (given, total) in enumerate(series):
        if given < 0:
            raise ValueError(f"series[{index}]: infusions given cannot be negative, got {given}")
        if given < previous:
            raise ValueError(f"series[{index}]: infusions given went down from {previous} to {given} (not in order)")
        previous = given
        if given >= 1:
            by_infusion[given] = total
    last = max(by_infusion, default=0)
    missing = tuple(k for k in range(1, last + 1) if k not in by_infusion)
    contiguous = (missing[0] - 1) if missing else last
    totals = (baseline_total, *(by_infusion[k] for k in range(1, contiguous + 1)))
    return InfusionScores(totals=totals, by_infusion=by_infusion, missing=missing)


def stop_assessment(
    instrument_id: str, route: str | None, baseline_total: float | None, series: Sequence[tuple[int, float]]
) -> StopAssessment:
    """The IV-series stop suggestion (clinical-rules.md §5) for one scale, or why it does not apply.

    The rule is ``outcomes.iv_series_stop_signal`` (never before infusion 3; < 20 % improvement from infusion 4 on,
    or three consecutive non-improvements). It is applied only to an IV series (``route == "iv"``) and the depression
    scales it was derived from (``outcomes.DEPRESSION_INSTRUMENTS``), with a baseline above 0.
    """
    if route != IV_ROUTE:
        return StopAssessment(
            False,
            False,
            "The stop signal is defined for an IV ketamine series only (Translational Psychiatry 2024).",
            None,
            None,
        )
    if instrument_id not in outcomes.DEPRESSION_INSTRUMENTS:
        names = ", ".join(sorted(outcomes.DEPRESSION_INSTRUMENTS))
        return StopAssessment(
            False,
            False,
            f"The stop signal is defined for depression scales ({names}), not {instrument_id} "
            "(Translational Psychiatry 2024).",
            None,
            None,
        )
    if baseline_total is None:
        return StopAssessment(False, False, "No baseline score yet: improvement cannot be measured.", None, None)
    if baseline_total == 0:
        return StopAssessment(False, False, "The baseline score is 0: improvement cannot be measured.", None, None)
    scores = per_infusion_totals(baseline_total, series)
    signal = outcomes.iv_series_stop_signal(instrument_id, scores.totals)
    reason = signal.reason
    if scores.missing:
        listed = ", ".join(str(k) for k in scores.missing)
        reason += (
            f" No score after infusion(s) {listed}: the rule needs a score after every infusion, so only "
            f"infusions 1–{scores.assessed} are assessed."
            if scores.assessed
            else f" No score after infusion(s) {listed}: the rule needs a score after every infusion."
        )
    return StopAssessment(True, signal.suggest_stop, reason, signal, scores)


def reference_lines(
    instrument_id: str,
    baseline_total: float | None,
    *,
    madrs_remission_at_most: int = outcomes.MADRS_REMISSION_AT_MOST,
) -> ReferenceLines:
    """Baseline, response (and pain moderate-improvement) lines and the remission threshold (clinical-rules.md §5).

    Every number comes from ``domain.outcomes`` constants; the MADRS remission line is the clinic's cut-off
    (default ≤ 9, Zimmerman 2004). Scales without change rules get only the baseline.
    """
    remission: float | None = None
    inclusive = False
    if instrument_id == "phq9":
        remission = outcomes.PHQ9_REMISSION_BELOW
    elif instrument_id == "gad7":
        remission = outcomes.GAD7_REMISSION_BELOW
    elif instrument_id == "qids_sr16":
        remission, inclusive = outcomes.QIDS_SR16_REMISSION_AT_MOST, True
    elif instrument_id == "madrs":
        remission, inclusive = madrs_remission_at_most, True
    response = moderate = None
    if baseline_total is not None and baseline_total > 0 and instrument_id in outcomes.CHANGE_INSTRUMENTS:
        if instrument_id in outcomes.PAIN_INSTRUMENTS:
            response = baseline_total * (1 - outcomes.PAIN_SUBSTANTIAL_IMPROVEMENT_MIN_PCT / 100)
            moderate = baseline_total * (1 - outcomes.PAIN_MODERATE_IMPROVEMENT_MIN_PCT / 100)
        else:
            response = baseline_total * (1 - outcomes.RESPONSE_MIN_PCT / 100)
    return ReferenceLines(baseline_total, response, moderate, remission, inclusive)
