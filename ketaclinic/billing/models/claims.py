"""Claims: one professional claim (CMS-1500 / 837P) for one or more signed treatment sessions, its lines as the claim
builder proposed them (each with *why* and its source), and its status history.

Status: draft → ready → exported → paid | denied (with the payer's reason codes); a claim is never deleted: it is
voided with a reason (billing is financial record, ARCHITECTURE.md "nothing deleted"). Money is exact decimals.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketaclinic.billing.models.payers import Coverage, Payer
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.patients.models import Patient


class Claim(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        READY = "ready", "Ready to send"
        EXPORTED = "exported", "Exported (837P)"
        PAID = "paid", "Paid"
        DENIED = "denied", "Denied"
        VOID = "void", "Void"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="claims")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="claims")
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, null=True, blank=True, related_name="claims")
    sessions = models.ManyToManyField(TreatmentSession, related_name="claims")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    service_date = models.DateField()
    place_of_service = models.CharField(max_length=2, default="11")
    drug_supply = models.CharField(max_length=20, default="buy_and_bill")
    diagnoses = models.JSONField(default=list, help_text="ICD-10-CM codes as written; the first is the principal.")
    practitioner_min = models.PositiveIntegerField(
        "practitioner minutes",
        default=0,
        help_text="The prescriber's own time with the patient on the day (E/M by time); not observation time.",
    )
    clinical_staff_min = models.PositiveIntegerField("clinical staff minutes", default=0)
    separately_identifiable_em = models.BooleanField(
        "a separate visit was documented",
        default=False,
        help_text="A significant, separately identifiable evaluation was documented (modifier 25).",
    )
    new_patient = models.BooleanField(default=False)
    prior_auth_number = models.CharField("prior authorisation number", max_length=50, blank=True)
    notes = models.JSONField(default=list, blank=True, help_text="What the claim builder says about this claim.")
    total_charge = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    denial_codes = models.CharField("denial reason codes", max_length=200, blank=True)
    paid_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    void_reason = models.TextField(blank=True)
    control_number = models.PositiveIntegerField(null=True, blank=True, help_text="ISA13 of the last 837P export.")
    exported_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(total_charge__gte=0), name="claim_total_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Claim {self.pk} ({self.get_status_display()})"

    @property
    def claim_id(self) -> str:
        """CLM01, the patient control number (at most 20 characters)."""
        return f"KC{self.pk:08d}"


class ClaimLine(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=5)
    modifiers = models.JSONField(default=list, blank=True)
    units = models.DecimalField(max_digits=8, decimal_places=2)
    unit_charge = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    charge = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    diagnosis_pointers = models.JSONField(default=list)
    ndc11 = models.CharField("NDC (11 digits)", max_length=11, blank=True)
    ndc_quantity = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    ndc_unit = models.CharField(max_length=2, blank=True)
    why = models.TextField()
    source = models.TextField()
    unconfirmed = models.BooleanField(default=False)

    class Meta:
        ordering = ["claim", "position"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "position"], name="claim_line_position_unique"),
            models.CheckConstraint(condition=models.Q(units__gt=0), name="claim_line_units_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code} × {self.units}"

    @property
    def pointer_letters(self) -> str:
        """CMS-1500 item 24E: the pointers as letters A–L."""
        return "".join("ABCDEFGHIJKL"[p - 1] for p in self.diagnosis_pointers if 1 <= p <= 12)


class ClaimEvent(models.Model):
    """One status change of a claim (who, when, from, to, why): the claim's own history beside the audit log."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    note = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status}"


ZERO = Decimal("0.00")
