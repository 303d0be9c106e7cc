"""Who pays: the clinic's payers (837P loop 2010BB; SBR09 claim filing indicator) and each patient's coverage
(CMS-1500 items 1a and 11; 837P loop 2010BA). Payer rules differ and change every quarter, so a payer carries its
own overrides and the list of knowledge-base VERIFY rules the clinic has confirmed with it, as data."""

from __future__ import annotations

from django.db import models

from ketaclinic.accounts.models import Clinic
from ketaclinic.patients.models import Patient


class Payer(models.Model):
    class Kind(models.TextChoices):
        MEDICARE = "medicare", "Medicare"
        MEDICAID = "medicaid", "Medicaid"
        COMMERCIAL = "commercial", "Commercial insurance"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="payers")
    name = models.CharField(max_length=60)
    payer_id = models.CharField(
        "Payer id", max_length=80, blank=True, help_text="The payer's electronic id (837P NM1*PR, qualifier PI)."
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    accepts_g_codes = models.BooleanField(
        default=False, help_text="Takes the Medicare esketamine G-codes (G2082/G2083), as some commercial plans do."
    )
    filing_indicator = models.CharField(
        max_length=2, help_text="837P SBR09 claim filing indicator, e.g. MB (Medicare Part B), MC, CI."
    )
    confirmed_rules = models.JSONField(default=list, blank=True)
    overrides = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="payer_name_unique_per_clinic")]

    def __str__(self) -> str:
        return self.name


class Coverage(models.Model):
    class Priority(models.TextChoices):
        PRIMARY = "P", "Primary"
        SECONDARY = "S", "Secondary"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="coverages")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="coverages")
    member_id = models.CharField(max_length=80)
    group_number = models.CharField(max_length=50, blank=True)
    priority = models.CharField(max_length=1, choices=Priority.choices, default=Priority.PRIMARY)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    end_reason = models.TextField(blank=True, help_text="Why the coverage was ended from the coverage page.")

    class Meta:
        ordering = ["priority", "-effective_from"]

    def __str__(self) -> str:
        return f"{self.payer} {self.member_id}"
