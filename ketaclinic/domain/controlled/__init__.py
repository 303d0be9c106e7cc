"""Controlled-substance arithmetic for the Schedule III ledger (knowledge/controlled-substances.md), pure Python.

- ``quantities``: exact mL (authoritative) and the mg derived from a product's concentration, both ``Decimal``.
- ``books``: entry kinds and their signs, the book totals of invariant 2, reconciliation of a count against the books.
- ``deadlines``: business days (weekends and US federal holidays), the 1-business-day theft/loss notice, the 45-day
  DEA Form 106 deadline, the biennial inventory due date, the retention cut-off and back-dating.
- ``expiry``: expired and soon-expiring lots (never given, still counted, destroyed or returned).
"""

from ketaclinic.domain.controlled import books, deadlines, expiry, quantities

__all__ = ["books", "deadlines", "expiry", "quantities"]
