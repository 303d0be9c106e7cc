"""Draws held against a container until they are posted.

An IV infusion's administration is posted when the infusion ends (the volume actually given is known only then), but
the drug left the vial when it was drawn. A *hold* records that draw at once: the container's available balance (book
balance less open holds) drops immediately, every chair and every ledger form sees the true remainder and who holds
it, and no entry may take held volume. Posting the administration releases the hold in the same transaction. A hold
is never deleted: it is released with who, when and why (posted, corrected, the session withdrawn).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketaclinic.ledger.models.entries import LedgerEntry
from ketaclinic.ledger.models.stock import Container


class Hold(models.Model):
    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="holds")
    quantity_ml = models.DecimalField(max_digits=9, decimal_places=2)
    holder = models.CharField(max_length=100, help_text='Where the drawn drug is, e.g. "Chair 3".')
    reference = models.CharField(max_length=100, help_text='What it is for, e.g. "treatment session 17".')
    held_at = models.DateTimeField(default=timezone.now)
    held_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    release_note = models.CharField(max_length=300, blank=True)
    released_entry = models.ForeignKey(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="released_holds"
    )

    class Meta:
        ordering = ["held_at", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(quantity_ml__gt=0), name="ledger_hold_quantity_gt0")]
        indexes = [models.Index(fields=["container", "released_at"])]

    def __str__(self) -> str:
        return f"{self.quantity_ml} mL of {self.container_id} held for {self.holder}"

    @property
    def is_open(self) -> bool:
        return self.released_at is None
