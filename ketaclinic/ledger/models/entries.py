"""The ledger: append-only, hash-chained entries (controlled-substances.md "Data model" and invariants 1–9).

Each entry stores the signed mL (authoritative), the mg derived from the product's concentration at the time, the
container's balance after it, when it happened (``occurred_at``) and when it was recorded (``recorded_at``, server
UTC), who did it and who witnessed it. ``prev_hash``/``entry_hash`` chain the rows like the audit log
(ketaclinic.audit.chain); a database trigger refuses UPDATE and DELETE (ketaclinic.audit.guards).

Treatment sessions do not exist yet (issue 7 builds them in the ``infusions`` app). An administration therefore links
to the patient (required, same location) and carries ``session_reference``: free text naming the session (e.g. the
appointment or chart note id) until issue 7 adds a ``session`` foreign key. The reference is part of the hash.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from ketaclinic.accounts.models import Location
from ketaclinic.domain.controlled import books
from ketaclinic.ledger.models.disposal import DestructionRecord, TheftLossReport
from ketaclinic.ledger.models.inventory import Inventory
from ketaclinic.ledger.models.setup import Product, Supplier
from ketaclinic.ledger.models.stock import Container
from ketaclinic.patients.models import Patient


class Kind(models.TextChoices):
    RECEIPT = books.RECEIPT, "Receipt"
    ADMINISTER = books.ADMINISTER, "Administration"
    WASTE = books.WASTE, "Waste"
    TRANSFER_OUT = books.TRANSFER_OUT, "Transfer to reverse distributor"
    DESTROY = books.DESTROY, "Destruction"
    LOSS = books.LOSS, "Loss"
    THEFT = books.THEFT, "Theft"
    ADJUSTMENT = books.ADJUSTMENT, "Adjustment"
    INVENTORY_COUNT = books.INVENTORY_COUNT, "Inventory count"
    REVERSAL = books.REVERSAL, "Reversal"


WITNESSED_KINDS = (Kind.WASTE, Kind.DESTROY, Kind.ADJUSTMENT, Kind.REVERSAL)
OUTFLOW_KINDS = (Kind.ADMINISTER, Kind.WASTE, Kind.TRANSFER_OUT, Kind.DESTROY, Kind.LOSS, Kind.THEFT)


def _dec(value: Decimal | None, places: int) -> str | None:
    return None if value is None else str(value.quantize(Decimal(1).scaleb(-places)))


class LedgerEntry(models.Model):
    seq = models.PositiveBigIntegerField(unique=True, editable=False)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+", editable=False)
    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="entries", editable=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices, editable=False)
    quantity_ml = models.DecimalField(max_digits=9, decimal_places=2, editable=False)
    quantity_mg = models.DecimalField(max_digits=12, decimal_places=2, editable=False)
    concentration_mg_per_ml = models.DecimalField(max_digits=8, decimal_places=3, editable=False)
    balance_after_ml = models.DecimalField(max_digits=9, decimal_places=2, editable=False)
    occurred_at = models.DateTimeField(db_index=True, editable=False)
    recorded_at = models.DateTimeField(editable=False)
    backdated = models.BooleanField(default=False, editable=False)
    backdate_reason = models.TextField(blank=True, editable=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    actor_name = models.CharField(max_length=200, editable=False)
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    witness_name = models.CharField(max_length=200, blank=True, editable=False)
    second_witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    second_witness_name = models.CharField(max_length=200, blank=True, editable=False)
    witness_method = models.CharField(max_length=60, blank=True, editable=False)
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    # Placeholder until issue 7: free text naming the treatment session (see the module docstring).
    session_reference = models.CharField(max_length=100, blank=True, editable=False)
    drawn_ml = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True, editable=False)
    counterparty = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    invoice_ref = models.CharField(max_length=100, blank=True, editable=False)
    manner = models.CharField("manner of disposal", max_length=200, blank=True, editable=False)
    reason = models.TextField(blank=True, editable=False)
    counted_ml = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True, editable=False)
    reverses = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversals", editable=False
    )
    related_entry = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="linked_entries", editable=False
    )
    destruction = models.ForeignKey(
        DestructionRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="entries", editable=False
    )
    theft_loss_report = models.ForeignKey(
        TheftLossReport, on_delete=models.PROTECT, null=True, blank=True, related_name="entries", editable=False
    )
    inventory = models.ForeignKey(
        Inventory, on_delete=models.PROTECT, null=True, blank=True, related_name="entries", editable=False
    )
    group_ref = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    entry_hash = models.CharField(max_length=64, editable=False)

    class Meta:
        verbose_name_plural = "ledger entries"
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["location", "occurred_at"]),
            models.Index(fields=["container", "seq"]),
            models.Index(fields=["patient", "occurred_at"]),
            models.Index(fields=["location", "kind", "occurred_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(balance_after_ml__gte=0), name="ledger_entry_balance_gte0"),
            models.CheckConstraint(condition=Q(occurred_at__lte=F("recorded_at")), name="ledger_entry_not_future"),
            models.CheckConstraint(
                condition=Q(backdated=False) | ~Q(backdate_reason=""), name="ledger_entry_backdate_reason"
            ),
            models.CheckConstraint(
                condition=~Q(kind=Kind.RECEIPT) | Q(quantity_ml__gt=0), name="ledger_entry_receipt_positive"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=OUTFLOW_KINDS) | Q(quantity_ml__lt=0), name="ledger_entry_outflow_negative"
            ),
            models.CheckConstraint(
                condition=~Q(kind=Kind.INVENTORY_COUNT) | (Q(quantity_ml=0) & Q(counted_ml__isnull=False)),
                name="ledger_entry_count_moves_nothing",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=(Kind.ADJUSTMENT, Kind.REVERSAL)) | ~Q(quantity_ml=0),
                name="ledger_entry_correction_nonzero",
            ),
            models.CheckConstraint(
                condition=~Q(kind=Kind.ADMINISTER) | Q(patient__isnull=False), name="ledger_entry_admin_has_patient"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=WITNESSED_KINDS) | Q(witness__isnull=False), name="ledger_entry_witnessed"
            ),
            models.CheckConstraint(
                condition=~Q(kind=Kind.DESTROY) | Q(second_witness__isnull=False), name="ledger_entry_destroy_two"
            ),
            models.CheckConstraint(
                condition=Q(witness__isnull=True) | ~Q(witness=F("actor")), name="ledger_entry_witness_not_actor"
            ),
            models.CheckConstraint(
                condition=Q(second_witness__isnull=True)
                | (~Q(second_witness=F("actor")) & ~Q(second_witness=F("witness"))),
                name="ledger_entry_second_witness_distinct",
            ),
            models.CheckConstraint(
                condition=~Q(kind=Kind.REVERSAL) | Q(reverses__isnull=False), name="ledger_entry_reversal_points"
            ),
            models.UniqueConstraint(
                fields=["reverses"], condition=Q(reverses__isnull=False), name="ledger_entry_reversed_once"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.get_kind_display()} {self.quantity_ml} mL ({self.container_id})"

    def hashed_content(self) -> dict[str, Any]:
        """Everything the hash covers: the whole row except the two hashes, decimals at their column precision."""
        return {
            "seq": self.seq,
            "location_id": self.location_id,
            "container_id": self.container_id,
            "product_id": self.product_id,
            "kind": self.kind,
            "quantity_ml": _dec(self.quantity_ml, 2),
            "quantity_mg": _dec(self.quantity_mg, 2),
            "concentration_mg_per_ml": _dec(self.concentration_mg_per_ml, 3),
            "balance_after_ml": _dec(self.balance_after_ml, 2),
            "occurred_at": self.occurred_at,
            "recorded_at": self.recorded_at,
            "backdated": self.backdated,
            "backdate_reason": self.backdate_reason,
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "witness_id": self.witness_id,
            "witness_name": self.witness_name,
            "second_witness_id": self.second_witness_id,
            "second_witness_name": self.second_witness_name,
            "witness_method": self.witness_method,
            "patient_id": self.patient_id,
            "session_reference": self.session_reference,
            "drawn_ml": _dec(self.drawn_ml, 2),
            "counterparty_id": self.counterparty_id,
            "invoice_ref": self.invoice_ref,
            "manner": self.manner,
            "reason": self.reason,
            "counted_ml": _dec(self.counted_ml, 2),
            "reverses_id": self.reverses_id,
            "related_entry_id": self.related_entry_id,
            "destruction_id": self.destruction_id,
            "theft_loss_report_id": self.theft_loss_report_id,
            "inventory_id": self.inventory_id,
            "group_ref": self.group_ref,
        }


class LedgerChainHead(models.Model):
    """One row: the last sequence number and hash. Locking it serialises ledger writers so the chain never forks."""

    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)
    # Entries from this number on are HMAC-keyed, earlier ones plain SHA-256; the tag (an HMAC under the chain key)
    # stops anyone moving the boundary to downgrade keyed entries (ketaclinic.audit.chain, issue 13).
    keyed_from_seq = models.PositiveBigIntegerField(null=True, blank=True)
    keyed_from_tag = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"ledger chain head at #{self.last_seq}"
