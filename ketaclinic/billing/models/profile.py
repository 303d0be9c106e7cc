"""Who bills: a location's billing identity (CMS-1500 items 25, 32, 33; 837P loops 2010AA and 2310C) and each
rendering clinician's NPI (CMS-1500 item 24J; 837P loop 2310B)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketaclinic.accounts.models import Location


class BillingProfile(models.Model):
    """The billing provider for one location: legal name, NPI, tax id, taxonomy, address and phone."""

    class TaxIdKind(models.TextChoices):
        EIN = "ein", "Employer identification number (EIN)"
        SSN = "ssn", "Social security number (SSN)"

    location = models.OneToOneField(Location, on_delete=models.PROTECT, related_name="billing_profile")
    legal_name = models.CharField(max_length=60)
    npi = models.CharField("NPI", max_length=10)
    tax_id = models.CharField("Tax id", max_length=9, help_text="Nine digits, without dashes.")
    tax_id_kind = models.CharField(max_length=3, choices=TaxIdKind.choices, default=TaxIdKind.EIN)
    taxonomy_code = models.CharField(max_length=10, blank=True, help_text="Provider taxonomy, e.g. 2084P0800X.")
    street = models.CharField(max_length=55)
    city = models.CharField(max_length=30)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=9, help_text="ZIP+4 without the dash (837P wants nine digits).")
    phone = models.CharField(max_length=20, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.legal_name} (NPI {self.npi})"


class ProviderIdentity(models.Model):
    """A rendering clinician's NPI and taxonomy."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="provider_identity")
    npi = models.CharField("NPI", max_length=10)
    taxonomy_code = models.CharField(max_length=10, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"NPI {self.npi}"
