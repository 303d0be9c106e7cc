"""Discharge readiness: the discharge score, and the esketamine observation and blood-pressure rules.

Modified Aldrete ≥ 9 or PADSS ≥ 9 on every route; esketamine additionally ≥ 120 min after dosing, blood pressure
falling and stable, no sedation, dissociation or respiratory depression (clinical-rules.md §4 "Discharge"; Spravato
PI). The 120 min observation minimum is a label rule kept with the other Spravato limits in ``domain.protocols``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ketaclinic.domain.monitoring.cadence import _check_minutes
from ketaclinic.domain.monitoring.thresholds import DEFAULT_THRESHOLDS, AlertThresholds
from ketaclinic.domain.monitoring.vitals import VitalSigns, _fmt
from ketaclinic.domain.protocols import ESKETAMINE_MIN_OBSERVATION_MIN
from ketaclinic.domain.vocabulary import DISCHARGE_SCORE_MAX

__all__ = [
    "DISCHARGE_SCORE_THRESHOLD",
    "OBSERVATION_SOURCES",
    "DischargeReadiness",
    "ObservationCheck",
    "discharge_readiness",
    "observation_check",
]

OBSERVATION_SOURCES: Final = {
    "label": "Spravato PI and REMS: monitor at least 2 hours after administration",
    "clinic_policy": (
        "CLINIC POLICY default: no published minimum observation after IV or IM ketamine was found; the clinic sets "
        "it per protocol"
    ),
}
"""Where a protocol's minimum observation comes from, by its ``min_observation_basis``; shown with the rule."""

DISCHARGE_SCORE_THRESHOLD: Final = 9
"""Modified Aldrete ≥ 9 or PADSS ≥ 9 (clinical-rules.md §4 "Discharge"; Aldrete 1995, Chung 1995)."""


@dataclass(frozen=True)
class DischargeReadiness:
    """``ready`` is True only when ``unmet`` (plain-English criteria still to meet) is empty."""

    ready: bool
    unmet: tuple[str, ...]


@dataclass(frozen=True)
class ObservationCheck:
    """Minutes observed after the end of dosing against the protocol's minimum; ``message`` says what is short."""

    met: bool
    minutes_observed: int
    minimum_min: int
    basis: str
    source: str
    message: str


def observation_check(*, minutes_since_end_of_dosing: float, minimum_min: int, basis: str) -> ObservationCheck:
    """Whether the patient has been observed for ``minimum_min`` after the end of dosing (the end of an IV infusion,
    the injection or the last device).

    Whole minutes, rounded down (29.9 min is not yet 30). ``basis`` is ``label`` (esketamine: the Spravato label's
    2 h, never shortened) or ``clinic_policy`` (IV and IM: no published minimum; the protocol's default is the clinic's
    own, and discharging earlier needs a prescriber's written reason, which the caller records).
    """
    _check_minutes("minutes_since_end_of_dosing", minutes_since_end_of_dosing)
    if minutes_since_end_of_dosing < 0:
        raise ValueError(f"minutes_since_end_of_dosing: must not be negative (got {minutes_since_end_of_dosing!r})")
    if isinstance(minimum_min, bool) or not isinstance(minimum_min, int) or minimum_min < 1:
        raise ValueError(f"minimum_min: must be a whole number of minutes ≥ 1 (got {minimum_min!r})")
    if basis not in OBSERVATION_SOURCES:
        raise ValueError(f"basis: must be one of {', '.join(OBSERVATION_SOURCES)} (got {basis!r})")
    observed = math.floor(minutes_since_end_of_dosing)
    met = observed >= minimum_min
    policy = "the Spravato label" if basis == "label" else "clinic policy"
    message = (
        ""
        if met
        else f"Only {observed} min of observation after the end of dosing; the minimum is {minimum_min} min ({policy})."
    )
    return ObservationCheck(met, observed, minimum_min, basis, OBSERVATION_SOURCES[basis], message)


def _check_score(name: str, value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= DISCHARGE_SCORE_MAX:
        raise ValueError(f"{name}: must be a whole number 0-{DISCHARGE_SCORE_MAX} (got {value!r})")


def discharge_readiness(
    *,
    aldrete_total: int | None = None,
    padss_total: int | None = None,
    score_threshold: int = DISCHARGE_SCORE_THRESHOLD,
    esketamine: bool = False,
    minutes_since_dosing: float | None = None,
    bp_readings: Sequence[VitalSigns] = (),
    sedation: bool | None = None,
    dissociation: bool | None = None,
    respiratory_depression: bool | None = None,
    min_observation_min: int = ESKETAMINE_MIN_OBSERVATION_MIN,
    thresholds: AlertThresholds = DEFAULT_THRESHOLDS,
) -> DischargeReadiness:
    """Whether the patient may leave, with every unmet criterion in plain words (clinical-rules.md §4 "Discharge").

    All routes: modified Aldrete ≥ ``score_threshold`` or PADSS ≥ ``score_threshold`` (default 9; either scale
    suffices). A sedation, dissociation or respiratory-depression flag that is True blocks discharge on any route.

    Esketamine (``esketamine=True``) additionally needs, per the Spravato PI:

    * ``minutes_since_dosing`` ≥ ``min_observation_min`` (120; a label minimum that cannot be lowered);
    * blood pressure falling and stable. Our reading of that phrase: ``bp_readings`` (time order, each with
      systolic and diastolic) has at least two readings, the last is not higher than the one before it in either
      systolic or diastolic (so it is at or below the session peak and not rising), and the last is not at a
      stop-and-evaluate level of ``thresholds`` (SBP ≥ 180 or DBP ≥ 110 by default);
    * sedation, dissociation and respiratory depression each assessed (not None) and absent.
    """
    _check_score("aldrete_total", aldrete_total)
    _check_score("padss_total", padss_total)
    valid_threshold = isinstance(score_threshold, int) and not isinstance(score_threshold, bool)
    if not valid_threshold or not 0 < score_threshold <= DISCHARGE_SCORE_MAX:
        raise ValueError(f"score_threshold: must be a whole number 1-{DISCHARGE_SCORE_MAX} (got {score_threshold!r})")
    unmet: list[str] = []
    scores = [(name, s) for name, s in (("Modified Aldrete", aldrete_total), ("PADSS", padss_total)) if s is not None]
    if not scores:
        unmet.append(
            f"No modified Aldrete or PADSS score has been recorded (discharge needs {score_threshold} or more)."
        )
    elif max(s for _, s in scores) < score_threshold:
        recorded = " and ".join(f"{name} {s}" for name, s in scores)
        unmet.append(f"{recorded}: below the discharge score of {score_threshold}.")
    if esketamine:
        if min_observation_min < ESKETAMINE_MIN_OBSERVATION_MIN:
            raise ValueError(
                f"min_observation_min: esketamine observation cannot be shorter than "
                f"{ESKETAMINE_MIN_OBSERVATION_MIN} min (got {min_observation_min!r})"
            )
        unmet.extend(_esketamine_unmet(minutes_since_dosing, bp_readings, min_observation_min, thresholds))
    for flag, present, words in (
        (sedation, "The patient is still sedated.", "Sedation"),
        (dissociation, "The patient is still dissociated.", "Dissociation"),
        (respiratory_depression, "Respiratory depression has not resolved.", "Respiratory depression"),
    ):
        if flag is True:
            unmet.append(present)
        elif flag is None and esketamine:
            unmet.append(f"{words} has not been assessed before discharge.")
    return DischargeReadiness(ready=not unmet, unmet=tuple(unmet))


def _esketamine_unmet(
    minutes_since_dosing: float | None,
    bp_readings: Sequence[VitalSigns],
    min_observation_min: int,
    thresholds: AlertThresholds,
) -> list[str]:
    unmet: list[str] = []
    if minutes_since_dosing is None:
        unmet.append("The time since esketamine dosing is not recorded.")
    else:
        _check_minutes("minutes_since_dosing", minutes_since_dosing)
        if minutes_since_dosing < 0:
            raise ValueError(f"minutes_since_dosing: must not be negative (got {minutes_since_dosing!r})")
        if minutes_since_dosing < min_observation_min:
            unmet.append(
                f"Only {_fmt(minutes_since_dosing)} min since esketamine dosing; observe at least "
                f"{min_observation_min} min."
            )
    pairs: list[tuple[float, float]] = []
    for reading in bp_readings:
        if reading.systolic_mmhg is None or reading.diastolic_mmhg is None:
            raise ValueError("bp_readings: every reading needs both systolic_mmhg and diastolic_mmhg")
        pairs.append((reading.systolic_mmhg, reading.diastolic_mmhg))
    if len(pairs) < 2:
        unmet.append("At least two blood-pressure readings after dosing are needed to show it is falling and stable.")
        return unmet
    (p_s, p_d), (l_s, l_d) = pairs[-2], pairs[-1]
    if l_s > p_s or l_d > p_d:
        unmet.append(f"Blood pressure is still rising ({_fmt(p_s)}/{_fmt(p_d)} → {_fmt(l_s)}/{_fmt(l_d)} mmHg).")
    if l_s >= thresholds.systolic_stop_at_or_above_mmhg or l_d >= thresholds.diastolic_stop_at_or_above_mmhg:
        unmet.append(f"The last blood pressure {_fmt(l_s)}/{_fmt(l_d)} mmHg is at a stop-and-evaluate level.")
    return unmet
