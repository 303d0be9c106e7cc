"""One set of vital signs, checked for plausibility at construction.

Impossible readings (a systolic of 400 mmHg, SpO2 of 120 %) are data-entry errors, not clinical events: they raise
:class:`ImplausibleVitals` (a ``ValueError``) naming the field, so they never produce an alert or silence one. The
plausibility bounds (``PLAUSIBLE_*`` in :mod:`ketaclinic.domain.vocabulary`) are input validation chosen for this
software, not clinical thresholds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from ketaclinic.domain.vocabulary import (
    PLAUSIBLE_DIASTOLIC_MMHG,
    PLAUSIBLE_HEART_RATE_PER_MIN,
    PLAUSIBLE_MOAAS,
    PLAUSIBLE_RASS,
    PLAUSIBLE_RESPIRATORY_RATE_PER_MIN,
    PLAUSIBLE_SPO2_PERCENT,
    PLAUSIBLE_SYSTOLIC_MMHG,
    PLAUSIBLE_TEMPERATURE_C,
)

__all__ = ["ImplausibleVitals", "VitalSigns"]


class ImplausibleVitals(ValueError):
    """A vital sign outside the data-entry plausibility bounds: a typing or device error, never an alert.

    ``field`` names the offending attribute (for a form or API error), ``value`` is what was entered.
    """

    def __init__(self, field: str, value: object, problem: str) -> None:
        super().__init__(f"{field}: {problem} (got {value!r})")
        self.field = field
        self.value = value


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return False
    return math.isfinite(value)


def _check_plausible(field: str, value: float | None, bounds: tuple[int, int]) -> None:
    if value is None:
        return
    if not _is_number(value):
        raise ImplausibleVitals(field, value, "must be a finite number")
    low, high = bounds
    if not low <= value <= high:
        raise ImplausibleVitals(field, value, f"outside the plausible range {low}-{high}; re-check the entry")


@dataclass(frozen=True)
class VitalSigns:
    """One set of readings; any field may be ``None`` when it was not measured this time.

    Validation (``ImplausibleVitals`` naming the field) happens at construction: see the ``PLAUSIBLE_*`` bounds.
    A diastolic at or above the systolic of the same reading is rejected as well.
    """

    systolic_mmhg: float | None = None
    diastolic_mmhg: float | None = None
    heart_rate_per_min: float | None = None
    spo2_percent: float | None = None
    respiratory_rate_per_min: float | None = None
    temperature_c: float | None = None
    moaas: int | None = None
    rass: int | None = None

    def __post_init__(self) -> None:
        _check_plausible("systolic_mmhg", self.systolic_mmhg, PLAUSIBLE_SYSTOLIC_MMHG)
        _check_plausible("diastolic_mmhg", self.diastolic_mmhg, PLAUSIBLE_DIASTOLIC_MMHG)
        _check_plausible("heart_rate_per_min", self.heart_rate_per_min, PLAUSIBLE_HEART_RATE_PER_MIN)
        _check_plausible("spo2_percent", self.spo2_percent, PLAUSIBLE_SPO2_PERCENT)
        _check_plausible("respiratory_rate_per_min", self.respiratory_rate_per_min, PLAUSIBLE_RESPIRATORY_RATE_PER_MIN)
        _check_plausible("temperature_c", self.temperature_c, PLAUSIBLE_TEMPERATURE_C)
        for name, value, bounds in (("moaas", self.moaas, PLAUSIBLE_MOAAS), ("rass", self.rass, PLAUSIBLE_RASS)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ImplausibleVitals(name, value, "must be a whole number on the scale")
            _check_plausible(name, value, bounds)
        if (
            self.systolic_mmhg is not None
            and self.diastolic_mmhg is not None
            and self.diastolic_mmhg >= self.systolic_mmhg
        ):
            raise ImplausibleVitals(
                "diastolic_mmhg", self.diastolic_mmhg, "must be below the systolic of the same reading"
            )


def _fmt(value: float) -> str:
    return f"{value:g}"
