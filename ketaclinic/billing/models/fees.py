"""What the clinic charges self-pay patients: a fee schedule per location, versioned with effective dates.

A new version is a new row with its own fees; an old version is never edited (the services have no update path), so
an invoice can always be explained by the schedule that was in effect on the day of service. A fee is for one service
(an IV infusion by protocol, an esketamine session, an IM injection, a consultation, a follow-up) or a package that
covers several sessions of one service paid up front (e.g. a 6-infusion induction).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from ketaclinic.accounts.models import Location


class FeeSchedule(models.Model):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="fee_schedules")
    version = models.PositiveIntegerField()
    effective_from = models.DateField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["location", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["location", "version"], name="fee_schedule_version_unique"),
            models.UniqueConstraint(fields=["location", "effective_from"], name="fee_schedule_date_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.location} fee schedule v{self.version} from {self.effective_from}"


class Fee(models.Model):
    """One service's price in one schedule. ``sessions`` > 1 makes it a package: that many sessions of ``covers``
    paid up front."""

    schedule = models.ForeignKey(FeeSchedule, on_delete=models.PROTECT, related_name="fees")
    service = models.CharField(max_length=80, help_text="A service key, e.g. protocol:depression_iv or consultation.")
    code = models.CharField("CPT/HCPCS", max_length=5, blank=True)
    label = models.CharField(max_length=120)
    amount = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    sessions = models.PositiveIntegerField(default=1, help_text="More than 1: a package of that many sessions.")
    covers = models.CharField(max_length=80, blank=True, help_text="A package: the service key it covers.")

    class Meta:
        ordering = ["schedule", "service"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "service"], name="fee_service_unique_per_schedule"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="fee_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.amount}"

    @property
    def is_package(self) -> bool:
        return self.sessions > 1
