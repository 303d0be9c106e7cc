"""Exact drug quantities: mL is authoritative, mg is derived (knowledge/controlled-substances.md "Data model").

Volumes are kept to 0.01 mL, the finest a clinician reads off a syringe and what the database column holds; a volume
given more precisely is refused rather than silently rounded, so what was typed is what is recorded. Milligrams are
mL × concentration (mg/mL) rounded half-up to 0.01 mg. For every product in clinical-rules.md §3 (10, 50, 100 mg/mL
and esketamine 28 mg per 0.2 mL = 140 mg/mL) the product of a 0.01 mL volume and the concentration is already exact,
so the rounding only matters for an unusual concentration. Floats are refused everywhere: they cannot hold 0.1 exactly.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = ["MG_QUANTUM", "ML_QUANTUM", "QuantityError", "exact_ml", "format_ml", "mg_from_ml", "ml_from_mg"]

ML_QUANTUM = Decimal("0.01")
MG_QUANTUM = Decimal("0.01")


class QuantityError(ValueError):
    """A quantity that cannot be recorded exactly (not a number, infinite, or finer than 0.01 mL)."""


def _decimal(value: Decimal | int | str, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"{name} must be a Decimal, int or str, not {type(value).__name__} (floats are inexact)")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise QuantityError(f"{name} is not a number: {value!r}") from None
    if not number.is_finite():
        raise QuantityError(f"{name} must be a finite number, not {value!r}")
    return number


def exact_ml(value: Decimal | int | str, *, name: str = "quantity_ml") -> Decimal:
    """``value`` as a Decimal with two decimal places; refuses anything more precise than 0.01 mL."""
    number = _decimal(value, name)
    try:
        quantized = number.quantize(ML_QUANTUM)
    except InvalidOperation:
        raise QuantityError(f"{name} is too large: {value!r}") from None
    if quantized != number:
        raise QuantityError(f"{name} is more precise than 0.01 mL: {value!r}")
    return quantized


def mg_from_ml(quantity_ml: Decimal, concentration_mg_per_ml: Decimal) -> Decimal:
    """Milligrams in ``quantity_ml`` of a product (signed like the volume), rounded half-up to 0.01 mg."""
    if concentration_mg_per_ml <= 0:
        raise QuantityError(f"concentration_mg_per_ml must be positive, not {concentration_mg_per_ml}")
    return (quantity_ml * concentration_mg_per_ml).quantize(MG_QUANTUM, rounding=ROUND_HALF_UP)


def ml_from_mg(dose_mg: Decimal, concentration_mg_per_ml: Decimal) -> Decimal:
    """The volume that holds ``dose_mg``, rounded half-up to 0.01 mL (for turning an ordered dose into a draw)."""
    if concentration_mg_per_ml <= 0:
        raise QuantityError(f"concentration_mg_per_ml must be positive, not {concentration_mg_per_ml}")
    return (dose_mg / concentration_mg_per_ml).quantize(ML_QUANTUM, rounding=ROUND_HALF_UP)


def format_ml(quantity_ml: Decimal) -> str:
    """'12.50 mL' — always two decimals, the precision the ledger keeps."""
    return f"{quantity_ml.quantize(ML_QUANTUM)} mL"
