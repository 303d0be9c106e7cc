"""US customary body units: pounds for weight, feet and inches for height, and back.

The chart stores weight in kg and height in cm (the dosing formulas use them); a US clinic weighs in pounds and
measures in feet and inches. The factors are exact by definition (International Yard and Pound Agreement, 1959;
NIST Handbook 44 Appendix C): 1 lb = 0.45359237 kg and 1 in = 2.54 cm, so 1 ft = 30.48 cm. Arithmetic is Decimal,
rounded half-up once at the end to the precision the chart keeps (0.1 kg, 0.1 cm) or a screen shows (0.1 lb, whole
or half inches as asked).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Final

__all__ = [
    "CM_PER_INCH",
    "INCHES_PER_FOOT",
    "KG_PER_POUND",
    "cm_from_feet_inches",
    "feet_inches_from_cm",
    "format_feet_inches",
    "kg_from_pounds",
    "pounds_from_kg",
]

KG_PER_POUND: Final = Decimal("0.45359237")
"""Exact: the international avoirdupois pound (1959)."""
CM_PER_INCH: Final = Decimal("2.54")
"""Exact: the international inch (1959)."""
INCHES_PER_FOOT: Final = 12

_TENTH: Final = Decimal("0.1")


def _tenth(value: Decimal) -> Decimal:
    return value.quantize(_TENTH, rounding=ROUND_HALF_UP)


def kg_from_pounds(weight_lb: Decimal) -> Decimal:
    """Pounds to kilograms, rounded half-up to 0.1 kg (what the chart stores). Raises ValueError if not positive."""
    if weight_lb <= 0:
        raise ValueError(f"weight_lb must be positive, not {weight_lb}")
    return _tenth(Decimal(weight_lb) * KG_PER_POUND)


def pounds_from_kg(weight_kg: Decimal) -> Decimal:
    """Kilograms to pounds, rounded half-up to 0.1 lb (for the screen). Raises ValueError if not positive."""
    if weight_kg <= 0:
        raise ValueError(f"weight_kg must be positive, not {weight_kg}")
    return _tenth(Decimal(weight_kg) / KG_PER_POUND)


def cm_from_feet_inches(feet: int, inches: Decimal = Decimal(0)) -> Decimal:
    """Feet and inches to centimetres, rounded half-up to 0.1 cm. ``inches`` may exceed 11 (5 ft 14 in = 6 ft 2 in)
    and may have a fraction; neither may be negative and the total must be positive (ValueError naming the part)."""
    if feet < 0:
        raise ValueError(f"feet must not be negative, not {feet}")
    if inches < 0:
        raise ValueError(f"inches must not be negative, not {inches}")
    total_in = Decimal(feet) * INCHES_PER_FOOT + Decimal(inches)
    if total_in == 0:
        raise ValueError("height must be positive: give feet, inches or both")
    return _tenth(total_in * CM_PER_INCH)


def feet_inches_from_cm(height_cm: Decimal) -> tuple[int, Decimal]:
    """Centimetres to (feet, inches), the inches rounded half-up to 0.1 in; 12.0 in carries into the feet."""
    if height_cm <= 0:
        raise ValueError(f"height_cm must be positive, not {height_cm}")
    total_in = _tenth(Decimal(height_cm) / CM_PER_INCH)
    feet, inches = divmod(total_in, INCHES_PER_FOOT)
    return int(feet), inches


def format_feet_inches(height_cm: Decimal) -> str:
    """A height as people in the US say it, to the nearest whole inch: ``5 ft 9 in``."""
    if height_cm <= 0:
        raise ValueError(f"height_cm must be positive, not {height_cm}")
    total_in = (Decimal(height_cm) / CM_PER_INCH).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    feet, inches = divmod(int(total_in), INCHES_PER_FOOT)
    return f"{feet} ft {inches} in"
