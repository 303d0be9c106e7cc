"""Prior authorisations: what a payer approved for one patient (sessions and/or devices, from when until when, under
which reference), and the clinic's policy for the "running out" list.

Payers cap Spravato under a prior authorisation and say for how long (billing.md §8: e.g. Cigna 6 months for
treatment-resistant depression, QualChoice BI734 3 months and up to 23 nasal spray devices). What a payer approved is
copied from its letter as data; nothing here assumes a payer's typical numbers. Nothing is deleted: an authorisation
recorded in error or taken back is withdrawn with a reason.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketaclinic.accounts.models import Clinic
from ketaclinic.billing.models.payers import Payer
from ketaclinic.patients.models import Patient


class PriorAuthorisation(models.Model):
    class Service(models.TextChoices):
        ESKETAMINE = "esketamine", "Esketamine (Spravato) sessions and devices"
        IV_INFUSION = "iv_infusion", "IV ketamine infusions"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="prior_authorisations")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="prior_authorisations")
    reference = models.CharField("reference number", max_length=50, help_text="As on the payer's approval.")
    service = models.CharField(max_length=12, choices=Service.choices)
    approved_sessions = models.PositiveIntegerField(
        null=True, blank=True, help_text="Sessions the payer approved; empty when the approval does not count them."
    )
    approved_devices = models.PositiveIntegerField(
        null=True, blank=True, help_text="Esketamine 28 mg nasal spray devices approved; empty when not counted."
    )
    valid_from = models.DateField()
    valid_to = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    withdrawn_reason = models.TextField(blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["patient", "-valid_to", "-pk"]
        indexes = [models.Index(fields=["patient", "service", "valid_to"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(valid_from__lte=models.F("valid_to")), name="prior_auth_dates"),
            models.CheckConstraint(
                condition=~models.Q(status="withdrawn") | ~models.Q(withdrawn_reason=""),
                name="prior_auth_withdrawn_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Authorisation {self.reference}"

    def status_on(self, today: dt.date) -> str:
        """Withdrawn stays withdrawn; an active authorisation past its last day is expired (judged on ``today``)."""
        if self.status == self.Status.ACTIVE and self.valid_to < today:
            return self.Status.EXPIRED
        return self.status


class PriorAuthPolicy(models.Model):
    """When an authorisation counts as running out (CLINIC POLICY: no published standard, so no default; until the
    clinic sets a window, the list asks the user to choose one)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.PROTECT, related_name="prior_auth_policy")
    running_out_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="List authorisations ending within this many days (clinic policy)."
    )
    running_out_left = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Also list authorisations with this many approved sessions (or devices) left, or fewer.",
    )
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Prior authorisation policy of clinic {self.clinic_id}"
