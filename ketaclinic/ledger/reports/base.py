"""The inspection-ready reports (controlled-substances.md "Reports"), as data: one ``Report`` is rendered on screen,
as CSV and as a printable page by the same view. Every report is for one location; periods are inclusive dates in
the clinic's time zone. Reports only read; the view audits each one (export/print included)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from ketaclinic.accounts.models import Location
from ketaclinic.domain.controlled import books
from ketaclinic.ledger.models import (
    Kind,
    LedgerEntry,
)

ZERO = Decimal("0.00")
KINDS = {
    "inventory": "Inventory",
    "receipts": "Receipts",
    "administrations": "Administrations",
    "disposal": "Wastage, destruction and transfers",
    "balances": "Running balances",
    "reconciliation": "Reconciliation",
    "form106": "Theft/loss worksheet (DEA Form 106)",
    "inspection": "Inspection export",
}


@dataclass
class Section:
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    totals: list[Any] | None = None
    note: str = ""


def plain(value: Any) -> Any:
    """Dates as ISO 8601 (what an inspector's spreadsheet and the rest of the ledger show)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    return value


@dataclass
class Report:
    kind: str
    title: str
    location: Location
    facts: list[tuple[str, Any]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    patient_ids: set[int] = field(default_factory=set)

    def normalise(self) -> Report:
        self.facts = [(label, plain(value)) for label, value in self.facts]
        for section in self.sections:
            section.rows = [[plain(cell) for cell in row] for row in section.rows]
        return self


class Period:
    def __init__(self, start: dt.date, end: dt.date, tz: ZoneInfo) -> None:
        self.start, self.end, self.tz = start, end, tz
        self.start_at = dt.datetime.combine(start, dt.time.min, tz)
        self.end_at = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tz)

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}"


def tz_of(location: Location) -> ZoneInfo:
    return ZoneInfo(location.clinic.timezone)


def when(moment: dt.datetime | None, tz: ZoneInfo) -> str:
    return "" if moment is None else moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def registrant_facts(location: Location) -> list[tuple[str, Any]]:
    registrant = getattr(location, "dea_registrant", None)
    if registrant is None:
        return [("Location", location.name), ("DEA registration", "none on file")]
    return [
        ("Registrant", registrant.registrant_name),
        ("DEA registration", registrant.dea_number),
        ("Schedules", registrant.schedules),
        ("Registered address", registrant.address),
        ("Registration expires", registrant.expires_on),
        ("Location", location.name),
    ]


def entries_for(location: Location, period: Period | None = None) -> QuerySet[LedgerEntry]:
    entries = LedgerEntry.objects.filter(location=location).select_related(
        "container__lot", "product", "patient", "counterparty", "reverses"
    )
    if period is not None:
        entries = entries.filter(occurred_at__gte=period.start_at, occurred_at__lt=period.end_at)
    return entries.order_by("occurred_at", "seq")


def reversed_entry_ids(location: Location) -> set[int]:
    return set(LedgerEntry.objects.filter(location=location, kind=Kind.REVERSAL).values_list("reverses_id", flat=True))


def flags(entry: LedgerEntry, reversed_ids: set[int]) -> str:
    flags = []
    if entry.pk in reversed_ids:
        flags.append("REVERSED")
    if entry.backdated:
        flags.append(f"late entry: {entry.backdate_reason}")
    if entry.kind == Kind.REVERSAL and entry.reverses is not None:
        flags.append(f"reverses #{entry.reverses.seq}")
    return "; ".join(flags)


def movements(entries: Iterable[LedgerEntry]) -> list[books.Movement]:
    return [
        books.Movement(e.kind, e.quantity_ml, e.reverses.kind if e.reverses_id and e.reverses else None)
        for e in entries
    ]
