"""The pain plan, its referrals to external providers and its medication-management entries.

Nothing is deleted: a wrong row is marked entered in error (``patients.models.EnteredInError``). Meaningful change for
the goals is shown as context from IMMPACT (Dworkin et al., J Pain 2008): pain NRS ≥ 30 % decrease moderately, ≥ 50 %
substantially important; BPI interference 1-point decrease minimally important.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from ketaclinic.patients.models import ChartDocument, EnteredInError, Medication, Patient, Recorded

PEG_RANGE = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(10))]


class PainPlan(EnteredInError, Recorded):
    """A patient's multimodal pain plan: the current one is the latest not entered in error."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="pain_plans")
    peg_baseline = models.DecimalField(
        "PEG at baseline (0–10)", max_digits=4, decimal_places=2, null=True, blank=True, validators=PEG_RANGE
    )
    peg_target = models.DecimalField(
        "PEG target (0–10)",
        max_digits=4,
        decimal_places=2,
        validators=PEG_RANGE,
        help_text="The PEG score agreed with the patient as the goal (Krebs et al., J Gen Intern Med 2009).",
    )
    function_goals = models.TextField(
        "Function goals", help_text="What the patient wants to be able to do again, in their words, one per line."
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]

    def __str__(self) -> str:
        return f"Pain plan of {self.patient}"

    @property
    def goal_lines(self) -> list[str]:
        return [line.strip() for line in self.function_goals.splitlines() if line.strip()]


class Referral(EnteredInError, Recorded):
    class Kind(models.TextChoices):
        PHYSICAL_THERAPY = "physical_therapy", "Physical therapy"
        ACUPUNCTURE = "acupuncture", "Acupuncture"
        PSYCHOLOGY = "psychology", "Psychology / CBT"
        INTERVENTIONAL = "interventional", "Interventional pain"

    class Status(models.TextChoices):
        SENT = "sent", "Sent"
        SCHEDULED = "scheduled", "Appointment scheduled"
        IN_PROGRESS = "in_progress", "In treatment"
        COMPLETED = "completed", "Completed"
        DECLINED = "declined", "Declined"
        CLOSED = "closed", "Closed without treatment"

    plan = models.ForeignKey(PainPlan, on_delete=models.PROTECT, related_name="referrals")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    provider_name = models.CharField("Provider", max_length=200)
    provider_contact = models.CharField(
        "Provider contact", max_length=200, help_text="Phone, fax or address where the referral went."
    )
    sent_on = models.DateField("Date sent")
    reason = models.TextField("Reason for referral", blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SENT)
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    letters = models.ManyToManyField(ChartDocument, blank=True, related_name="pain_referrals")

    class Meta:
        ordering = ["sent_on", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.provider_name}"


class MedicationManagementEntry(EnteredInError, Recorded):
    """A change to the pain medicines and why (e.g. "tapered oxycodone 30 → 20 mg/day: patient's request")."""

    plan = models.ForeignKey(PainPlan, on_delete=models.PROTECT, related_name="medication_entries")
    medication = models.ForeignKey(
        Medication, on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text="If it concerns one."
    )
    change = models.TextField("What changed")
    reason = models.TextField("Why")

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name_plural = "medication management entries"

    def __str__(self) -> str:
        return self.change[:60]
