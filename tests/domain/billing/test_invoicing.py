"""Invoice arithmetic: exact cents, balance = charges - credits - payments + refunds, never below zero through the
checks, card numbers recognised by their Luhn digit, ageing buckets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.domain.billing import invoicing as inv
from ketaclinic.domain.billing.invoicing import MoneyError, Totals

cents = st.integers(min_value=0, max_value=10_000_000).map(lambda c: Decimal(c) / 100)
# No deadline: the 2-core machine is shared, and a slow example is not a wrong one.
PROPERTY = settings(database=None, max_examples=300, deadline=None)
positive_cents = st.integers(min_value=1, max_value=10_000_000).map(lambda c: Decimal(c) / 100)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("450", Decimal("450.00")),
        ("1,200.50", Decimal("1200.50")),
        (Decimal("0.1"), Decimal("0.10")),
        (7, Decimal("7.00")),
    ],
)
def test_money_accepts_exact_cents(raw: object, expected: Decimal) -> None:
    assert inv.money(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (1.5, "exact decimal"),
        (True, "exact decimal"),
        ("abc", "a number"),
        ("NaN", "a number"),
        ("1.005", "two decimal places"),
        ("-1", "negative"),
        ("100000000", "too large"),
    ],
)
def test_money_refuses(raw: object, message: str) -> None:
    with pytest.raises(MoneyError, match=message):
        inv.money(raw)


def test_money_zero_may_be_refused() -> None:
    assert inv.money("0") == Decimal("0.00")
    with pytest.raises(MoneyError, match="more than zero"):
        inv.money("0", allow_zero=False)


def test_line_amount() -> None:
    assert inv.line_amount(6, Decimal("450.10")) == Decimal("2700.60")
    with pytest.raises(MoneyError, match="at least 1"):
        inv.line_amount(0, Decimal("1"))


def test_package_invoice_with_two_payments_and_a_refund() -> None:
    t = inv.totals(charges=[Decimal("2400.00")])
    t = inv.check_payment(t, Decimal("1000.00"))
    t = inv.check_payment(t, Decimal("500.00"))
    assert t.balance == Decimal("900.00")
    t = inv.check_refund(t, payment=Decimal("500.00"), refunded=[], amount=Decimal("200.00"))
    assert t.balance == Decimal("1100.00")
    assert t.paid == Decimal("1300.00")
    t = inv.check_credit(t, Decimal("100.00"))
    assert t.balance == Decimal("1000.00")


def test_payment_larger_than_the_balance_is_refused() -> None:
    t = inv.totals(charges=[Decimal("100.00")], payments=[Decimal("60.00")])
    with pytest.raises(MoneyError, match=r"larger than the balance \(40.00\)"):
        inv.check_payment(t, Decimal("40.01"))


def test_credit_larger_than_the_balance_is_refused() -> None:
    with pytest.raises(MoneyError, match="refund a payment first"):
        inv.check_credit(inv.totals(charges=[Decimal("10")]), Decimal("10.01"))


def test_refund_twice_beyond_the_payment_is_refused() -> None:
    t = inv.totals(charges=[Decimal("100")], payments=[Decimal("100")])
    t = inv.check_refund(t, payment=Decimal("100"), refunded=[], amount=Decimal("100"))
    with pytest.raises(MoneyError, match=r"left of this payment \(0.00\)"):
        inv.check_refund(t, payment=Decimal("100"), refunded=[Decimal("100")], amount=Decimal("100"))


@PROPERTY
@given(
    charges=st.lists(cents, max_size=5),
    steps=st.lists(st.tuples(st.sampled_from(["pay", "credit", "refund"]), positive_cents), max_size=12),
)
def test_balance_identity_and_never_negative(charges: list[Decimal], steps: list[tuple[str, Decimal]]) -> None:
    t = inv.totals(charges=charges)
    paid: list[Decimal] = []
    refunds: dict[int, list[Decimal]] = {}
    credits: list[Decimal] = []
    for kind, amount in steps:
        try:
            if kind == "pay":
                t = inv.check_payment(t, amount)
                paid.append(amount)
            elif kind == "credit":
                t = inv.check_credit(t, amount)
                credits.append(amount)
            elif paid:
                index = len(paid) - 1
                t = inv.check_refund(t, payment=paid[index], refunded=refunds.get(index, []), amount=amount)
                refunds.setdefault(index, []).append(amount)
        except MoneyError:
            pass
        assert t.balance >= 0
        for index, amounts in refunds.items():
            assert inv.refundable(paid[index], amounts) >= 0
    all_refunds = [a for amounts in refunds.values() for a in amounts]
    expected = (
        sum(charges, Decimal(0)) - sum(credits, Decimal(0)) - sum(paid, Decimal(0)) + sum(all_refunds, Decimal(0))
    )
    assert t.balance == expected
    assert t.balance == t.balance.quantize(Decimal("0.01"))


@PROPERTY
@given(a=cents, b=cents)
def test_exact_cents_add_without_drift(a: Decimal, b: Decimal) -> None:
    t = Totals(charges=a + b, payments=a)
    assert t.balance == b


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("4111 1111 1111 1111", True),
        ("4111-1111-1111-1111", True),
        ("ref 4242424242424242 ok", True),
        ("4111 1111 1111 1112", False),
        ("TERM-88213-A", False),
        ("1234567", False),
        ("", False),
    ],
)
def test_card_numbers_are_recognised(text: str, card: bool) -> None:
    assert inv.looks_like_card_number(text) is card


def test_luhn() -> None:
    assert inv.luhn_valid("79927398713")
    assert not inv.luhn_valid("79927398710")


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(0, "0-30"), (30, "0-30"), (31, "31-60"), (60, "31-60"), (61, "61-90"), (90, "61-90"), (91, "over 90")],
)
def test_age_buckets(days: int, bucket: str) -> None:
    today = dt.date(2026, 12, 7)
    assert inv.age_bucket(today - dt.timedelta(days=days), today) == bucket


def test_ageing_sums_per_bucket() -> None:
    today = dt.date(2026, 12, 7)
    result = inv.ageing(
        [(today, Decimal("10.00")), (today - dt.timedelta(days=100), Decimal("5.50")), (today, Decimal("1.00"))], today
    )
    assert result.buckets == {
        "0-30": Decimal("11.00"),
        "31-60": Decimal("0"),
        "61-90": Decimal("0"),
        "over 90": Decimal("5.50"),
    }
    assert result.total == Decimal("16.50")
