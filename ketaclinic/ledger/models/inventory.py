"""Inventories (initial, biennial, ad hoc) and the discrepancies a count finds against the books."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ketaclinic.accounts.models import Location
from ketaclinic.ledger.models.setup import Product
from ketaclinic.ledger.models.stock import Container


class Inventory(models.Model):
    """controlled-substances.md "Inventories": date, time, opening or close of business, who counted, and every
    product/form/container with its quantity. Initial: on the first day of handling (zero if nothing on hand);
    biennial: at most 2 years apart (a clinic setting may shorten it)."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "Initial inventory"
        BIENNIAL = "biennial", "Biennial inventory"
        AD_HOC = "ad_hoc", "Ad-hoc count"

    class Timing(models.TextChoices):
        OPENING = "opening", "Opening of business"
        CLOSE = "close", "Close of business"

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        FINALISED = "finalised", "Finalised"

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+", editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, editable=False)
    taken_at = models.DateTimeField(editable=False)
    business_timing = models.CharField(max_length=10, choices=Timing.choices, editable=False)
    counted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS, editable=False)
    notes = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    finalised_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name_plural = "inventories"
        ordering = ["-taken_at"]
        constraints = [
            # One count at a time per location, so two people never count the same shelf into two inventories.
            models.UniqueConstraint(
                fields=["location"], condition=Q(status="in_progress"), name="ledger_inventory_one_open_per_location"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.taken_at:%Y-%m-%d}"


class InventoryLine(models.Model):
    inventory = models.ForeignKey(Inventory, on_delete=models.PROTECT, related_name="lines", editable=False)
    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="+", editable=False)
    book_ml = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True, editable=False)
    counted_ml = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True, editable=False)
    estimated = models.BooleanField(default=False, editable=False)
    estimation_reason = models.CharField(max_length=300, blank=True, editable=False)

    class Meta:
        ordering = ["container__label"]
        constraints = [
            models.UniqueConstraint(fields=["inventory", "container"], name="ledger_inventory_line_unique"),
            models.CheckConstraint(
                condition=Q(counted_ml__isnull=True) | Q(counted_ml__gte=0), name="ledger_inventory_count_gte0"
            ),
            # Exact measure is the default; an estimate is a flagged exception with a reason.
            models.CheckConstraint(
                condition=Q(estimated=False) | ~Q(estimation_reason=""), name="ledger_inventory_estimate_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.container_id}: {self.counted_ml} mL"


class Discrepancy(models.Model):
    """Book ≠ count. Minor ones are annotated (and the books corrected by a witnessed adjustment); significant ones
    are escalated to a theft/loss report (shortage) or adjusted with a witness and flagged (overage)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ANNOTATED = "annotated", "Annotated"
        ESCALATED = "escalated", "Escalated to a theft/loss report"

    line = models.OneToOneField(InventoryLine, on_delete=models.PROTECT, related_name="discrepancy", editable=False)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+", editable=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", editable=False)
    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="+", editable=False)
    found_at = models.DateTimeField(editable=False)
    book_ml = models.DecimalField(max_digits=9, decimal_places=2, editable=False)
    counted_ml = models.DecimalField(max_digits=9, decimal_places=2, editable=False)
    difference_ml = models.DecimalField(max_digits=9, decimal_places=2, editable=False)
    difference_mg = models.DecimalField(max_digits=12, decimal_places=2, editable=False)
    significant = models.BooleanField(editable=False)
    reasons = models.TextField(blank=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, editable=False)
    annotation = models.TextField(blank=True, editable=False)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)
    adjustment_entry = models.ForeignKey(
        "ledger.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    theft_loss_report = models.ForeignKey(
        "ledger.TheftLossReport", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        verbose_name_plural = "discrepancies"
        ordering = ["-found_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(difference_ml=0), name="ledger_discrepancy_nonzero"),
            models.CheckConstraint(
                condition=~Q(status="annotated") | ~Q(annotation=""), name="ledger_discrepancy_annotated_has_note"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.difference_ml} mL on {self.container_id}"

    @property
    def kind(self) -> str:
        return "shortage" if self.difference_ml < 0 else "overage"
