"""Access matrix rows for the ledger (read by tests/test_access_matrix.py).

ledger.view: nurse, prescriber, clinic admin · ledger.record / ledger.inventory: nurse, prescriber ·
ledger.report: prescriber, clinic admin · ledger.manage: clinic admin. Front desk sees none of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

ANON, FD, NURSE, PRESC, ADMIN = "anonymous", "front_desk", "nurse", "prescriber", "clinic_admin"
LOGIN = 302


def _row(*allowed: str) -> dict[str, int]:
    return {ANON: LOGIN, **{role: 200 if role in allowed else 403 for role in (FD, NURSE, PRESC, ADMIN)}}


VIEW = _row(NURSE, PRESC, ADMIN)
RECORD = _row(NURSE, PRESC)
REPORT = _row(PRESC, ADMIN)
MANAGE = _row(ADMIN)

EXPECTED: dict[str, dict[str, int]] = {
    "ledger:home": VIEW,
    "ledger:containers": VIEW,
    "ledger:container": VIEW,
    "ledger:quarantine": RECORD,
    "ledger:entries": VIEW,
    "ledger:entry": VIEW,
    "ledger:reverse": RECORD,
    "ledger:receive": RECORD,
    "ledger:administer": RECORD,
    "ledger:waste": RECORD,
    "ledger:adjust": RECORD,
    "ledger:transfer": RECORD,
    "ledger:destroy": RECORD,
    "ledger:theft_losses": VIEW,
    "ledger:theft_loss_new": RECORD,
    "ledger:theft_loss": VIEW,
    "ledger:inventories": VIEW,
    "ledger:inventory_new": RECORD,
    "ledger:inventory": VIEW,
    "ledger:discrepancy": VIEW,
    "ledger:setup": MANAGE,
    "ledger:registrant": MANAGE,
    "ledger:product_new": MANAGE,
    "ledger:product_edit": MANAGE,
    "ledger:supplier_new": MANAGE,
    "ledger:supplier_edit": MANAGE,
    "ledger:policy": MANAGE,
    "ledger:reports": REPORT,
    "ledger:report": REPORT,
}


def make_world(world: dict[str, Any]) -> dict[str, Any]:
    """A Main location with stock, an administration, a finalised count with a discrepancy and a loss report."""
    from django.utils import timezone

    from ketaclinic.ledger import services
    from tests.ledger.conftest import PRODUCTS, licence, receive

    bob, pat = world["cast"]["prescriber"], world["pat"]
    main = pat.location
    licence(world["cast"]["nurse"])
    services.save_registrant(
        by=None,
        location=main,
        values={
            "registrant_name": "Main",
            "dea_number": "FT1234563",
            "address": "1 Main St",
            "expires_on": dt.date.today() + dt.timedelta(days=300),
        },
    )
    product = services.save_product(by=None, clinic=main.clinic, values=PRODUCTS["k10"])
    supplier = services.save_supplier(
        by=None, clinic=main.clinic, values={"name": "Distributor", "address": "1 Depot", "dea_number": "RM1234563"}
    )
    first, second = receive(bob, main, product, supplier, count=2)
    entry = services.administer(by=bob, container=first, patient=pat, quantity_ml="4").entry
    inventory = services.start_inventory(
        by=bob, location=main, kind="initial", taken_at=timezone.now(), business_timing="opening"
    )
    lines = {line.container_id: line for line in inventory.lines.all()}
    services.record_counts(
        by=bob,
        inventory=inventory,
        counts={lines[first.pk].pk: services.Count("15.90"), lines[second.pk].pk: services.Count("20.00")},
    )
    services.finalise_inventory(by=bob, inventory=inventory)
    report = services.report_theft_loss(
        by=bob,
        kind="loss",
        discovered_at=timezone.now(),
        description="Vial dropped and broken during transport between rooms.",
        items=[services.LostItem(container=second, quantity_ml="20")],
    )
    return {
        **world,
        "ledger_container": first,
        "ledger_entry": entry,
        "ledger_inventory": inventory,
        "ledger_discrepancy": inventory.lines.get(container=first).discrepancy,
        "ledger_report": report,
        "ledger_product": product,
        "ledger_supplier": supplier,
    }


def url_kwargs(name: str, world: dict[str, Any]) -> dict[str, Any] | None:
    table: dict[str, Any] = {
        "ledger:container": lambda: {"container_id": world["ledger_container"].pk},
        "ledger:quarantine": lambda: {"container_id": world["ledger_container"].pk},
        "ledger:entry": lambda: {"entry_id": world["ledger_entry"].pk},
        "ledger:reverse": lambda: {"entry_id": world["ledger_entry"].pk},
        "ledger:theft_loss": lambda: {"report_id": world["ledger_report"].pk},
        "ledger:inventory": lambda: {"inventory_id": world["ledger_inventory"].pk},
        "ledger:discrepancy": lambda: {"discrepancy_id": world["ledger_discrepancy"].pk},
        "ledger:registrant": lambda: {"location_id": world["pat"].location_id},
        "ledger:product_edit": lambda: {"product_id": world["ledger_product"].pk},
        "ledger:supplier_edit": lambda: {"supplier_id": world["ledger_supplier"].pk},
        "ledger:report": lambda: {"kind": "inspection"},
    }
    build = table.get(name)
    return build() if build else None
