"""The controlled-substance ledger's tables (knowledge/controlled-substances.md "Data model").

- ``setup``: the DEA registrant of each location, products, suppliers and reverse distributors, the clinic's policy.
- ``stock``: lots and containers (vials, nasal-spray devices) with their current balance.
- ``holds``: volumes drawn from a container and not yet posted (an infusion in progress).
- ``entries``: the append-only, hash-chained ledger itself.
- ``disposal``: destruction (DEA Form 41 data) and theft/loss reports (notice and Form 106 deadlines).
- ``inventory``: initial, biennial and ad-hoc counts, their lines, and count discrepancies.
"""

from ketaclinic.ledger.models.disposal import DestructionRecord, TheftLossReport
from ketaclinic.ledger.models.entries import Kind, LedgerChainHead, LedgerEntry
from ketaclinic.ledger.models.holds import Hold
from ketaclinic.ledger.models.inventory import Discrepancy, Inventory, InventoryLine
from ketaclinic.ledger.models.setup import LedgerPolicy, Product, Registrant, Supplier
from ketaclinic.ledger.models.stock import Container, Lot

__all__ = [
    "Container",
    "DestructionRecord",
    "Discrepancy",
    "Hold",
    "Inventory",
    "InventoryLine",
    "Kind",
    "LedgerChainHead",
    "LedgerEntry",
    "LedgerPolicy",
    "Lot",
    "Product",
    "Registrant",
    "Supplier",
    "TheftLossReport",
]
