"""Every write to the controlled-substance ledger: keyword-only, atomic, audited (ARCHITECTURE.md "services").

Read as verbs: ``ledger.receive(...)``, ``ledger.administer(...)``, ``ledger.waste(...)`` and so on. Each module holds
one concept; ``chain`` is the only code that appends entries and moves balances.
"""

from ketaclinic.ledger.services.administration import Administration, administer
from ketaclinic.ledger.services.chain import Verification, verify
from ketaclinic.ledger.services.common import HeldStock, InsufficientStock, policy_for
from ketaclinic.ledger.services.corrections import adjust, reverse
from ketaclinic.ledger.services.disposal import (
    LostItem,
    destroy,
    quarantine,
    record_form_106,
    record_notice_sent,
    report_theft_loss,
    transfer_out,
    waste,
)
from ketaclinic.ledger.services.holds import availability, change_hold, hold
from ketaclinic.ledger.services.holds import release as release_hold
from ketaclinic.ledger.services.inventory import (
    Count,
    annotate_discrepancy,
    escalate_discrepancy,
    finalise_inventory,
    inventory_due,
    record_counts,
    start_inventory,
)
from ketaclinic.ledger.services.receipts import Receipt, receive
from ketaclinic.ledger.services.retention import RetentionError, check_purge
from ketaclinic.ledger.services.setup import save_policy, save_product, save_registrant, save_supplier
from ketaclinic.ledger.services.witnesses import (
    WitnessCredentials,
    WitnessRejected,
    WitnessRule,
    WitnessSignature,
    demo_signature,
    sign,
)

__all__ = [
    "Administration",
    "Count",
    "HeldStock",
    "InsufficientStock",
    "LostItem",
    "Receipt",
    "RetentionError",
    "Verification",
    "WitnessCredentials",
    "WitnessRejected",
    "WitnessRule",
    "WitnessSignature",
    "adjust",
    "administer",
    "annotate_discrepancy",
    "availability",
    "change_hold",
    "check_purge",
    "demo_signature",
    "destroy",
    "escalate_discrepancy",
    "finalise_inventory",
    "hold",
    "inventory_due",
    "policy_for",
    "quarantine",
    "receive",
    "record_counts",
    "record_form_106",
    "record_notice_sent",
    "release_hold",
    "report_theft_loss",
    "reverse",
    "save_policy",
    "save_product",
    "save_registrant",
    "save_supplier",
    "sign",
    "start_inventory",
    "transfer_out",
    "verify",
    "waste",
]
