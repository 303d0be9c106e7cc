"""Invoice arithmetic for self-pay patients, in exact decimal cents.

An invoice's balance is its charges less its credit notes less what was paid plus what was refunded
(balance = charges - credits - payments + refunds). The services refuse any write that would take a balance below
zero (a payment larger than the balance, a credit note larger than the balance) or refund more than is left of a
payment, so the balance of a stored invoice is never negative. Amounts are ``Decimal`` with at most two decimal places
(cents); a float, a third decimal place, NaN or infinity is refused rather than rounded, so no cent is ever invented.

Card payments: only the card terminal's reference is kept, never a card number (PCI DSS v4.0 requirement 3: do not
store the primary account number unless there is a business need). A payment card number (PAN) is 13 to 19 digits
whose last digit is a Luhn check digit (ISO/IEC 7812-1); :func:`looks_like_card_number` finds one in free text so it
can be refused before it is stored.

Accounts-receivable ageing: the usual 0-30, 31-60, 61-90 and over-90-day buckets, counted from the invoice's issue
date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Final

from ketaclinic.domain.billing.identifiers import luhn_valid

CENT: Final = Decimal("0.01")
ZERO: Final = Decimal("0.00")
MAX_AMOUNT: Final = Decimal("99999999.99")  # the columns hold 10 digits, 2 after the point


class MoneyError(ValueError):
    """An amount that is not exact cents, or a write that would break the invoice arithmetic."""


def money(value: object, *, what: str = "amount", allow_zero: bool = True) -> Decimal:
    """``value`` (a Decimal, an int or a decimal string) as exact cents; refuses floats, more than two decimal places,
    negatives, NaN, infinity and amounts beyond the columns, each with a sentence naming ``what``."""
    if isinstance(value, (bool, float)):
        raise MoneyError(f"The {what} must be an exact decimal amount (e.g. 450.00), not {value!r}.")
    try:
        amount = Decimal(str(value).strip().replace(",", "")) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise MoneyError(f"The {what} must be a number such as 450.00.") from None
    if not amount.is_finite():
        raise MoneyError(f"The {what} must be a number such as 450.00.")
    if amount != amount.quantize(CENT):
        raise MoneyError(f"The {what} has more than two decimal places: amounts are in whole cents.")
    if amount < 0:
        raise MoneyError(f"The {what} cannot be negative.")
    if amount == 0 and not allow_zero:
        raise MoneyError(f"The {what} must be more than zero.")
    if amount > MAX_AMOUNT:
        raise MoneyError(f"The {what} is too large.")
    return amount.quantize(CENT)


def line_amount(quantity: int, unit_price: Decimal) -> Decimal:
    """Quantity x unit price, exact (whole quantities times cents stay cents)."""
    if quantity < 1:
        raise MoneyError("The quantity must be at least 1.")
    return (money(unit_price, what="unit price") * quantity).quantize(CENT)


@dataclass(frozen=True)
class Totals:
    """One invoice's money: what was charged, credited, paid and refunded, and what is still owed."""

    charges: Decimal = ZERO
    credits: Decimal = ZERO
    payments: Decimal = ZERO
    refunds: Decimal = ZERO

    @property
    def balance(self) -> Decimal:
        return (self.charges - self.credits - self.payments + self.refunds).quantize(CENT)

    @property
    def paid(self) -> Decimal:
        """Payments less refunds: what the clinic keeps."""
        return (self.payments - self.refunds).quantize(CENT)


def totals(
    *,
    charges: Iterable[Decimal] = (),
    credits: Iterable[Decimal] = (),
    payments: Iterable[Decimal] = (),
    refunds: Iterable[Decimal] = (),
) -> Totals:
    return Totals(
        charges=sum(charges, ZERO).quantize(CENT),
        credits=sum(credits, ZERO).quantize(CENT),
        payments=sum(payments, ZERO).quantize(CENT),
        refunds=sum(refunds, ZERO).quantize(CENT),
    )


def check_payment(current: Totals, amount: Decimal) -> Totals:
    """The totals after a payment of ``amount``; refuses zero and anything above the balance."""
    amount = money(amount, what="payment", allow_zero=False)
    if amount > current.balance:
        raise MoneyError(
            f"The payment ({amount}) is larger than the balance ({current.balance}): nothing was recorded."
        )
    return Totals(current.charges, current.credits, current.payments + amount, current.refunds)


def check_credit(current: Totals, amount: Decimal) -> Totals:
    """The totals after a credit note of ``amount``; a credit note never takes the balance below zero (refund the
    payment instead)."""
    amount = money(amount, what="credit note", allow_zero=False)
    if amount > current.balance:
        raise MoneyError(
            f"The credit note ({amount}) is larger than the balance ({current.balance}): refund a payment first."
        )
    return Totals(current.charges, current.credits + amount, current.payments, current.refunds)


def refundable(payment: Decimal, refunded: Iterable[Decimal]) -> Decimal:
    """What is left of a payment to refund."""
    return (payment - sum(refunded, ZERO)).quantize(CENT)


def check_refund(current: Totals, *, payment: Decimal, refunded: Iterable[Decimal], amount: Decimal) -> Totals:
    """The totals after refunding ``amount`` of one payment; refuses more than what is left of that payment."""
    amount = money(amount, what="refund", allow_zero=False)
    left = refundable(payment, refunded)
    if amount > left:
        raise MoneyError(f"The refund ({amount}) is more than what is left of this payment ({left}).")
    return Totals(current.charges, current.credits, current.payments, current.refunds + amount)


# --- Card numbers -------------------------------------------------------------------------------------------------

_DIGIT_RUN = re.compile(r"\d(?:[ -]?\d)*")


def looks_like_card_number(text: str) -> bool:
    """True when ``text`` holds 13-19 digits (spaces or dashes between them allowed) that pass the Luhn check:
    probably a card number, which must not be stored."""
    for match in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            return True
    return False


# --- Ageing -----------------------------------------------------------------------------------------------------------

BUCKETS: Final = ("0-30", "31-60", "61-90", "over 90")


def age_bucket(issued_on: dt.date, as_of: dt.date) -> str:
    """The ageing bucket of an invoice issued on ``issued_on``, seen on ``as_of`` (days since issue)."""
    days = (as_of - issued_on).days
    if days <= 30:
        return BUCKETS[0]
    if days <= 60:
        return BUCKETS[1]
    if days <= 90:
        return BUCKETS[2]
    return BUCKETS[3]


@dataclass
class Ageing:
    """Open balances per bucket, with the total."""

    buckets: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)


def ageing(rows: Iterable[tuple[dt.date, Decimal]], as_of: dt.date) -> Ageing:
    """Sum open balances ``(issued_on, balance)`` into the ageing buckets; settled invoices (zero) add nothing."""
    result = Ageing()
    for issued_on, balance in rows:
        bucket = age_bucket(issued_on, as_of)
        result.buckets[bucket] = (result.buckets[bucket] + balance).quantize(CENT)
    return result
