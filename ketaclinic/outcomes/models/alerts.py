"""Safety alerts (ARCHITECTURE.md: outcomes/ holds alerts).

An alert is raised by a service when a rating scale flags suicidality (instruments.md § phq9, § cssrs_screener). It is
addressed to the patient's primary clinician and stays on their dashboard until a clinician acknowledges it with a
follow-up note. Alerts are never deleted; acknowledging and escalating are the only changes an alert row ever sees.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketaclinic.domain import instruments
from ketaclinic.patients.models import Patient


class SafetyAlert(models.Model):
    class Kind(models.TextChoices):
        SUICIDALITY = "suicidality", "Suicide-risk screen positive"

    class Severity(models.TextChoices):
        # The C-SSRS triage bands (instruments.md § cssrs_screener); a PHQ-9 item 9 alone is not yet rated.
        UNRATED = "unrated", "Not yet rated (give the C-SSRS screener)"
        LOW = "low", "Low"
        MODERATE = "moderate", "Moderate"
        HIGH = "high", "High"

    class Assignment(models.TextChoices):
        PRIMARY_CLINICIAN = "primary_clinician", "The patient's primary clinician"
        RECORDER = "recorder", "No primary clinician at this location: the clinician who recorded the screen"
        UNASSIGNED = "unassigned", "Nobody to address: every clinician at the patient's location sees it"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="safety_alerts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    # What raised it: the instrument, its score, and the stored response (app label.model and id, no hard link so
    # outcomes does not depend on the app that raised it).
    instrument = models.CharField(max_length=30)
    score_total = models.FloatField(null=True, blank=True)
    score_band = models.CharField(max_length=30, blank=True)
    source_type = models.CharField(max_length=80)
    source_id = models.BigIntegerField()
    message = models.TextField()
    recommended_action = models.TextField()
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="safety_alerts"
    )
    assignment = models.CharField(max_length=20, choices=Assignment.choices)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True, editable=False)
    follow_up_note = models.TextField(blank=True, editable=False)
    # Escalation (issue 8): an alert still open after KETACLINIC_ALERT_ESCALATION_MINUTES goes to the clinic admins
    # of the patient's location (in-app and e-mail) so that somebody makes sure a clinician acts.
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_to = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="escalated_alerts")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["assigned_to", "acknowledged_at"]),
            models.Index(fields=["patient", "created_at"]),
            models.Index(fields=["source_type", "source_id"]),
            models.Index(fields=["acknowledged_at", "escalated_at", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(acknowledged_at__isnull=True) | ~models.Q(follow_up_note=""),
                name="alert_acknowledged_with_a_note",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_severity_display()}) for patient {self.patient_id}"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None

    @property
    def severity_tone(self) -> str:
        """How loud the severity pill is: a positive suicide-risk screen is never a neutral (blue) pill. A PHQ-9
        item 9 not yet rated by the C-SSRS, and a C-SSRS high band, are ``danger`` (red); moderate and low are
        ``warning`` (amber). The bands are the C-SSRS screener triage (Columbia triage guidance)."""
        if self.kind == self.Kind.SUICIDALITY and self.severity in (self.Severity.UNRATED, self.Severity.HIGH):
            return "danger"
        return "warning"

    @property
    def instrument_label(self) -> str:
        """The scale's short name ("PHQ-9", "C-SSRS"), from the abbreviation that ends its published name."""
        try:
            name = instruments.get(self.instrument).name
        except ValueError:
            return self.instrument
        found = re.search(r"\(([^()]+)\)$", name)
        return found.group(1) if found else name
