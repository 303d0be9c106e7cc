"""Dosing inputs: reading numbers as exact ``Decimal``, the data-entry bounds, rounding quanta and formatting.

Inputs may be ``Decimal``, ``int`` or ``float`` (a float is read through its shortest repr, so 0.1 means 0.1). Bad
input (negative or zero weight, zero duration, unknown sex) raises ``ValueError`` whose message starts with the
argument's name. Results are rounded half-up to 0.1 kg (weights), 0.1 mg (doses), 0.01 mL (volumes), 0.1 mg/h and
0.1 mL/h (rates). The height and weight bounds are data-entry validation, not clinical thresholds.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from ketaclinic.domain.vocabulary import SEXES

__all__ = ["MAX_PLAUSIBLE_WEIGHT_KG", "PLAUSIBLE_HEIGHT_CM", "Number"]

Number = Decimal | int | float

# Data-entry validation, not clinical thresholds: catches metres typed as centimetres and pounds beyond any record.
PLAUSIBLE_HEIGHT_CM: Final = (Decimal("50"), Decimal("275"))
"""Heights accepted, cm (the tallest recorded adult was 272 cm; below 50 cm a height in metres was probably typed)."""
MAX_PLAUSIBLE_WEIGHT_KG: Final = Decimal("650")
"""Weights accepted: above 0 and up to 650 kg (the heaviest recorded human was about 635 kg)."""

_WEIGHT_Q: Final = Decimal("0.1")
_DOSE_Q: Final = Decimal("0.1")
_VOLUME_Q: Final = Decimal("0.01")
_RATE_Q: Final = Decimal("0.1")
_PER_KG_Q: Final = Decimal("0.001")
_MIN_PER_H: Final = Decimal("60")


def _decimal(name: str, value: object, *, allow_zero: bool = False) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
        raise ValueError(f"{name}: must be a number (got {value!r})")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{name}: must be finite (got {value!r})")
    if number < 0 or (number == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "more than zero"
        raise ValueError(f"{name}: must be {bound} (got {value!r})")
    return number


def _weight(name: str, value: object) -> Decimal:
    weight = _decimal(name, value)
    if weight > MAX_PLAUSIBLE_WEIGHT_KG:
        raise ValueError(
            f"{name}: {value!r} kg is not a plausible weight (data entry: up to {MAX_PLAUSIBLE_WEIGHT_KG})"
        )
    return weight


def _height(value: object) -> Decimal:
    height = _decimal("height_cm", value)
    low, high = PLAUSIBLE_HEIGHT_CM
    if not low <= height <= high:
        raise ValueError(f"height_cm: {value!r} cm is not a plausible height (data entry: {low}-{high} cm)")
    return height


def _sex(value: object) -> str:
    if value not in SEXES:
        raise ValueError(f"sex: unknown value {value!r}; expected one of {', '.join(SEXES)}")
    return str(value)


def _q(value: Decimal, quantum: Decimal) -> Decimal:
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"
