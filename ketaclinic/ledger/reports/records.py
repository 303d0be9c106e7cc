"""Reports of one record: an inventory, its reconciliation, a Form 106 worksheet; and the inspection export."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ketaclinic.accounts.models import Location
from ketaclinic.domain.controlled.quantities import mg_from_ml
from ketaclinic.ledger.models import Container, Inventory, TheftLossReport
from ketaclinic.ledger.reports.base import (
    ZERO,
    Period,
    Report,
    Section,
    entries_for,
    flags,
    registrant_facts,
    reversed_entry_ids,
    tz_of,
    when,
)
from ketaclinic.ledger.services import chain
from ketaclinic.ledger.services.common import policy_for


def _inventory_facts(inventory: Inventory, tz: ZoneInfo) -> list[tuple[str, Any]]:
    return [
        ("Inventory", inventory.get_kind_display()),
        ("Date and time", when(inventory.taken_at, tz)),
        ("Opening or close of business", inventory.get_business_timing_display()),
        ("Counted by", inventory.counted_by.display_name),
        ("Status", inventory.get_status_display()),
    ]


def inventory(inventory: Inventory) -> Report:
    location, tz = inventory.location, tz_of(inventory.location)
    report = Report(
        "inventory", "Inventory", location, facts=[*registrant_facts(location), *_inventory_facts(inventory, tz)]
    )
    section = Section(
        "Controlled substances on hand",
        [
            "Product",
            "NDC",
            "Finished form",
            "Strength",
            "Container size",
            "Container",
            "Lot",
            "Expiry",
            "Counted mL",
            "Counted mg",
            "Measure",
        ],
    )
    if not inventory.lines.exists():
        section.note = "Nothing on hand (a zero inventory)."
    total: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in inventory.lines.select_related("container__lot__product"):
        product = line.container.lot.product
        counted = line.counted_ml if line.counted_ml is not None else ZERO
        mg = (counted * product.concentration_mg_per_ml).quantize(Decimal("0.01"))
        total["ml"] += counted
        total["mg"] += mg
        section.rows.append(
            [
                product.name,
                product.ndc,
                product.get_form_display(),
                product.strength,
                product.container_size,
                line.container.label,
                line.container.lot.lot_number,
                line.container.lot.expires_on,
                counted if line.counted_ml is not None else "not counted",
                mg,
                f"estimated: {line.estimation_reason}" if line.estimated else "exact",
            ]
        )
    section.totals = ["Total", "", "", "", "", "", "", "", total["ml"], total["mg"], ""]
    report.sections.append(section)
    return report


def reconciliation(inventory: Inventory) -> Report:
    location, tz = inventory.location, tz_of(inventory.location)
    policy = policy_for(location.clinic_id)
    report = Report(
        "reconciliation",
        "Reconciliation: books against the count",
        location,
        facts=[*registrant_facts(location), *_inventory_facts(inventory, tz)],
    )
    report.notes.append(
        f"Significant (clinic policy, not a legal threshold): ≥ {policy.significant_discrepancy_mg} mg, or "
        f"≥ {policy.significant_discrepancy_percent} % of the book balance, or once {policy.discrepancy_pattern_count} "
        f"discrepancies for a product fall within {policy.discrepancy_pattern_days} days."
    )
    section = Section(
        "Lines",
        [
            "Product",
            "Container",
            "Book mL",
            "Counted mL",
            "Difference mL",
            "Difference mg",
            "Result",
            "Significant",
            "Status",
            "Annotation / action",
        ],
    )
    for line in inventory.lines.select_related("container__lot__product"):
        discrepancy = getattr(line, "discrepancy", None)
        section.rows.append(
            [
                line.container.lot.product.name,
                line.container.label,
                line.book_ml,
                line.counted_ml,
                discrepancy.difference_ml if discrepancy else ZERO,
                discrepancy.difference_mg if discrepancy else ZERO,
                discrepancy.kind if discrepancy else "match",
                ("yes: " + discrepancy.reasons) if discrepancy and discrepancy.significant else "no",
                discrepancy.get_status_display() if discrepancy else "",
                discrepancy.annotation if discrepancy else "",
            ]
        )
    report.sections.append(section)
    return report


def form_106(report_row: TheftLossReport) -> Report:
    location, tz = report_row.location, tz_of(report_row.location)
    report = Report(
        "form106",
        "Theft/loss worksheet for DEA Form 106",
        location,
        facts=[
            *registrant_facts(location),
            ("Type", report_row.get_kind_display()),
            ("Discovered", when(report_row.discovered_at, tz)),
            ("Written notice due (1 business day)", report_row.notice_due_on),
            ("Written notice sent", when(report_row.notice_sent_at, tz) or "NOT YET"),
            ("Form 106 due (45 days)", report_row.form_106_due_on),
            ("Form 106 filed", when(report_row.form_106_filed_at, tz) or "NOT YET"),
            ("Form 106 confirmation", report_row.form_106_reference),
            ("What happened", report_row.description),
        ],
    )
    section = Section(
        "Items missing",
        [
            "NDC",
            "Name",
            "Strength",
            "Form",
            "Container size",
            "Container",
            "Lot",
            "Quantity mL",
            "Quantity mg",
            "Entry",
        ],
    )
    for entry in report_row.entries.select_related("product", "container__lot").order_by("seq"):
        product = entry.product
        section.rows.append(
            [
                product.ndc,
                product.name,
                product.strength,
                product.get_form_display(),
                product.container_size,
                entry.container.label,
                entry.container.lot.lot_number,
                -entry.quantity_ml,
                -entry.quantity_mg,
                f"#{entry.seq}",
            ]
        )
    report.sections.append(section)
    return report


JOURNAL_COLUMNS = [
    "Entry",
    "Occurred at",
    "Recorded at",
    "Kind",
    "Product",
    "NDC",
    "Container",
    "Lot",
    "mL",
    "mg",
    "Balance after mL",
    "Patient",
    "Patient address",
    "By",
    "Witness",
    "Second witness",
    "Witness signed by",
    "Counterparty",
    "Counterparty DEA no.",
    "Invoice / reference",
    "Manner",
    "Reason",
    "Counted mL",
    "Session reference",
    "Flags",
    "Entry hash",
]


def inspection(location: Location, period: Period) -> Report:
    report = Report(
        "inspection",
        "Inspection export",
        location,
        facts=[*registrant_facts(location), ("Period", str(period))],
    )
    check = chain.verify()
    report.facts.append(
        (
            "Hash chain (whole ledger)",
            f"intact: {check.entries} entries verified"
            if check.intact
            else f"BROKEN: {check.chain_break or ''} {'; '.join(check.problems[:3])}",
        )
    )
    reversed_ids = reversed_entry_ids(location)
    journal = Section("Every entry in the period", JOURNAL_COLUMNS)
    for entry in entries_for(location, period):
        patient = entry.patient
        if patient is not None:
            report.patient_ids.add(patient.pk)
        party = entry.counterparty
        journal.rows.append(
            [
                f"#{entry.seq}",
                when(entry.occurred_at, period.tz),
                when(entry.recorded_at, period.tz),
                entry.get_kind_display(),
                entry.product.name,
                entry.product.ndc,
                entry.container.label,
                entry.container.lot.lot_number,
                entry.quantity_ml,
                entry.quantity_mg,
                entry.balance_after_ml,
                f"{patient.full_name} ({patient.mrn})" if patient else "",
                ", ".join(filter(None, [patient.address_line1, patient.city, patient.state, patient.postal_code]))
                if patient
                else "",
                entry.actor_name,
                entry.witness_name,
                entry.second_witness_name,
                entry.witness_method,
                party.name if party else "",
                party.dea_number if party else "",
                entry.invoice_ref,
                entry.manner,
                entry.reason,
                entry.counted_ml if entry.counted_ml is not None else "",
                entry.session_reference,
                flags(entry, reversed_ids),
                entry.entry_hash,
            ]
        )
    report.sections.append(journal)
    on_hand = Section("On hand now", ["Product", "NDC", "Containers", "mL", "mg"])
    stock: dict[int, list[Any]] = {}
    containers = Container.objects.filter(location=location, balance_ml__gt=0).select_related("lot__product")
    for container in containers.order_by("lot__product__name", "pk"):  # summed in Python: exact on SQLite too
        product = container.lot.product
        row = stock.setdefault(product.pk, [product.name, product.ndc, 0, ZERO, ZERO])
        row[2] += 1
        row[3] += container.balance_ml
        row[4] = mg_from_ml(row[3], product.concentration_mg_per_ml)
    on_hand.rows.extend(stock.values())
    report.sections.append(on_hand)
    inventories = Section(
        "Inventories in the period", ["Kind", "Date and time", "Opening/close", "Counted by", "Status", "Containers"]
    )
    for counted in Inventory.objects.filter(
        location=location, taken_at__gte=period.start_at, taken_at__lt=period.end_at
    ):
        inventories.rows.append(
            [
                counted.get_kind_display(),
                when(counted.taken_at, period.tz),
                counted.get_business_timing_display(),
                counted.counted_by.display_name,
                counted.get_status_display(),
                counted.lines.count(),
            ]
        )
    report.sections.append(inventories)
    reports = Section(
        "Theft and loss reports",
        ["Type", "Discovered", "Notice due", "Notice sent", "Form 106 due", "Form 106 filed", "Confirmation"],
    )
    for theft_loss in TheftLossReport.objects.filter(
        location=location, discovered_at__gte=period.start_at, discovered_at__lt=period.end_at
    ):
        reports.rows.append(
            [
                theft_loss.get_kind_display(),
                when(theft_loss.discovered_at, period.tz),
                theft_loss.notice_due_on,
                when(theft_loss.notice_sent_at, period.tz),
                theft_loss.form_106_due_on,
                when(theft_loss.form_106_filed_at, period.tz),
                theft_loss.form_106_reference,
            ]
        )
    report.sections.append(reports)
    return report
