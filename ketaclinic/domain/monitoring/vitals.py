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
from typing import Final, Literal

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

__all__ = [
    "SCHEDULED_READING_FIELDS",
    "SCHEDULED_READING_SOURCE",
    "ImplausibleVitals",
    "ReadingKind",
    "VitalSigns",
    "missing_for_scheduled",
    "reading_kind",
]


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


ReadingKind = Literal["vitals", "partial", "sedation"]
"""``vitals``: a full set, which is the scheduled reading; ``partial``: some vital signs but not the full set;
``sedation``: a sedation check alone (MOAA/S or RASS, no vital sign). Only ``vitals`` meets the cadence."""

SCHEDULED_READING_FIELDS: Final = ("systolic_mmhg", "diastolic_mmhg", "heart_rate_per_min", "spo2_percent")
"""What a scheduled reading holds: blood pressure, heart rate and SpO2 (the respiratory rate too where the protocol
asks for it). The session's cadence is one of vital signs with pulse oximetry, and the monitoring alerts read these
values; a MOAA/S or RASS alone cannot show a rise in blood pressure, a tachycardia or a desaturation."""

SCHEDULED_READING_SOURCE: Final = (
    "Scheduled vital signs: blood pressure, heart rate and pulse oximetry at each reading (IV cadence: Emory, "
    "684 infusions; Yale; esketamine: Spravato PI, blood pressure and pulse oximetry monitoring)"
)

_VITAL_SIGN_FIELDS: Final = (*SCHEDULED_READING_FIELDS, "respiratory_rate_per_min", "temperature_c")


def missing_for_scheduled(reading: VitalSigns, *, respiratory_rate_required: bool = False) -> tuple[str, ...]:
    """The fields a scheduled reading needs that ``reading`` lacks (empty: it is a full set).

    Blood pressure (systolic and diastolic), heart rate and SpO2 always; the respiratory rate when
    ``respiratory_rate_required`` (a protocol setting). Source: :data:`SCHEDULED_READING_SOURCE`.
    """
    needed = (*SCHEDULED_READING_FIELDS, *(("respiratory_rate_per_min",) if respiratory_rate_required else ()))
    return tuple(name for name in needed if getattr(reading, name) is None)


def reading_kind(reading: VitalSigns, *, respiratory_rate_required: bool = False) -> ReadingKind:
    """``vitals`` (the full scheduled set), ``sedation`` (MOAA/S or RASS alone) or ``partial`` (anything else).

    A sedation-only check is its own kind of entry: it is recorded and its sedation alerts fire, but it does not
    reset the vitals timer, because it says nothing about blood pressure, heart rate or oxygenation.
    """
    if not missing_for_scheduled(reading, respiratory_rate_required=respiratory_rate_required):
        return "vitals"
    no_vital_sign = all(getattr(reading, name) is None for name in _VITAL_SIGN_FIELDS)
    if no_vital_sign and (reading.moaas is not None or reading.rass is not None):
        return "sedation"
    return "partial"


def _fmt(value: float) -> str:
    return f"{value:g}"
