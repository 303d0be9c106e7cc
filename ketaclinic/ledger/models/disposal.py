"""Destruction of inventory (DEA Form 41 data) and theft or significant loss (notice and DEA Form 106 deadlines)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ketaclinic.accounts.models import Location


class DestructionRecord(models.Model):
    """One destruction event: Form 41's date, method, location and two witnessing employees. The destroyed
    containers are its DESTROY entries (NDC, name, strength, form, package quantity, full/partial, total)."""

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+", editable=False)
    destroyed_at = models.DateTimeField(editable=False)
    method = models.CharField(max_length=200, editable=False, help_text="e.g. drug-waste neutraliser (non-retrievable)")
    place = models.CharField(max_length=300, editable=False, help_text="Where the destruction took place.")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    witness = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    second_witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    notes = models.TextField(blank=True, editable=False)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-destroyed_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(witness=F("actor")) & ~Q(second_witness=F("actor")) & ~Q(witness=F("second_witness")),
                name="ledger_destruction_three_people",
            )
        ]

    def __str__(self) -> str:
        return f"destruction {self.pk} on {self.destroyed_at:%Y-%m-%d}"


class TheftLossReport(models.Model):
    """A theft or significant loss: written notice to the DEA within 1 business day of discovery, DEA Form 106
    within 45 days (controlled-substances.md). The lost containers are its LOSS/THEFT entries."""

    class Kind(models.TextChoices):
        THEFT = "theft", "Theft"
        LOSS = "loss", "Significant loss"

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+", editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, editable=False)
    discovered_at = models.DateTimeField(editable=False)
    description = models.TextField(editable=False)
    notice_due_on = models.DateField(editable=False)
    form_106_due_on = models.DateField(editable=False)
    notice_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    notice_sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    form_106_filed_at = models.DateTimeField(null=True, blank=True, editable=False)
    form_106_reference = models.CharField(max_length=60, blank=True, editable=False)
    form_106_filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-discovered_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(form_106_filed_at__isnull=True) | ~Q(form_106_reference=""),
                name="ledger_theftloss_106_reference",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} discovered {self.discovered_at:%Y-%m-%d}"

    def is_open(self) -> bool:
        return self.notice_sent_at is None or self.form_106_filed_at is None

    def discovered_on(self, tz: dt.tzinfo) -> dt.date:
        return self.discovered_at.astimezone(tz).date()
