"""Dosing weight: Devine ideal body weight, adjusted body weight, BMI and the weight a mg/kg dose is computed on.

Figures from ``shared/knowledge/clinical-rules.md`` §3 ("Dosing weight"): Devine IBW (male 50 kg, female 45.5 kg
+ 2.3 kg per inch over 60 in; not validated below 60 in), AdjBW = IBW + 0.4 × (TBW − IBW) when TBW > IBW, and the
Sanacora 2017 advice to dose on ideal body weight at BMI ≥ 30. Weights are rounded half-up to 0.1 kg.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from ketaclinic.domain.dosing.inputs import _WEIGHT_Q, Number, _decimal, _height, _q, _sex, _weight
from ketaclinic.domain.protocols import WEIGHT_BASES

__all__ = [
    "ADJUSTED_WEIGHT_FACTOR",
    "DEVINE_BASE_KG",
    "DEVINE_KG_PER_INCH_OVER_60",
    "DEVINE_MIN_HEIGHT_IN",
    "IDEAL_WEIGHT_BMI_KG_PER_M2",
    "INCH_CM",
    "DosingWeights",
    "adjusted_body_weight_kg",
    "dosing_weight_kg",
    "dosing_weights",
    "ideal_body_weight_kg",
]

# --- Constants (clinical-rules.md §3 "Dosing weight") ---------------------------------------------------------------
INCH_CM: Final = Decimal("2.54")
"""1 in = 2.54 cm."""
DEVINE_BASE_KG: Final[Mapping[str, Decimal]] = {"male": Decimal("50"), "female": Decimal("45.5")}
"""Devine IBW base: male 50 kg, female 45.5 kg (Devine 1974; clinical-rules.md §3)."""
DEVINE_KG_PER_INCH_OVER_60: Final = Decimal("2.3")
"""Devine IBW: + 2.3 kg per inch over 60 in (clinical-rules.md §3)."""
DEVINE_MIN_HEIGHT_IN: Final = Decimal("60")
"""Below 60 in (152.4 cm) Devine is not validated: IBW is the base value and TBW is recommended (§3)."""
ADJUSTED_WEIGHT_FACTOR: Final = Decimal("0.4")
"""AdjBW = IBW + 0.4 × (TBW − IBW) when TBW > IBW (clinical-rules.md §3)."""
IDEAL_WEIGHT_BMI_KG_PER_M2: Final = Decimal("30")
"""Sanacora 2017 suggests dosing on ideal body weight at BMI ≥ 30 (clinical-rules.md §3)."""


def _ibw(height_cm: Decimal, sex: str) -> Decimal:
    inches = height_cm / INCH_CM
    base = DEVINE_BASE_KG[sex]
    if inches < DEVINE_MIN_HEIGHT_IN:
        return base
    return base + DEVINE_KG_PER_INCH_OVER_60 * (inches - DEVINE_MIN_HEIGHT_IN)


def _adjusted(tbw: Decimal, ibw: Decimal, factor: Decimal) -> Decimal:
    return tbw if tbw <= ibw else ibw + factor * (tbw - ibw)


def ideal_body_weight_kg(height_cm: Number, sex: str) -> Decimal:
    """Devine ideal body weight, kg (0.1 kg): male 50 / female 45.5 kg + 2.3 kg per inch over 60 in.

    Below 60 in (152.4 cm) the formula is not validated and the base value is returned (clinical-rules.md §3);
    :func:`dosing_weights` then warns and recommends total body weight. Example: male 180 cm = 70.866 in →
    50 + 2.3 × 10.866 = 74.99 → 75.0 kg.
    """
    return _q(_ibw(_height(height_cm), _sex(sex)), _WEIGHT_Q)


def adjusted_body_weight_kg(
    weight_kg: Number, height_cm: Number, sex: str, factor: Number = ADJUSTED_WEIGHT_FACTOR
) -> Decimal:
    """Adjusted body weight, kg (0.1 kg): IBW + ``factor`` × (TBW − IBW) when TBW > IBW, otherwise TBW.

    clinical-rules.md §3 defines AdjBW only when TBW > IBW and says the dosing weight is TBW when TBW < IBW; this
    function returns TBW in that case (adjustment only ever removes excess weight).
    """
    tbw = _weight("weight_kg", weight_kg)
    ibw = _ibw(_height(height_cm), _sex(sex))
    f = _decimal("factor", factor, allow_zero=True)
    if f > 1:
        raise ValueError(f"factor: must be between 0 and 1 (got {factor!r})")
    return _q(_adjusted(tbw, ibw, f), _WEIGHT_Q)


def _basis(value: object) -> str:
    if value not in WEIGHT_BASES:
        raise ValueError(f"basis: unknown value {value!r}; expected one of {', '.join(WEIGHT_BASES)}")
    return str(value)


def dosing_weight_kg(weight_kg: Number, height_cm: Number, sex: str, basis: str) -> Decimal:
    """The weight a mg/kg dose is computed on, kg (0.1 kg), for ``basis`` ``total`` | ``ideal`` | ``adjusted``.

    ``total``: TBW. ``ideal``: IBW, but TBW when TBW < IBW. ``adjusted``: AdjBW, but TBW when TBW < IBW
    (clinical-rules.md §3). Below 60 in the ideal weight is the Devine base value (see :func:`dosing_weights`).
    """
    return dosing_weights(weight_kg, height_cm, sex, basis).dosing_weight_kg


@dataclass(frozen=True)
class DosingWeights:
    """All three weights for the plan screen (clinical-rules.md §3), the chosen one, and warnings in plain words."""

    total_kg: Decimal
    ideal_kg: Decimal
    adjusted_kg: Decimal
    bmi_kg_per_m2: Decimal
    basis: str
    dosing_weight_kg: Decimal
    warnings: tuple[str, ...]


def dosing_weights(weight_kg: Number, height_cm: Number, sex: str, basis: str) -> DosingWeights:
    """Total, ideal and adjusted weight, BMI, the dosing weight for ``basis``, and warnings.

    Warnings: height below 60 in (Devine not validated: total body weight recommended); BMI ≥ 30 on the ``total``
    basis (Sanacora 2017 suggests ideal body weight). Both from clinical-rules.md §3.
    """
    tbw = _weight("weight_kg", weight_kg)
    height = _height(height_cm)
    sex = _sex(sex)
    basis = _basis(basis)
    ibw = _ibw(height, sex)
    adjusted = _adjusted(tbw, ibw, ADJUSTED_WEIGHT_FACTOR)
    chosen = {"total": tbw, "ideal": min(tbw, ibw), "adjusted": adjusted}[basis]
    bmi = tbw / (height / 100) ** 2
    warnings: list[str] = []
    if height / INCH_CM < DEVINE_MIN_HEIGHT_IN:
        warnings.append(
            "Height is below 60 in (152.4 cm): the Devine ideal-weight formula is not validated, so ideal weight is "
            "the base value; dose on total body weight."
        )
    if basis == "total" and bmi >= IDEAL_WEIGHT_BMI_KG_PER_M2:
        warnings.append("BMI is 30 or more: Sanacora 2017 suggests dosing on ideal body weight.")
    return DosingWeights(
        total_kg=_q(tbw, _WEIGHT_Q),
        ideal_kg=_q(ibw, _WEIGHT_Q),
        adjusted_kg=_q(adjusted, _WEIGHT_Q),
        bmi_kg_per_m2=_q(bmi, _WEIGHT_Q),
        basis=basis,
        dosing_weight_kg=_q(chosen, _WEIGHT_Q),
        warnings=tuple(warnings),
    )
