"""Lots and containers. A container's balance changes only through ledger entries, under a row lock."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone

from ketaclinic.accounts.models import Location
from ketaclinic.domain.controlled import expiry as expiry_rules
from ketaclinic.ledger.models.setup import Product


class Lot(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots")
    lot_number = models.CharField(max_length=40)
    expires_on = models.DateField()

    class Meta:
        ordering = ["product__name", "expires_on"]
        constraints = [models.UniqueConstraint(fields=["product", "lot_number"], name="ledger_lot_unique_per_product")]

    def __str__(self) -> str:
        return f"lot {self.lot_number} (exp {self.expires_on})"

    def is_expired_on(self, on: dt.date) -> bool:
        """``on`` is the clinic's calendar day (usable through the printed expiry date)."""
        return expiry_rules.is_expired(self.expires_on, on)


class Container(models.Model):
    """One vial or device: its label, lot, status and the balance the ledger has left in it (mL)."""

    class Status(models.TextChoices):
        SEALED = "sealed", "Sealed"
        OPEN = "open", "Open"
        EMPTY = "empty", "Empty"
        QUARANTINED = "quarantined", "Quarantined (awaiting destruction or return)"
        DISPOSED = "disposed", "Disposed (destroyed or transferred)"

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="ledger_containers")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="containers")
    label = models.CharField("container id", max_length=40, help_text="The id written on the vial or device.")
    labelled_volume_ml = models.DecimalField(max_digits=7, decimal_places=2)
    balance_ml = models.DecimalField(max_digits=9, decimal_places=2, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SEALED, editable=False)
    received_at = models.DateTimeField(default=timezone.now, editable=False)
    opened_at = models.DateTimeField(null=True, blank=True, editable=False)
    status_reason = models.CharField(max_length=300, blank=True, editable=False)

    class Meta:
        ordering = ["location", "label"]
        constraints = [
            models.UniqueConstraint(fields=["location", "label"], name="ledger_container_label_unique"),
            # Invariant 1 in the database as well as in the service: a balance is never negative.
            models.CheckConstraint(condition=models.Q(balance_ml__gte=0), name="ledger_container_balance_gte0"),
            models.CheckConstraint(condition=models.Q(labelled_volume_ml__gt=0), name="ledger_container_volume_gt0"),
            # An empty or disposed container holds nothing (invariant 3: closing needs the remainder accounted for).
            models.CheckConstraint(
                condition=models.Q(balance_ml=0) | ~models.Q(status__in=["empty", "disposed"]),
                name="ledger_container_closed_is_zero",
            ),
        ]
        indexes = [models.Index(fields=["location", "status"])]

    def __str__(self) -> str:
        return f"{self.label} ({self.lot.product.name})"

    @property
    def product(self) -> Product:
        return self.lot.product

    @property
    def on_hand(self) -> bool:
        return self.status in (self.Status.SEALED, self.Status.OPEN, self.Status.QUARANTINED)

    def is_expired(self, on: dt.date) -> bool:
        """``on`` is the clinic's calendar day (usable through the printed expiry date)."""
        return self.lot.is_expired_on(on)

    def expiry(self, on: dt.date, soon_days: int = expiry_rules.SOON_DAYS_DEFAULT) -> expiry_rules.Expiry:
        return expiry_rules.expiry(self.lot.expires_on, on, soon_days=soon_days)
