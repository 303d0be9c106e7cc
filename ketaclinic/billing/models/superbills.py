"""Superbills: the itemised bill a self-pay patient sends to an out-of-network payer (billing.md §9, after Sidecar
Health's list and the CMS-1500 data set). A snapshot taken from the signed session record when it is generated, so
the printed bill never changes under the patient; a wrong one is voided and a new one generated."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.patients.models import Patient


class Superbill(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="superbills")
    sessions = models.ManyToManyField(TreatmentSession, related_name="superbills")
    first_date = models.DateField()
    last_date = models.DateField()
    content = models.JSONField(help_text="Everything printed: provider, patient, diagnoses, lines, totals.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    void_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Superbill {self.pk} ({self.first_date}–{self.last_date})"
