"""Good-faith estimates for uninsured and self-pay patients (No Surprises Act: PHS Act section 2799B-6, 45 CFR
149.610; content at 149.610(c), as summarised in the CMS-10791 data-elements appendix).

An estimate is kept as it was given: the patient's name and date of birth, the itemised services with their expected
codes and charges, the diagnosis codes, and the provider's name, NPI and TIN are copied into the row when it is given,
so a later change to the fee schedule or the billing profile never rewrites it. A changed scope gets a new estimate.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketaclinic.accounts.models import Location
from ketaclinic.patients.models import Patient
from ketaclinic.plans.models import PlanVersion


class GoodFaithEstimate(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="good_faith_estimates")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="good_faith_estimates")
    plan_version = models.ForeignKey(
        PlanVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="good_faith_estimates"
    )
    given_on = models.DateField()
    patient_name = models.CharField(max_length=200)
    patient_date_of_birth = models.DateField()
    primary_service = models.CharField(max_length=200)
    first_session_on = models.DateField(null=True, blank=True)
    diagnosis_codes = models.JSONField(default=list)
    items = models.JSONField(default=list, help_text="[{description, code, quantity, unit_price, amount}]")
    total = models.DecimalField(max_digits=10, decimal_places=2)
    provider_name = models.CharField(max_length=60)
    provider_npi = models.CharField(max_length=10)
    provider_tin = models.CharField(max_length=9)
    provider_address = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-given_on", "-pk"]

    def __str__(self) -> str:
        return f"Good-faith estimate {self.pk} for {self.patient_name} ({self.given_on})"
