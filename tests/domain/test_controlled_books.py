"""Entry signs, invariant 2 totals and reconciliation of a count, against hand-computed books."""

from decimal import Decimal

import pytest

from ketaclinic.domain.controlled import books as b

D = Decimal


@pytest.mark.parametrize(
    ("kind", "quantity", "reverses"),
    [
        (b.RECEIPT, "20", None),
        (b.ADMINISTER, "-4", None),
        (b.WASTE, "-0.5", None),
        (b.TRANSFER_OUT, "-5", None),
        (b.DESTROY, "-5", None),
        (b.LOSS, "-1", None),
        (b.THEFT, "-20", None),
        (b.ADJUSTMENT, "0.3", None),
        (b.ADJUSTMENT, "-0.3", None),
        (b.INVENTORY_COUNT, "0", None),
        (b.REVERSAL, "4", b.ADMINISTER),
        (b.REVERSAL, "-20", b.RECEIPT),
    ],
)
def test_allowed_signs(kind: str, quantity: str, reverses: str | None) -> None:
    b.check_sign(kind, D(quantity), reverses=reverses)


@pytest.mark.parametrize(
    ("kind", "quantity", "reverses", "message"),
    [
        ("refill", "1", None, "unknown entry kind"),
        (b.RECEIPT, "0", None, "must be positive"),
        (b.ADMINISTER, "4", None, "must be negative"),
        (b.WASTE, "0", None, "must be negative"),
        (b.ADJUSTMENT, "0", None, "must move a quantity"),
        (b.INVENTORY_COUNT, "1", None, "moves nothing"),
        (b.REVERSAL, "1", None, "must reverse"),
        (b.REVERSAL, "1", b.REVERSAL, "must reverse"),
        (b.REVERSAL, "1", b.INVENTORY_COUNT, "must reverse"),
        (b.REVERSAL, "1", "refill", "must reverse"),
        (b.REVERSAL, "0", b.ADMINISTER, "must move a quantity"),
    ],
)
def test_refused_signs(kind: str, quantity: str, reverses: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        b.check_sign(kind, D(quantity), reverses=reverses)


def test_book_totals_by_hand() -> None:
    """Two 20 mL vials received; 4 + 3.5 mL given, 0.5 wasted, one administration of 2 mL reversed (a wrong entry),
    1 mL lost, 0.2 mL stolen, a +0.1 mL adjustment after a count, a count entry: on hand 40 − 4 − 3.5 − 0.5 − 1
    − 0.2 + 0.1 = 30.9 mL."""
    movements = [
        b.Movement(b.RECEIPT, D("20.00")),
        b.Movement(b.RECEIPT, D("20.00")),
        b.Movement(b.ADMINISTER, D("-4.00")),
        b.Movement(b.ADMINISTER, D("-3.50")),
        b.Movement(b.WASTE, D("-0.50")),
        b.Movement(b.ADMINISTER, D("-2.00")),
        b.Movement(b.REVERSAL, D("2.00"), reverses=b.ADMINISTER),
        b.Movement(b.LOSS, D("-1.00")),
        b.Movement(b.THEFT, D("-0.20")),
        b.Movement(b.ADJUSTMENT, D("0.10")),
        b.Movement(b.INVENTORY_COUNT, D("0")),
    ]
    books = b.book_totals(movements, on_hand_ml=D("30.90"))
    assert books.received_ml == D("40.00")
    assert books.administered_ml == D("7.50")
    assert books.wasted_ml == D("0.50")
    assert books.lost_ml == D("1.20")
    assert books.adjusted_ml == D("0.10")
    assert books.destroyed_ml == books.transferred_ml == D("0")
    assert books.entries_sum_ml == D("30.90")
    assert books.accounted_ml == D("40.10")
    assert books.balanced


def test_books_do_not_balance_when_the_stored_balance_drifts() -> None:
    movements = [
        b.Movement(b.RECEIPT, D("5.00")),
        b.Movement(b.DESTROY, D("-2.00")),
        b.Movement(b.TRANSFER_OUT, D("-1.00")),
    ]
    books = b.book_totals(movements, on_hand_ml=D("2.50"))
    assert (books.destroyed_ml, books.transferred_ml) == (D("2.00"), D("1.00"))
    assert not books.balanced
    assert b.book_totals(movements, on_hand_ml=D("2.00")).balanced


def test_a_reversal_without_a_known_kind_only_moves_the_sum() -> None:
    books = b.book_totals([b.Movement(b.REVERSAL, D("1.00"), reverses=None)], on_hand_ml=D("1.00"))
    assert books.entries_sum_ml == D("1.00") and books.received_ml == D("0")


POLICY = b.DiscrepancyPolicy(significant_mg=D("10"), significant_percent=D("5"), pattern_count=3)


def test_a_matching_count_is_never_significant() -> None:
    result = b.reconcile(book_ml=D("12.00"), counted_ml=D("12.00"), concentration_mg_per_ml=D("10"), policy=POLICY)
    assert (result.kind, result.difference_ml, result.significant, result.reasons) == ("match", D("0"), False, ())


def test_a_small_shortage_is_minor() -> None:
    # 0.30 mL of 10 mg/mL = 3 mg (< 10 mg) and 0.3/19.5 = 1.5 % (< 5 %): minor, to be annotated.
    result = b.reconcile(book_ml=D("19.50"), counted_ml=D("19.20"), concentration_mg_per_ml=D("10"), policy=POLICY)
    assert result.kind == "shortage"
    assert (result.difference_ml, result.difference_mg) == (D("-0.30"), D("-3.00"))
    assert not result.significant


def test_a_shortage_reaching_the_mg_threshold_is_significant() -> None:
    # 0.10 mL of 100 mg/mL = 10 mg: reaches 10 mg, though only 2 % of 5 mL.
    result = b.reconcile(book_ml=D("5.00"), counted_ml=D("4.90"), concentration_mg_per_ml=D("100"), policy=POLICY)
    assert result.significant and result.reasons == ("10.00 mg reaches the 10 mg threshold",)


def test_an_overage_reaching_the_percent_threshold_is_significant() -> None:
    # +0.10 mL on a 2 mL book is 5 % (1 mg): significant by percent only.
    result = b.reconcile(book_ml=D("2.00"), counted_ml=D("2.10"), concentration_mg_per_ml=D("10"), policy=POLICY)
    assert result.kind == "overage"
    assert result.reasons == ("it is at least 5 % of the book balance",)


def test_stock_where_the_books_show_none_is_significant() -> None:
    result = b.reconcile(book_ml=D("0.00"), counted_ml=D("0.05"), concentration_mg_per_ml=D("10"), policy=POLICY)
    assert result.reasons == ("stock was found where the books show none",)


def test_a_pattern_of_small_discrepancies_is_significant() -> None:
    small = {"book_ml": D("19.50"), "counted_ml": D("19.40"), "concentration_mg_per_ml": D("10"), "policy": POLICY}
    assert not b.reconcile(**small, earlier_discrepancies=1).significant  # type: ignore[arg-type]
    third = b.reconcile(**small, earlier_discrepancies=2)  # type: ignore[arg-type]
    assert third.significant and third.reasons == ("it makes 3 discrepancies within the pattern window",)


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        b.reconcile(book_ml=D("1"), counted_ml=D("-1"), concentration_mg_per_ml=D("10"), policy=POLICY)
