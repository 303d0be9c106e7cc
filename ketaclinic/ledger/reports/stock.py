"""Reports over a period: receipts, administrations, wastage/destruction/transfers, running balances."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from ketaclinic.accounts.models import Location
from ketaclinic.domain.controlled import books
from ketaclinic.ledger.models import DestructionRecord, Kind, LedgerEntry
from ketaclinic.ledger.reports.base import (
    ZERO,
    Period,
    Report,
    Section,
    entries_for,
    flags,
    movements,
    registrant_facts,
    reversed_entry_ids,
    when,
)
from ketaclinic.patients.models import Patient


def receipts(location: Location, period: Period) -> Report:
    report = Report("receipts", "Receipts", location, facts=[*registrant_facts(location), ("Period", str(period))])
    section = Section(
        "Receipts",
        [
            "Date received",
            "Substance / product",
            "NDC",
            "Finished form",
            "Container size",
            "Containers",
            "Total mL",
            "Total mg",
            "Lot",
            "Supplier",
            "Supplier address",
            "Supplier DEA no.",
            "Invoice / packing slip",
            "Received by",
            "Flags",
        ],
    )
    groups: dict[tuple[Any, ...], list[LedgerEntry]] = defaultdict(list)
    reversed_ids = reversed_entry_ids(location)
    for entry in entries_for(location, period).filter(kind=Kind.RECEIPT):
        groups[(entry.group_ref or entry.pk,)].append(entry)
    total_ml = total_mg = ZERO
    for group in groups.values():
        first = group[0]
        product, supplier = first.product, first.counterparty
        ml = sum((e.quantity_ml for e in group), ZERO)
        mg = sum((e.quantity_mg for e in group), ZERO)
        total_ml += ml
        total_mg += mg
        section.rows.append(
            [
                when(first.occurred_at, period.tz),
                product.name,
                product.ndc,
                f"{product.get_form_display()} {product.strength}",
                product.container_size,
                len(group),
                ml,
                mg,
                first.container.lot.lot_number,
                supplier.name if supplier else "",
                supplier.address if supplier else "",
                supplier.dea_number if supplier else "",
                first.invoice_ref,
                first.actor_name,
                "; ".join(filter(None, (flags(e, reversed_ids) for e in group))),
            ]
        )
    section.totals = ["Total", "", "", "", "", sum(r[5] for r in section.rows), total_ml, total_mg, *[""] * 7]
    report.sections.append(section)
    return report


def administrations(location: Location, period: Period, patient: Patient | None = None) -> Report:
    title = "Administrations" + (f" — {patient.full_name}" if patient else "")
    report = Report("administrations", title, location, facts=[*registrant_facts(location), ("Period", str(period))])
    entries = entries_for(location, period).filter(kind=Kind.ADMINISTER)
    if patient is not None:
        entries = entries.filter(patient=patient)
        report.facts.append(("Patient", f"{patient.full_name} ({patient.mrn})"))
    wastes = defaultdict(list)
    for waste in LedgerEntry.objects.filter(kind=Kind.WASTE, related_entry__in=entries):
        wastes[waste.related_entry_id].append(waste)
    reversed_ids = reversed_entry_ids(location)
    section = Section(
        "Administrations",
        [
            "Date and time",
            "Patient",
            "Patient address",
            "MRN",
            "Product",
            "Container",
            "Given mL",
            "Given mg",
            "Wasted mL",
            "Waste witness",
            "Administered by",
            "Session reference",
            "Flags",
        ],
    )
    given_ml = given_mg = wasted_ml = ZERO
    for entry in entries:
        patient_row = entry.patient
        assert patient_row is not None
        report.patient_ids.add(patient_row.pk)
        address = ", ".join(
            filter(
                None,
                [
                    patient_row.address_line1,
                    patient_row.address_line2,
                    patient_row.city,
                    patient_row.state,
                    patient_row.postal_code,
                ],
            )
        )
        linked = wastes.get(entry.pk, [])
        wasted = -sum((w.quantity_ml for w in linked), ZERO)
        if entry.pk not in reversed_ids:
            given_ml += -entry.quantity_ml
            given_mg += -entry.quantity_mg
            wasted_ml += wasted
        section.rows.append(
            [
                when(entry.occurred_at, period.tz),
                patient_row.full_name,
                address,
                patient_row.mrn,
                entry.product.name,
                entry.container.label,
                -entry.quantity_ml,
                -entry.quantity_mg,
                wasted,
                ", ".join(w.witness_name for w in linked),
                entry.actor_name,
                entry.session_reference,
                flags(entry, reversed_ids),
            ]
        )
    section.totals = [
        "Total (reversed entries excluded)",
        "",
        "",
        "",
        "",
        "",
        given_ml,
        given_mg,
        wasted_ml,
        "",
        "",
        "",
        "",
    ]
    report.sections.append(section)
    return report


def disposal(location: Location, period: Period) -> Report:
    report = Report(
        "disposal",
        "Wastage, destruction and transfers",
        location,
        facts=[*registrant_facts(location), ("Period", str(period))],
    )
    reversed_ids = reversed_entry_ids(location)
    entries = entries_for(location, period)
    waste = Section(
        "Wastage (recorded with the administration, not on Form 41)",
        [
            "Date and time",
            "Product",
            "Container",
            "mL",
            "mg",
            "Manner",
            "Reason",
            "By",
            "Witness",
            "Witness signed by",
            "For administration",
            "Flags",
        ],
    )
    for entry in entries.filter(kind=Kind.WASTE).select_related("related_entry"):
        waste.rows.append(
            [
                when(entry.occurred_at, period.tz),
                entry.product.name,
                entry.container.label,
                -entry.quantity_ml,
                -entry.quantity_mg,
                entry.manner,
                entry.reason,
                entry.actor_name,
                entry.witness_name,
                entry.witness_method,
                f"#{entry.related_entry.seq}" if entry.related_entry else "",
                flags(entry, reversed_ids),
            ]
        )
    report.sections.append(waste)
    destruction = Section(
        "Destruction — DEA Form 41 data",
        [
            "Date",
            "NDC",
            "Name",
            "Strength",
            "Form",
            "Package quantity",
            "Full packages",
            "Partial (mL)",
            "Total destroyed mL",
            "Total destroyed mg",
            "Method",
            "Location",
            "Witness 1",
            "Witness 2",
        ],
    )
    records = DestructionRecord.objects.filter(
        location=location, destroyed_at__gte=period.start_at, destroyed_at__lt=period.end_at
    ).order_by("destroyed_at")
    for record in records:
        by_product: dict[int, list[LedgerEntry]] = defaultdict(list)
        for entry in record.entries.select_related("product", "container"):
            by_product[entry.product_id].append(entry)
        for group in by_product.values():
            product = group[0].product
            full = [e for e in group if -e.quantity_ml == e.container.labelled_volume_ml]
            partial = [e for e in group if e not in full]
            destruction.rows.append(
                [
                    when(record.destroyed_at, period.tz),
                    product.ndc,
                    product.name,
                    product.strength,
                    product.get_form_display(),
                    product.container_size,
                    len(full),
                    -sum((e.quantity_ml for e in partial), ZERO),
                    -sum((e.quantity_ml for e in group), ZERO),
                    -sum((e.quantity_mg for e in group), ZERO),
                    record.method,
                    record.place,
                    group[0].witness_name,
                    group[0].second_witness_name,
                ]
            )
    report.sections.append(destruction)
    transfers = Section(
        "Transfers to a reverse distributor",
        [
            "Date",
            "Product",
            "NDC",
            "Container",
            "mL",
            "mg",
            "Reverse distributor",
            "Address",
            "DEA no.",
            "Reference",
            "By",
        ],
    )
    for entry in entries.filter(kind=Kind.TRANSFER_OUT):
        rd = entry.counterparty
        transfers.rows.append(
            [
                when(entry.occurred_at, period.tz),
                entry.product.name,
                entry.product.ndc,
                entry.container.label,
                -entry.quantity_ml,
                -entry.quantity_mg,
                rd.name if rd else "",
                rd.address if rd else "",
                rd.dea_number if rd else "",
                entry.invoice_ref,
                entry.actor_name,
            ]
        )
    report.sections.append(transfers)
    return report


def balances(location: Location, period: Period) -> Report:
    report = Report(
        "balances", "Running balances", location, facts=[*registrant_facts(location), ("Period", str(period))]
    )
    all_entries = list(entries_for(location).filter(occurred_at__lt=period.end_at))
    summary = Section(
        "Per product (the books for the period)",
        [
            "Product",
            "NDC",
            "Opening mL",
            "Received",
            "Administered",
            "Wasted",
            "Destroyed",
            "Transferred",
            "Lost/stolen",
            "Adjusted",
            "Closing mL",
            "Closing mg",
        ],
        note="Closing = opening + received + adjusted − administered − wasted − destroyed − transferred − lost; "
        "reversals are counted against the entry they reverse.",
    )
    by_product: dict[int, list[LedgerEntry]] = defaultdict(list)
    for entry in all_entries:
        by_product[entry.product_id].append(entry)
    for group in sorted(by_product.values(), key=lambda g: g[0].product.name):
        product = group[0].product
        before = [e for e in group if e.occurred_at < period.start_at]
        during = [e for e in group if e.occurred_at >= period.start_at]
        opening = sum((e.quantity_ml for e in before), ZERO)
        closing = opening + sum((e.quantity_ml for e in during), ZERO)
        totals = books.book_totals(movements(during), on_hand_ml=closing - opening)
        summary.rows.append(
            [
                product.name,
                product.ndc,
                opening,
                totals.received_ml,
                totals.administered_ml,
                totals.wasted_ml,
                totals.destroyed_ml,
                totals.transferred_ml,
                totals.lost_ml,
                totals.adjusted_ml,
                closing,
                (closing * product.concentration_mg_per_ml).quantize(Decimal("0.01")),
            ]
        )
    report.sections.append(summary)
    detail = Section(
        "Per container, entry by entry",
        [
            "Product",
            "Lot",
            "Container",
            "Date and time",
            "Entry",
            "Kind",
            "mL",
            "Balance after (mL)",
            "By",
            "Witness",
            "Flags",
        ],
    )
    reversed_ids = reversed_entry_ids(location)
    containers = sorted(
        {e.container for e in all_entries}, key=lambda c: (c.lot.product.name, c.lot.lot_number, c.label)
    )
    for container in containers:
        for entry in (e for e in all_entries if e.container_id == container.pk and e.occurred_at >= period.start_at):
            detail.rows.append(
                [
                    entry.product.name,
                    container.lot.lot_number,
                    container.label,
                    when(entry.occurred_at, period.tz),
                    f"#{entry.seq}",
                    entry.get_kind_display(),
                    entry.quantity_ml,
                    entry.balance_after_ml,
                    entry.actor_name,
                    ", ".join(filter(None, [entry.witness_name, entry.second_witness_name])),
                    flags(entry, reversed_ids),
                ]
            )
    report.sections.append(detail)
    return report
