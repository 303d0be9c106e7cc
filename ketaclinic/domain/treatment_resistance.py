"""Treatment resistance computed from an antidepressant trial history.

Source: shared/knowledge/clinical-rules.md §2. The intake captures the "full antidepressant trial history (drug, dose,
weeks at adequate dose, outcome, episode; adequate = ≥ 6 weeks at adequate dose by default)", and the rule
``trd_criteria_not_met`` defines treatment-resistant depression as "≥ 2 failed adequate antidepressant trials in the
current episode". ``summarise(trials)`` classifies every trial, says why it does or does not count, and returns the
number of failed adequate trials that ``eligibility.Candidate.failed_antidepressant_trials`` takes.

Choices where the rule file is silent (documented here, shown in the UI):

* Whether the dose was adequate is the clinician's judgement (the file has no dose table), entered per trial as
  ``adequate_dose``.
* "Failed" means no response or a partial response: anything short of the ≥ 50 % response of clinical-rules.md §5.
  A trial stopped because it was not tolerated did not test efficacy and is not a failed *adequate* trial; a trial
  still running has no outcome yet; a response is not a failure.
* ``weeks_at_dose`` bounds (0–520 weeks, ten years) are data-entry validation, not a clinical threshold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Final, Literal

from ketaclinic.domain.eligibility import DEFAULT_THRESHOLDS as _ELIGIBILITY

__all__ = [
    "MAX_PLAUSIBLE_WEEKS",
    "OUTCOMES",
    "REASONS",
    "InvalidTrial",
    "Outcome",
    "Reason",
    "TreatmentResistance",
    "Trial",
    "TrialThresholds",
    "TrialVerdict",
    "summarise",
]

Outcome = Literal["no_response", "partial_response", "response", "not_tolerated", "ongoing"]
OUTCOMES: Final[tuple[Outcome, ...]] = ("no_response", "partial_response", "response", "not_tolerated", "ongoing")
"""Trial outcomes as the clinician records them."""

Reason = Literal["failed_adequate", "previous_episode", "responded", "not_tolerated", "ongoing", "dose", "too_short"]
REASONS: Final[tuple[Reason, ...]] = (
    "failed_adequate",
    "previous_episode",
    "responded",
    "not_tolerated",
    "ongoing",
    "dose",
    "too_short",
)
"""Why a trial does (``failed_adequate``) or does not count, in the order they are checked."""

MAX_PLAUSIBLE_WEEKS: Final = 520
"""Data-entry validation for ``weeks_at_dose`` (ten years on one dose), not a clinical threshold."""

_FAILED: Final = frozenset({"no_response", "partial_response"})


class InvalidTrial(ValueError):
    """A trial field is missing or impossible; ``field`` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


@dataclass(frozen=True)
class TrialThresholds:
    """The two numbers of the definition (clinic-configurable; defaults are the cited values)."""

    adequate_trial_min_weeks: int = 6
    """An adequate trial is ≥ 6 weeks at an adequate dose (clinical-rules.md §2, "Intake should also capture")."""
    trd_min_failed_trials: int = _ELIGIBILITY.trd_min_failed_trials
    """TRD = ≥ 2 failed adequate trials in the current episode (clinical-rules.md §2); the eligibility rule's value."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{f.name}: must be a whole number of at least 1 (got {value!r})")


DEFAULT_TRIAL_THRESHOLDS: Final = TrialThresholds()


@dataclass(frozen=True)
class Trial:
    """One antidepressant trial: the drug, weeks at the dose, whether that dose was adequate, outcome, episode."""

    drug: str
    weeks_at_dose: int
    adequate_dose: bool
    outcome: str
    current_episode: bool

    def __post_init__(self) -> None:
        if not isinstance(self.drug, str) or not self.drug.strip():
            raise InvalidTrial("drug", "name the antidepressant")
        weeks = self.weeks_at_dose
        if isinstance(weeks, bool) or not isinstance(weeks, int) or not 0 <= weeks <= MAX_PLAUSIBLE_WEEKS:
            raise InvalidTrial(
                "weeks_at_dose", f"must be a whole number of weeks 0–{MAX_PLAUSIBLE_WEEKS} (got {weeks!r})"
            )
        if self.outcome not in OUTCOMES:
            raise InvalidTrial("outcome", f"unknown outcome {self.outcome!r}; expected one of {', '.join(OUTCOMES)}")
        for flag in ("adequate_dose", "current_episode"):
            if not isinstance(getattr(self, flag), bool):
                raise InvalidTrial(flag, f"must be True or False (got {getattr(self, flag)!r})")


@dataclass(frozen=True)
class TrialVerdict:
    """Whether one trial counts as a failed adequate trial, with the reason code and a sentence saying why."""

    trial: Trial
    reason: Reason
    explanation: str

    @property
    def counts(self) -> bool:
        return self.reason == "failed_adequate"


@dataclass(frozen=True)
class TreatmentResistance:
    """The count of failed adequate trials in the current episode, whether that meets TRD, and every verdict."""

    failed_adequate_trials: int
    treatment_resistant: bool
    verdicts: tuple[TrialVerdict, ...]
    thresholds: TrialThresholds

    @property
    def explanation(self) -> str:
        t = self.thresholds
        meets = "meets" if self.treatment_resistant else "does not meet"
        return (
            f"{self.failed_adequate_trials} failed adequate trial(s) in the current episode: {meets} the definition "
            f"of treatment-resistant depression (≥ {t.trd_min_failed_trials} failed trials of ≥ "
            f"{t.adequate_trial_min_weeks} weeks at an adequate dose)."
        )


def _verdict(trial: Trial, t: TrialThresholds) -> TrialVerdict:
    if not trial.current_episode:
        return TrialVerdict(trial, "previous_episode", "In a previous episode: only the current episode counts.")
    if trial.outcome == "response":
        return TrialVerdict(trial, "responded", "Responded: not a failed trial.")
    if trial.outcome == "not_tolerated":
        return TrialVerdict(trial, "not_tolerated", "Stopped for side effects: efficacy was not tested.")
    if trial.outcome == "ongoing":
        return TrialVerdict(trial, "ongoing", "Still running: no outcome yet.")
    if not trial.adequate_dose:
        return TrialVerdict(trial, "dose", "The dose was not adequate.")
    if trial.weeks_at_dose < t.adequate_trial_min_weeks:
        return TrialVerdict(
            trial,
            "too_short",
            f"{trial.weeks_at_dose} week(s) at dose: an adequate trial lasts ≥ {t.adequate_trial_min_weeks} weeks.",
        )
    assert trial.outcome in _FAILED  # every other outcome returned above
    outcome = trial.outcome.replace("_", " ")
    return TrialVerdict(
        trial, "failed_adequate", f"{outcome.capitalize()} after {trial.weeks_at_dose} weeks at an adequate dose."
    )


def summarise(trials: Iterable[Trial], thresholds: TrialThresholds = DEFAULT_TRIAL_THRESHOLDS) -> TreatmentResistance:
    """Classify every trial and count the failed adequate ones in the current episode (clinical-rules.md §2)."""
    verdicts = tuple(_verdict(trial, thresholds) for trial in trials)
    failed = sum(1 for verdict in verdicts if verdict.counts)
    return TreatmentResistance(
        failed_adequate_trials=failed,
        treatment_resistant=failed >= thresholds.trd_min_failed_trials,
        verdicts=verdicts,
        thresholds=thresholds,
    )
