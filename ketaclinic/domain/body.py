"""Body-size arithmetic: BMI and the plausible ranges a scale and a stadiometer can give.

BMI = weight (kg) / height (m)² (WHO definition); the BMI ≥ 30 threshold that changes the dosing-weight advice is in
knowledge/clinical-rules.md §3 (Sanacora 2017). The ranges below are data-entry validation, not clinical thresholds:
they refuse typing mistakes (a weight of 7000 kg, a height of 17 cm) and nothing a real adult could measure.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "BMI_IDEAL_WEIGHT_THRESHOLD",
    "MAX_HEIGHT_CM",
    "MAX_WEIGHT_KG",
    "MIN_HEIGHT_CM",
    "MIN_WEIGHT_KG",
    "bmi_kg_per_m2",
    "suggests_ideal_body_weight",
]

MIN_WEIGHT_KG = "20"
MAX_WEIGHT_KG = "400"
MIN_HEIGHT_CM = "100"
MAX_HEIGHT_CM = "250"

#: clinical-rules.md §3: "Sanacora 2017 suggests ideal body weight at BMI ≥ 30".
BMI_IDEAL_WEIGHT_THRESHOLD = Decimal("30")


def bmi_kg_per_m2(weight_kg: Decimal, height_cm: Decimal) -> Decimal:
    """Body-mass index, rounded half-up to 0.1 kg/m². Raises ValueError naming a non-positive argument."""
    if weight_kg <= 0:
        raise ValueError(f"weight_kg must be positive, not {weight_kg}")
    if height_cm <= 0:
        raise ValueError(f"height_cm must be positive, not {height_cm}")
    height_m = Decimal(height_cm) / Decimal(100)
    return (Decimal(weight_kg) / (height_m * height_m)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def suggests_ideal_body_weight(bmi: Decimal) -> bool:
    """True at BMI ≥ 30, where the plan screen notes the ideal-body-weight option (clinical-rules.md §3)."""
    return bmi >= BMI_IDEAL_WEIGHT_THRESHOLD
