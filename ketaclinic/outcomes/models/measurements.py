"""Outcome scores over time and the per-patient course summary (measurement-based care, clinical-rules.md §5).

``Measurement`` is the one series the trajectory chart, the stop signal, relapse tracking and the dashboard read: every
outcome scale a patient completes, wherever it was taken (the intake baseline, the pre-dose score at the chair, a
questionnaire filled from home). It keeps the item answers (instruments.md: "store the item answers, not just the
total") and points at the row that produced it. It is written only by ``outcomes.services.record_measurement``; a
wrong one is marked entered-in-error, never deleted.

``OutcomeCourse`` is derived data: one row per patient and scale, recomputed by ``outcomes.services.refresh_course``
in the same transaction as every change to that patient's measurements or plan. The clinic dashboard aggregates these
rows in the database (COUNT ... FILTER / GROUP BY), so its cost grows with patients, not with scores.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ketaclinic.accounts.models import Location
from ketaclinic.patients.models import EnteredInError, Patient


class Measurement(EnteredInError):
    class Context(models.TextChoices):
        BASELINE = "baseline", "Baseline (intake)"
        PRE_SESSION = "pre_session", "Before a treatment session"
        HOME = "home", "From home (questionnaire link)"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="outcome_measurements")
    instrument = models.CharField(max_length=30)
    answers = models.JSONField()
    total = models.FloatField()
    band = models.CharField(max_length=30, blank=True)
    flags = models.JSONField(default=list, blank=True)
    subscales = models.JSONField(default=dict, blank=True)
    taken_at = models.DateTimeField(default=timezone.now)
    context = models.CharField(max_length=12, choices=Context.choices)
    sessions_given = models.PositiveIntegerField(
        default=0, help_text="Treatment sessions the patient had started before this score (for session markers)."
    )
    # What produced it (app_label.model and id): an intake response, a session score, a questionnaire link.
    source_type = models.CharField(max_length=80)
    source_id = models.BigIntegerField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the patient filled it in themselves.",
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["taken_at", "pk"]
        indexes = [
            models.Index(fields=["patient", "instrument", "taken_at"]),
            models.Index(fields=["source_type", "source_id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_type", "source_id", "instrument"],
                condition=Q(entered_in_error=False),
                name="outcomes_one_measurement_per_source_and_scale",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.total:g} for patient {self.patient_id} at {self.taken_at:%Y-%m-%d}"


class OutcomeCourse(models.Model):
    """Where one patient stands on one scale: baseline, latest score and the clinical-rules.md §5 categories at the
    latest score. Dimensions (indication, route, protocol, location) come from the patient's latest signed plan."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="outcome_courses")
    instrument = models.CharField(max_length=30)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    indication = models.CharField(max_length=60, blank=True)
    route = models.CharField(max_length=30, blank=True)
    protocol_id = models.CharField(max_length=60, blank=True)
    baseline_total = models.FloatField(null=True, blank=True)
    baseline_at = models.DateTimeField(null=True, blank=True)
    latest_total = models.FloatField(null=True, blank=True)
    latest_at = models.DateTimeField(null=True, blank=True)
    measurements = models.PositiveIntegerField(default=0)
    follow_ups = models.PositiveIntegerField(default=0, help_text="Scores after the baseline.")
    sessions_given = models.PositiveIntegerField(default=0)
    reduction_pct = models.FloatField(null=True, blank=True, help_text="Latest reduction from baseline, percent.")
    response = models.BooleanField(default=False)
    partial_response = models.BooleanField(default=False)
    remission = models.BooleanField(null=True, blank=True, help_text="Empty for scales without remission (pain).")
    ever_response = models.BooleanField(default=False)
    relapse = models.BooleanField(default=False)
    pain_moderate_improvement = models.BooleanField(default=False, help_text="≥ 30 % reduction (IMMPACT).")
    pain_substantial_improvement = models.BooleanField(default=False, help_text="≥ 50 % reduction (IMMPACT).")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["patient", "instrument"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "instrument"], name="outcomes_one_course_per_patient_scale")
        ]
        indexes = [
            models.Index(fields=["instrument", "location"]),
            models.Index(fields=["instrument", "indication"]),
            models.Index(fields=["instrument", "route"]),
            models.Index(fields=["instrument", "protocol_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} course of patient {self.patient_id}"

    @property
    def evaluable(self) -> bool:
        """A baseline and at least one later score: the denominator of every rate."""
        return self.baseline_total is not None and self.follow_ups > 0
