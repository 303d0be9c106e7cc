"""The inspection-ready reports (controlled-substances.md "Reports"), as data: one ``Report`` is rendered on screen,
as CSV and as a printable page by the same view (``base`` holds the shapes, ``stock`` the period reports,
``records`` the reports of one record and the inspection export)."""

from ketaclinic.ledger.reports.base import KINDS, Period, Report, Section
from ketaclinic.ledger.reports.records import form_106, inspection, inventory, reconciliation
from ketaclinic.ledger.reports.stock import administrations, balances, disposal, receipts

__all__ = [
    "KINDS",
    "Period",
    "Report",
    "Section",
    "administrations",
    "balances",
    "disposal",
    "form_106",
    "inspection",
    "inventory",
    "receipts",
    "reconciliation",
]
