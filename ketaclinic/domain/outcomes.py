"""Outcome maths for measurement-based care: change from baseline, rates with confidence intervals, stop and relapse
signals (design/CONTRACTS.md §4.2).

Pure Python. Every threshold is a module constant (or keyword parameter) whose default is the value in
``shared/knowledge/clinical-rules.md`` §5, with the original source named next to it:

- response ≥ 50 % reduction from baseline, partial response 25 % ≤ reduction < 50 %, early improvement ≥ 20 %;
- remission: PHQ-9 < 5, GAD-7 < 5, QIDS-SR16 ≤ 5, MADRS ≤ 9 (Zimmerman 2004; a clinic setting may choose ≤ 10 as in
  many trials, ≤ 12 to compare with the esketamine trials, or ≤ 4, see ``MADRS_REMISSION_CUTOFFS``);
- pain (NRS, PEG, BPI severity): ≥ 30 % reduction = moderate, ≥ 50 % = substantial improvement (IMMPACT); remission
  is not defined for pain (``None``); BPI interference change ≥ 1 point;
- IV-series stop signal and relapse signal (see ``iv_series_stop_signal`` and ``detect_relapse`` for how the rules
  are read).

Percentages are compared with a tolerance of ``1e-9`` percentage points so that means such as PEG totals (thirds)
land on the intended side of a threshold despite binary floating point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, Protocol, TypeVar

from ketaclinic.domain import instruments

__all__ = [
    "ABOVE_HALF_BASELINE",
    "BPI_INTERFERENCE_MIN_CHANGE_POINTS",
    "CHANGE_INSTRUMENTS",
    "DEPRESSION_INSTRUMENTS",
    "EARLY_IMPROVEMENT_MIN_PCT",
    "GAD7_REMISSION_BELOW",
    "LOSS_OF_REMISSION",
    "MADRS_REMISSION_AT_MOST",
    "MADRS_REMISSION_AT_MOST_ESKETAMINE_TRIALS",
    "MADRS_REMISSION_CUTOFFS",
    "PAIN_INSTRUMENTS",
    "PAIN_MODERATE_IMPROVEMENT_MIN_PCT",
    "PAIN_SUBSTANTIAL_IMPROVEMENT_MIN_PCT",
    "PARTIAL_RESPONSE_MIN_PCT",
    "PHQ9_REMISSION_BELOW",
    "QIDS_SR16_REMISSION_AT_MOST",
    "RESPONSE_MIN_PCT",
    "STOP_CONSECUTIVE_NON_IMPROVEMENTS",
    "STOP_DECISION_INFUSION",
    "STOP_MIN_IMPROVEMENT_PCT",
    "STOP_NOT_BEFORE_INFUSION",
    "WILSON_Z_95",
    "Change",
    "InterferenceChange",
    "RelapseSignal",
    "StopSignal",
    "assess_change",
    "bpi_interference_change",
    "detect_relapse",
    "iv_series_stop_signal",
    "proportion_ci",
    "remission_rule",
]

# --- Change thresholds: clinical-rules.md §5 -------------------------------------------------------------------------
#: Response: reduction from baseline ≥ 50 % (clinical-rules.md §5).
RESPONSE_MIN_PCT: Final = 50.0
#: Partial response: 25 % ≤ reduction < 50 % (clinical-rules.md §5).
PARTIAL_RESPONSE_MIN_PCT: Final = 25.0
#: Early improvement: reduction ≥ 20 % (clinical-rules.md §5).
EARLY_IMPROVEMENT_MIN_PCT: Final = 20.0
#: Pain: ≥ 30 % reduction = moderately important improvement (clinical-rules.md §5; Dworkin et al., IMMPACT,
#: J Pain 2008;9:105-121).
PAIN_MODERATE_IMPROVEMENT_MIN_PCT: Final = 30.0
#: Pain: ≥ 50 % reduction = substantial improvement (clinical-rules.md §5; IMMPACT 2008).
PAIN_SUBSTANTIAL_IMPROVEMENT_MIN_PCT: Final = 50.0
#: BPI interference: a reduction of ≥ 1 point is a meaningful change (clinical-rules.md §5; IMMPACT 2008).
BPI_INTERFERENCE_MIN_CHANGE_POINTS: Final = 1.0

# --- Remission: clinical-rules.md §5 ---------------------------------------------------------------------------------
#: PHQ-9 remission: total < 5 (clinical-rules.md §5; Kroenke 2001).
PHQ9_REMISSION_BELOW: Final = 5
#: GAD-7 remission: total < 5 (clinical-rules.md §5; Spitzer 2006).
GAD7_REMISSION_BELOW: Final = 5
#: QIDS-SR16 remission: total ≤ 5 (clinical-rules.md §5; Rush 2003).
QIDS_SR16_REMISSION_AT_MOST: Final = 5
#: MADRS remission: total ≤ 9, the empirically derived broad cut-off (Zimmerman M, Posternak MA, Chelminski I.
#: Derivation of a definition of remission on the Montgomery-Asberg Depression Rating Scale corresponding to the
#: definition of remission on the Hamilton Rating Scale for Depression. J Clin Psychiatry 2004;65(2):163-168).
MADRS_REMISSION_AT_MOST: Final = 9
#: MADRS remission as defined in the esketamine trials (TRANSFORM): total ≤ 12 (a clinic setting).
MADRS_REMISSION_AT_MOST_ESKETAMINE_TRIALS: Final = 12
#: The MADRS remission cut-offs a clinic may choose, ``{at_most: why}``; the first is the default. Each text names its
#: source and is shown wherever a MADRS remission rate is.
MADRS_REMISSION_CUTOFFS: Final[dict[int, str]] = {
    MADRS_REMISSION_AT_MOST: "MADRS ≤ 9: empirical broad cut-off (Zimmerman 2004, J Clin Psychiatry 65:163)",
    10: "MADRS ≤ 10: the cut-off of many antidepressant trials",
    MADRS_REMISSION_AT_MOST_ESKETAMINE_TRIALS: "MADRS ≤ 12: as in the esketamine trials (TRANSFORM-2, TRANSFORM-3), "
    "to compare with them",
    4: "MADRS ≤ 4: narrow cut-off, symptom-free (Zimmerman 2004)",
}

# --- IV-series stop signal: clinical-rules.md §5 ---------------------------------------------------------------------
#: Never suggest stopping before this many infusions have been assessed: 58 % of early non-improvers still improved by
#: infusion 4 (clinical-rules.md §5; CRTCE, n = 134).
STOP_NOT_BEFORE_INFUSION: Final = 3
#: "< 20 % improvement 24 h after infusion 4" predicted overall non-response with > 90 % sensitivity
#: (clinical-rules.md §5; Translational Psychiatry 2024).
STOP_DECISION_INFUSION: Final = 4
STOP_MIN_IMPROVEMENT_PCT: Final = 20.0
#: "... or three consecutive non-improvements after infusion 3" (clinical-rules.md §5; Translational Psychiatry 2024).
STOP_CONSECUTIVE_NON_IMPROVEMENTS: Final = 3

# --- Statistics ------------------------------------------------------------------------------------------------------
#: Two-sided 95 % normal quantile, Φ⁻¹(0.975), for the Wilson score interval (Wilson, JASA 1927;22:209-212).
WILSON_Z_95: Final = 1.959963984540054

#: Instruments with a remission threshold (clinical-rules.md §5).
DEPRESSION_INSTRUMENTS: Final = frozenset({"phq9", "qids_sr16", "madrs"})
#: Pain instruments: IMMPACT improvement categories instead of remission (clinical-rules.md §5).
PAIN_INSTRUMENTS: Final = frozenset({"pain_nrs", "peg", "bpi"})
#: Every instrument ``assess_change`` accepts.
CHANGE_INSTRUMENTS: Final = DEPRESSION_INSTRUMENTS | {"gad7"} | PAIN_INSTRUMENTS

_TOLERANCE_PCT: Final = 1e-9
#: ``RelapseSignal.criteria`` values (clinical-rules.md §5: "a return above 50 % of baseline (or loss of remission)").
ABOVE_HALF_BASELINE: Final = "above_half_baseline"
LOSS_OF_REMISSION: Final = "loss_of_remission"


@dataclass(frozen=True)
class Change:
    """Change of one instrument's total from baseline.

    ``percent_reduction`` is positive for improvement and negative for worsening; it is ``None`` when the baseline is
    0, and then ``response``, ``partial_response``, ``early_improvement`` and the pain improvements are ``False``.
    ``remission`` is ``None`` for pain instruments (not defined); ``moderate_improvement`` and
    ``substantial_improvement`` are ``None`` for non-pain instruments.
    """

    instrument: str
    baseline_total: float
    current_total: float
    percent_reduction: float | None
    response: bool
    partial_response: bool
    early_improvement: bool
    remission: bool | None
    moderate_improvement: bool | None = None
    substantial_improvement: bool | None = None


@dataclass(frozen=True)
class InterferenceChange:
    """Change of the BPI interference mean: ``change_points`` = baseline − current (positive = better)."""

    baseline_interference: float
    current_interference: float
    change_points: float
    meaningful_improvement: bool


@dataclass(frozen=True)
class StopSignal:
    """Whether to suggest stopping an IV series.

    ``rule`` is ``"under_min_improvement_after_decision_infusion"``, ``"consecutive_non_improvements"`` or ``None``;
    ``percent_reductions`` has one entry per assessed infusion (infusion 1 first).
    """

    suggest_stop: bool
    reason: str
    rule: str | None
    infusions: int
    percent_reductions: tuple[float, ...]


class _Ordered(Protocol):
    def __lt__(self, other: Any, /) -> bool: ...


T = TypeVar("T", bound=_Ordered)


@dataclass(frozen=True)
class RelapseSignal(Generic[T]):
    """Result of ``detect_relapse``.

    ``time``/``total`` are those of the first relapsing measurement (``None`` when there is none); ``criteria`` holds
    ``"above_half_baseline"`` and/or ``"loss_of_remission"``; ``responded_at`` / ``remitted_at`` are the times response
    and remission were first reached (``None`` if never).
    """

    relapsed: bool
    time: T | None
    total: float | None
    criteria: frozenset[str]
    responded_at: T | None
    remitted_at: T | None


def _check_total(instrument_id: str, name: str, value: object) -> float:
    """Refuse a total that is not a finite number inside the instrument's range."""
    low, high = instruments.get(instrument_id).total_range
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} {value!r} is out of range {low:g}–{high:g} for {instrument_id}")
    return value


def _check_change_instrument(instrument_id: str, allowed: frozenset[str]) -> None:
    instruments.get(instrument_id)  # UnknownInstrument (a ValueError) for an unknown id
    if instrument_id not in allowed:
        raise ValueError(
            f"{instrument_id!r} is not supported here; use one of {', '.join(sorted(allowed))} "
            "(published change thresholds exist only for those)"
        )


def _reduction_pct(baseline: float, current: float) -> float:
    return (baseline - current) / baseline * 100.0


def _at_least(percent: float, threshold: float) -> bool:
    return percent >= threshold - _TOLERANCE_PCT


def _remission(instrument_id: str, current: float, madrs_remission_at_most: int) -> bool | None:
    if instrument_id == "phq9":
        return current < PHQ9_REMISSION_BELOW
    if instrument_id == "gad7":
        return current < GAD7_REMISSION_BELOW
    if instrument_id == "qids_sr16":
        return current <= QIDS_SR16_REMISSION_AT_MOST
    if instrument_id == "madrs":
        return current <= madrs_remission_at_most
    return None  # pain: remission is not defined (clinical-rules.md §5)


def assess_change(
    instrument_id: str,
    baseline_total: float,
    current_total: float,
    *,
    madrs_remission_at_most: int = MADRS_REMISSION_AT_MOST,
) -> Change:
    """Classify the change of a total from baseline (clinical-rules.md §5).

    Parameters
    ----------
    instrument_id:
        One of ``CHANGE_INSTRUMENTS``: ``phq9``, ``gad7``, ``qids_sr16``, ``madrs``, ``pain_nrs``, ``peg``, ``bpi``
        (BPI: the severity mean, i.e. the BPI total; see ``bpi_interference_change`` for interference).
    baseline_total, current_total:
        Totals as returned by ``instruments.score`` (within the instrument's range).
    madrs_remission_at_most:
        MADRS remission cut-off; ``MADRS_REMISSION_AT_MOST`` (9, Zimmerman 2004) by default, or another of
        ``MADRS_REMISSION_CUTOFFS`` (10 as in many trials, 12 to compare with the esketamine trials, 4 narrow).

    Returns
    -------
    Change
        e.g. PHQ-9 20 → 10: ``percent_reduction`` 50.0, ``response`` True, ``remission`` False.

    Raises
    ------
    ValueError
        Unknown instrument, an instrument without change rules, or a total that is not a number in range.
    """
    _check_change_instrument(instrument_id, CHANGE_INSTRUMENTS)
    baseline = _check_total(instrument_id, "baseline_total", baseline_total)
    current = _check_total(instrument_id, "current_total", current_total)
    remission = _remission(instrument_id, current, madrs_remission_at_most)
    is_pain = instrument_id in PAIN_INSTRUMENTS
    if baseline == 0:
        # Nothing to reduce: no percentage, and no response can be claimed (design/CONTRACTS.md §4.2).
        no = False if is_pain else None
        return Change(instrument_id, baseline, current, None, False, False, False, remission, no, no)
    percent = _reduction_pct(baseline, current)
    response = _at_least(percent, RESPONSE_MIN_PCT)
    return Change(
        instrument=instrument_id,
        baseline_total=baseline,
        current_total=current,
        percent_reduction=percent,
        response=response,
        partial_response=_at_least(percent, PARTIAL_RESPONSE_MIN_PCT) and not response,
        early_improvement=_at_least(percent, EARLY_IMPROVEMENT_MIN_PCT),
        remission=remission,
        moderate_improvement=_at_least(percent, PAIN_MODERATE_IMPROVEMENT_MIN_PCT) if is_pain else None,
        substantial_improvement=_at_least(percent, PAIN_SUBSTANTIAL_IMPROVEMENT_MIN_PCT) if is_pain else None,
    )


_REMISSION_TEXT: Final = {
    "phq9": "PHQ-9 < 5 (Kroenke 2001)",
    "gad7": "GAD-7 < 5 (Spitzer 2006)",
    "qids_sr16": "QIDS-SR16 ≤ 5 (Rush 2003)",
}


def remission_rule(instrument_id: str, *, madrs_remission_at_most: int = MADRS_REMISSION_AT_MOST) -> str | None:
    """The remission definition used for ``instrument_id``, with its source, as the screens show it (``None`` for
    pain scales, which have no remission). MADRS reads the clinic's cut-off, e.g. "MADRS ≤ 9: empirical broad
    cut-off (Zimmerman 2004, J Clin Psychiatry 65:163)"."""
    _check_change_instrument(instrument_id, CHANGE_INSTRUMENTS)
    if instrument_id == "madrs":
        return MADRS_REMISSION_CUTOFFS.get(madrs_remission_at_most, f"MADRS ≤ {madrs_remission_at_most}")
    return _REMISSION_TEXT.get(instrument_id)


def bpi_interference_change(
    baseline_interference: float,
    current_interference: float,
    *,
    min_change_points: float = BPI_INTERFERENCE_MIN_CHANGE_POINTS,
) -> InterferenceChange:
    """Change of the BPI interference mean; a reduction ≥ ``min_change_points`` (1 point) is meaningful.

    Source: clinical-rules.md §5 ("BPI interference change ≥ 1 point"; IMMPACT 2008).

    Raises
    ------
    ValueError
        An interference mean that is not a number in 0–10 (an invalid interference is ``None`` in the BPI score:
        there is no change to compute).
    """
    baseline = _check_total("bpi", "baseline_interference", baseline_interference)
    current = _check_total("bpi", "current_interference", current_interference)
    change = baseline - current
    return InterferenceChange(baseline, current, change, change >= min_change_points - _TOLERANCE_PCT)


def proportion_ci(successes: int, n: int, *, z: float = WILSON_Z_95) -> tuple[float, float, float]:
    """Rate and Wilson score interval (95 % by default) for ``successes`` out of ``n``.

    Wilson EB. Probable inference, the law of succession, and statistical inference. JASA 1927;22:209-212.
    The interval stays inside [0, 1]; it is exactly 0 at the low end when ``successes == 0`` and exactly 1 at the high
    end when ``successes == n``.

    Returns
    -------
    tuple[float, float, float]
        ``(rate, low, high)``, e.g. ``proportion_ci(5, 10)`` → ``(0.5, 0.2366…, 0.7634…)``.

    Raises
    ------
    ValueError
        ``n`` < 1 (a rate of nothing is undefined), ``successes`` outside ``0..n``, or a non-integer count.
    """
    for name, value in (("successes", successes), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be a whole number, got {value!r}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got n={n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got {successes}")
    rate = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (rate + z2 / (2 * n)) / denominator
    half_width = z * math.sqrt(rate * (1 - rate) / n + z2 / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half_width)
    high = 1.0 if successes == n else min(1.0, centre + half_width)
    return rate, low, high


def iv_series_stop_signal(
    instrument_id: str,
    totals: Sequence[float],
    *,
    not_before_infusion: int = STOP_NOT_BEFORE_INFUSION,
    decision_infusion: int = STOP_DECISION_INFUSION,
    min_improvement_pct: float = STOP_MIN_IMPROVEMENT_PCT,
    consecutive_non_improvements: int = STOP_CONSECUTIVE_NON_IMPROVEMENTS,
) -> StopSignal:
    """Suggest stopping an IV ketamine series that is not working (clinical-rules.md §5).

    The rule: "< 20 % improvement 24 h after infusion 4 (or three consecutive non-improvements after infusion 3)
    predicted overall non-response with > 90 % sensitivity (Translational Psychiatry 2024). Do not suggest stopping
    before infusion 3: 58 % of early non-improvers still improved by infusion 4 (CRTCE, n = 134)."

    How it is read here:

    - ``totals[0]`` is the baseline and ``totals[k]`` the score measured after infusion ``k`` (the caller supplies the
      score taken ~24 h after, or before the next infusion). Improvement is the percent reduction from baseline.
    - A *non-improvement* is an improvement below ``min_improvement_pct`` (20 %): the same cut-off as the "early
      improvement" it negates, and as the 58 % "early non-improvers".
    - Nothing is suggested while fewer than ``not_before_infusion`` (3) infusions have been assessed.
    - From ``decision_infusion`` (4) on, the series is judged on its latest score: < 20 % improvement suggests
      stopping. A score after infusion 5 or 6 that is still < 20 % is at least as strong a signal as one after
      infusion 4, and a later ≥ 20 % improvement withdraws it.
    - "Three consecutive non-improvements after infusion 3" is read as three consecutive assessed infusions, the last
      of them infusion 3 or later, all below 20 %: this is what lets the signal fire at infusion 3 (infusions 1–3 all
      non-improvements), the earliest point the rule allows.

    Raises
    ------
    ValueError
        Unsupported instrument (only ``DEPRESSION_INSTRUMENTS``: the evidence is from depression), no baseline, a
        baseline of 0 (no improvement can be measured), or a total that is not a number in range.
    """
    _check_change_instrument(instrument_id, DEPRESSION_INSTRUMENTS)
    if len(totals) == 0:
        raise ValueError("totals must start with the baseline total")
    checked = [_check_total(instrument_id, f"totals[{index}]", total) for index, total in enumerate(totals)]
    baseline = checked[0]
    if baseline == 0:
        raise ValueError("totals[0] (baseline) is 0: improvement from baseline cannot be measured")
    reductions = tuple(_reduction_pct(baseline, total) for total in checked[1:])
    infusions = len(reductions)
    if infusions < not_before_infusion:
        return StopSignal(
            False,
            f"{infusions} infusion(s) assessed: stopping is not suggested before infusion {not_before_infusion} "
            "(58 % of early non-improvers still improved by infusion 4; CRTCE).",
            None,
            infusions,
            reductions,
        )
    non_improvement = [not _at_least(reduction, min_improvement_pct) for reduction in reductions]
    latest = reductions[-1]
    if infusions >= decision_infusion and non_improvement[-1]:
        return StopSignal(
            True,
            f"{latest:.1f} % improvement after infusion {infusions} (< {min_improvement_pct:g} % from infusion "
            f"{decision_infusion} on) predicts overall non-response (Translational Psychiatry 2024).",
            "under_min_improvement_after_decision_infusion",
            infusions,
            reductions,
        )
    run = non_improvement[-consecutive_non_improvements:]
    if len(run) == consecutive_non_improvements and all(run):
        first = infusions - consecutive_non_improvements + 1
        return StopSignal(
            True,
            f"Less than {min_improvement_pct:g} % improvement after each of infusions {first}–{infusions} "
            f"({consecutive_non_improvements} consecutive non-improvements) predicts overall non-response "
            "(Translational Psychiatry 2024).",
            "consecutive_non_improvements",
            infusions,
            reductions,
        )
    return StopSignal(
        False,
        f"{latest:.1f} % improvement after infusion {infusions}: no stop signal.",
        None,
        infusions,
        reductions,
    )


def detect_relapse(
    instrument_id: str,
    baseline_total: float,
    series: Sequence[tuple[T, float]],
    *,
    madrs_remission_at_most: int = MADRS_REMISSION_AT_MOST,
) -> RelapseSignal[T]:
    """Find the first relapse after response in a time-ordered series of ``(time, total)`` (clinical-rules.md §5).

    The rule: "after response, a return above 50 % of baseline (or loss of remission) is a relapse signal". Read as:

    - Tracking starts at the first measurement that meets response (≥ 50 % reduction, ``assess_change``);
      measurements before it cannot relapse.
    - After that, a measurement with total > 50 % of baseline (reduction below 50 %, i.e. no longer a response) is a
      relapse (``"above_half_baseline"``).
    - Remission is tracked from the response onwards; once reached, a later measurement out of remission is a relapse
      (``"loss_of_remission"``) even while the reduction is still ≥ 50 %. Pain instruments have no remission, so only
      the first criterion applies.
    - The first relapsing measurement is reported, with every criterion it meets.

    ``time`` may be anything ordered (``datetime``, ``date``, day number); equal times are allowed, decreasing
    times are not.

    Raises
    ------
    ValueError
        Times out of order, or anything ``assess_change`` refuses (instrument, totals).
    """
    _check_change_instrument(instrument_id, CHANGE_INSTRUMENTS)
    responded_at: T | None = None
    remitted_at: T | None = None
    previous: T | None = None
    for index, (time, total) in enumerate(series):
        if previous is not None and time < previous:
            raise ValueError(f"series[{index}] time {time!r} is earlier than the one before it ({previous!r})")
        previous = time
        change = assess_change(instrument_id, baseline_total, total, madrs_remission_at_most=madrs_remission_at_most)
        if responded_at is None:
            if change.response:
                responded_at = time
                remitted_at = time if change.remission else None
            continue
        criteria = set()
        if not change.response:
            criteria.add(ABOVE_HALF_BASELINE)
        if remitted_at is not None and not change.remission:
            criteria.add(LOSS_OF_REMISSION)
        if criteria:
            return RelapseSignal(True, time, change.current_total, frozenset(criteria), responded_at, remitted_at)
        if remitted_at is None and change.remission:
            remitted_at = time
    return RelapseSignal(False, None, None, frozenset(), responded_at, remitted_at)
