"""Checking a drawn volume against the order and against what a container can still give.

- **What is available.** A container's book balance less every volume already drawn from it and not yet posted
  (an infusion posts its administration when it ends, so the draw is *held* against the container from the moment it
  is drawn). A draw larger than what is available is refused: a vial cannot give what it no longer holds
  (21 CFR 1304.21(a): every quantity received, administered or otherwise disposed of is recorded, so the books must
  know each draw as it happens).
- **How far a draw may differ from the order.** A draw within the clinic's tolerance of the ordered volume passes; a
  larger difference needs a written reason on the record. The tolerance is CLINIC POLICY (ketaclinic's default 10 %);
  no regulation or label gives a number.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "TOLERANCE_PERCENT_DEFAULT",
    "TOLERANCE_PERCENT_MAX",
    "available_ml",
    "difference_percent",
    "needs_reason",
]

TOLERANCE_PERCENT_DEFAULT = Decimal("10")  # CLINIC POLICY: a draw this far from the order needs a reason
TOLERANCE_PERCENT_MAX = Decimal("100")


def available_ml(balance_ml: Decimal, held_ml: Decimal) -> Decimal:
    """What may still be drawn: the book balance less the volumes drawn and not yet posted (never below zero)."""
    if balance_ml < 0 or held_ml < 0:
        raise ValueError("balances and held volumes are never negative")
    return max(balance_ml - held_ml, Decimal(0))


def difference_percent(drawn_ml: Decimal, ordered_ml: Decimal) -> Decimal:
    """How far the draw is from the ordered volume, as a percentage of the order (signed: above is positive),
    rounded half-up to 0.1 %."""
    if ordered_ml <= 0:
        raise ValueError("the ordered volume must be positive")
    return ((drawn_ml - ordered_ml) / ordered_ml * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def needs_reason(drawn_ml: Decimal, ordered_ml: Decimal, tolerance_percent: Decimal) -> bool:
    """True when the draw differs from the order by more than ``tolerance_percent`` either way."""
    if not Decimal(0) <= tolerance_percent <= TOLERANCE_PERCENT_MAX:
        raise ValueError(f"the tolerance is between 0 and {TOLERANCE_PERCENT_MAX} %")
    return abs(difference_percent(drawn_ml, ordered_ml)) > tolerance_percent
