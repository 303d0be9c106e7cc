"""The candidate: what eligibility needs to know about a prospective patient, validated at construction.

The vocabulary (sex, indications, routes, condition codes: clinical-rules.md §1, in ``domain.vocabulary``) is
closed: an unknown code raises :class:`InvalidCandidate` (a ``ValueError``) naming the field. Blood pressure bounds
(``vocabulary.PLAUSIBLE_*_MMHG``) and the age bound are data-entry validation, not clinical thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketaclinic.domain.eligibility.alcohol import AUDIT_C_MAX
from ketaclinic.domain.eligibility.medications import _normalise_drug
from ketaclinic.domain.vocabulary import (
    CONDITIONS,
    INDICATIONS,
    MAX_PLAUSIBLE_AGE_YEARS,
    PLAUSIBLE_DIASTOLIC_MMHG,
    PLAUSIBLE_SYSTOLIC_MMHG,
    ROUTES,
    SEXES,
)

__all__ = ["Candidate", "InvalidCandidate"]


class InvalidCandidate(ValueError):
    """A candidate field holds an unknown code or an impossible value; ``field`` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


@dataclass(frozen=True)
class Candidate:
    """What eligibility needs to know about a prospective patient (CONTRACTS §4.4).

    Validated at construction: unknown ``sex``/``indication``/``route``/condition codes and impossible numbers raise
    :class:`InvalidCandidate` naming the field. ``conditions`` and ``medications`` may be given as any collection of
    strings and are stored as frozensets.
    """

    age_years: int
    sex: str
    indication: str
    route: str
    failed_antidepressant_trials: int
    systolic_mmhg: int | float
    diastolic_mmhg: int | float
    conditions: frozenset[str]
    medications: frozenset[str]
    pregnant: bool
    breastfeeding: bool
    audit_c_score: int | None = None
    """AUDIT-C total 0–12 (Bush 1998; cut-offs Bradley 2007), ``None`` when not asked."""
    serial_programme: bool | None = None
    """``True``: a series of sessions or an at-home programme; ``False``: a single planned session; ``None``: not
    stated (lower urinary tract symptoms are then judged as for a series, and the liver-test rule is not applied)."""
    liver_tests_days_ago: int | None = None
    """Days since the last liver function tests; ``None`` when none are on record."""

    def __post_init__(self) -> None:
        _whole("age_years", self.age_years, 0, MAX_PLAUSIBLE_AGE_YEARS)
        _code("sex", self.sex, SEXES)
        _code("indication", self.indication, INDICATIONS)
        _code("route", self.route, ROUTES)
        _whole("failed_antidepressant_trials", self.failed_antidepressant_trials, 0, None)
        _pressure("systolic_mmhg", self.systolic_mmhg, PLAUSIBLE_SYSTOLIC_MMHG)
        _pressure("diastolic_mmhg", self.diastolic_mmhg, PLAUSIBLE_DIASTOLIC_MMHG)
        if self.diastolic_mmhg >= self.systolic_mmhg:
            raise InvalidCandidate("diastolic_mmhg", f"{self.diastolic_mmhg!r} must be below the systolic")
        object.__setattr__(self, "conditions", _strings("conditions", self.conditions))
        object.__setattr__(self, "medications", _strings("medications", self.medications))
        for condition in sorted(self.conditions):
            _code("conditions", condition, CONDITIONS)
        for medication in self.medications:
            if not _normalise_drug(medication):
                raise InvalidCandidate("medications", "a medication name is blank")
        if self.audit_c_score is not None:
            _whole("audit_c_score", self.audit_c_score, 0, AUDIT_C_MAX)
        if self.liver_tests_days_ago is not None:
            _whole("liver_tests_days_ago", self.liver_tests_days_ago, 0, None)
        if self.serial_programme is not None and not isinstance(self.serial_programme, bool):
            raise InvalidCandidate("serial_programme", f"must be True, False or None (got {self.serial_programme!r})")
        for flag in ("pregnant", "breastfeeding"):
            if not isinstance(getattr(self, flag), bool):
                raise InvalidCandidate(flag, f"must be True or False (got {getattr(self, flag)!r})")


def _code(field: str, value: object, vocabulary: tuple[str, ...]) -> None:
    if value not in vocabulary:
        raise InvalidCandidate(field, f"unknown code {value!r}; expected one of {', '.join(vocabulary)}")


def _whole(field: str, value: object, low: int, high: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidCandidate(field, f"must be a whole number (got {value!r})")
    if value < low or (high is not None and value > high):
        bounds = f"{low}-{high}" if high is not None else f"at least {low}"
        raise InvalidCandidate(field, f"{value!r} is not plausible (expected {bounds})")


def _pressure(field: str, value: object, bounds: tuple[int, int]) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:  # value != value: NaN
        raise InvalidCandidate(field, f"must be a number in mmHg (got {value!r})")
    low, high = bounds
    if not low <= value <= high:
        raise InvalidCandidate(field, f"{value!r} mmHg is not a plausible blood pressure (data entry: {low}-{high})")


def _strings(field: str, value: object) -> frozenset[str]:
    if isinstance(value, str | bytes) or not isinstance(value, frozenset | set | list | tuple):
        raise InvalidCandidate(field, f"must be a collection of strings (got {value!r})")
    for item in value:
        if not isinstance(item, str):
            raise InvalidCandidate(field, f"{item!r} is not a string")
    return frozenset(value)
