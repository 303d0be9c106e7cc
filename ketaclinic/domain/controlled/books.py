"""The books of a controlled substance: entry kinds, their signs, invariant 2, and reconciliation of a count.

Invariant 2 (knowledge/controlled-substances.md): per container and per product,
``received = administered + wasted + destroyed + transferred + lost + on hand``. Adjustments (a witnessed correction
of the books after a count) stand on the receipt side with their sign. A REVERSAL is counted against the kind of the
entry it reverses, so a reversed administration no longer counts as administered.

What makes a count discrepancy "significant" is not a number the knowledge file (or federal rule) gives: it says only
that minor discrepancies are annotated and that a pattern of small losses is significant. The thresholds therefore
come in as a clinic policy (``DiscrepancyPolicy``), never as a constant here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ketaclinic.domain.controlled.quantities import mg_from_ml

__all__ = [
    "ADJUSTMENT",
    "ADMINISTER",
    "DESTROY",
    "INVENTORY_COUNT",
    "KINDS",
    "LOSS",
    "RECEIPT",
    "REVERSAL",
    "THEFT",
    "TRANSFER_OUT",
    "WASTE",
    "Books",
    "DiscrepancyPolicy",
    "Movement",
    "Reconciliation",
    "book_totals",
    "check_sign",
    "reconcile",
]

RECEIPT = "receipt"
ADMINISTER = "administer"
WASTE = "waste"
TRANSFER_OUT = "transfer_out"
DESTROY = "destroy"
LOSS = "loss"
THEFT = "theft"
ADJUSTMENT = "adjustment"
INVENTORY_COUNT = "inventory_count"
REVERSAL = "reversal"
KINDS = (RECEIPT, ADMINISTER, WASTE, TRANSFER_OUT, DESTROY, LOSS, THEFT, ADJUSTMENT, INVENTORY_COUNT, REVERSAL)

INFLOWS = frozenset({RECEIPT})
OUTFLOWS = frozenset({ADMINISTER, WASTE, TRANSFER_OUT, DESTROY, LOSS, THEFT})
ZERO = Decimal("0.00")


def check_sign(kind: str, quantity_ml: Decimal, *, reverses: str | None = None) -> None:
    """Raise ValueError unless ``quantity_ml`` has the sign ``kind`` requires.

    Receipts add (> 0); administrations, wastes, transfers, destructions, losses and thefts remove (< 0); an
    adjustment is either way but not zero; an inventory count moves nothing (= 0); a reversal has the opposite sign
    of the entry it reverses (``reverses`` is that entry's kind; counts and reversals cannot be reversed).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown entry kind {kind!r}")
    if kind == REVERSAL:
        if reverses is None or reverses in (REVERSAL, INVENTORY_COUNT) or reverses not in KINDS:
            raise ValueError(f"a reversal must reverse a receipt, removal or adjustment, not {reverses!r}")
        if quantity_ml == 0:
            raise ValueError("a reversal must move a quantity")
        return
    if kind in INFLOWS and quantity_ml <= 0:
        raise ValueError(f"a {kind} must be positive, not {quantity_ml}")
    if kind in OUTFLOWS and quantity_ml >= 0:
        raise ValueError(f"a {kind} must be negative, not {quantity_ml}")
    if kind == ADJUSTMENT and quantity_ml == 0:
        raise ValueError("an adjustment must move a quantity")
    if kind == INVENTORY_COUNT and quantity_ml != 0:
        raise ValueError(f"an inventory count moves nothing, not {quantity_ml}")


@dataclass(frozen=True)
class Movement:
    """One ledger entry as the books see it: its kind, its signed mL, and for a reversal the kind it reverses."""

    kind: str
    quantity_ml: Decimal
    reverses: str | None = None


@dataclass(frozen=True)
class Books:
    """Totals in mL, outflows as positive amounts; ``on_hand_ml`` is the stored balance the caller passes in."""

    received_ml: Decimal
    administered_ml: Decimal
    wasted_ml: Decimal
    destroyed_ml: Decimal
    transferred_ml: Decimal
    lost_ml: Decimal
    adjusted_ml: Decimal
    on_hand_ml: Decimal
    entries_sum_ml: Decimal

    @property
    def accounted_ml(self) -> Decimal:
        """Everything that left, plus what is on hand."""
        return (
            self.administered_ml
            + self.wasted_ml
            + self.destroyed_ml
            + self.transferred_ml
            + self.lost_ml
            + self.on_hand_ml
        )

    @property
    def balanced(self) -> bool:
        """Invariant 2 holds, and the stored balance equals the sum of the entries."""
        return self.received_ml + self.adjusted_ml == self.accounted_ml and self.entries_sum_ml == self.on_hand_ml


_BUCKET = {
    RECEIPT: "received_ml",
    ADMINISTER: "administered_ml",
    WASTE: "wasted_ml",
    DESTROY: "destroyed_ml",
    TRANSFER_OUT: "transferred_ml",
    LOSS: "lost_ml",
    THEFT: "lost_ml",
    ADJUSTMENT: "adjusted_ml",
}


def book_totals(movements: Iterable[Movement], *, on_hand_ml: Decimal) -> Books:
    """Fold entries into the invariant-2 totals. Theft counts with loss ("lost" on the books)."""
    totals = dict.fromkeys(set(_BUCKET.values()), ZERO)
    entries_sum = ZERO
    for movement in movements:
        entries_sum += movement.quantity_ml
        kind = movement.reverses if movement.kind == REVERSAL else movement.kind
        if kind is None or kind not in _BUCKET:
            continue  # inventory counts move nothing
        bucket = _BUCKET[kind]
        # Receipts and adjustments keep their sign; removals are totalled as positive amounts.
        totals[bucket] += movement.quantity_ml if kind in (RECEIPT, ADJUSTMENT) else -movement.quantity_ml
    return Books(on_hand_ml=on_hand_ml, entries_sum_ml=entries_sum, **totals)


@dataclass(frozen=True)
class DiscrepancyPolicy:
    """A clinic's rule for a *significant* count discrepancy (clinic policy, not a legal threshold).

    A discrepancy is significant when its size reaches ``significant_mg`` or ``significant_percent`` of the book
    balance, or when it would be the ``pattern_count``-th discrepancy for the product at the location within the
    clinic's pattern window (the caller counts the earlier ones: "a pattern of small losses is significant").
    """

    significant_mg: Decimal
    significant_percent: Decimal
    pattern_count: int


@dataclass(frozen=True)
class Reconciliation:
    book_ml: Decimal
    counted_ml: Decimal
    difference_ml: Decimal  # counted − book: negative is a shortage
    difference_mg: Decimal
    significant: bool
    reasons: tuple[str, ...]

    @property
    def kind(self) -> str:
        if self.difference_ml < 0:
            return "shortage"
        if self.difference_ml > 0:
            return "overage"
        return "match"


def reconcile(
    *,
    book_ml: Decimal,
    counted_ml: Decimal,
    concentration_mg_per_ml: Decimal,
    policy: DiscrepancyPolicy,
    earlier_discrepancies: int = 0,
) -> Reconciliation:
    """Compare a count with the books and say whether the difference is significant, and why."""
    if counted_ml < 0:
        raise ValueError(f"a count cannot be negative: {counted_ml}")
    difference = counted_ml - book_ml
    difference_mg = mg_from_ml(difference, concentration_mg_per_ml)
    reasons: list[str] = []
    if difference != 0:
        if abs(difference_mg) >= policy.significant_mg:
            reasons.append(f"{abs(difference_mg)} mg reaches the {policy.significant_mg} mg threshold")
        if book_ml > 0 and abs(difference) * 100 >= policy.significant_percent * book_ml:
            reasons.append(f"it is at least {policy.significant_percent} % of the book balance")
        if book_ml == 0:
            reasons.append("stock was found where the books show none")
        if earlier_discrepancies + 1 >= policy.pattern_count:
            reasons.append(f"it makes {earlier_discrepancies + 1} discrepancies within the pattern window")
    return Reconciliation(
        book_ml=book_ml,
        counted_ml=counted_ml,
        difference_ml=difference,
        difference_mg=difference_mg,
        significant=bool(reasons),
        reasons=tuple(reasons),
    )
