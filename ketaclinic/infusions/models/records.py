"""What happens in the chair: vital signs and their alerts, rating scales, side effects, rescue medications, rate
changes and the drug given (linked to the controlled-substance ledger).

Nothing clinical is deleted (ARCHITECTURE.md): a wrong reading, score, side effect or rescue medication is marked
entered in error with a reason; the grid shows it struck through and the alerts and totals ignore it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from ketaclinic.domain import monitoring
from ketaclinic.infusions.models.session import TreatmentSession
from ketaclinic.ledger.models import Container, Hold, LedgerEntry
from ketaclinic.patients.models import EnteredInError, Recorded


def _bounds(bounds: tuple[int, int]) -> list[Any]:
    return [MinValueValidator(bounds[0]), MaxValueValidator(bounds[1])]


class VitalReading(EnteredInError, Recorded):
    """One set of vital signs (any may be missing), with the sedation scale of the protocol. ``kind`` says whether
    it is the scheduled reading (blood pressure, heart rate and SpO2, and the respiratory rate where the protocol asks
    for it), a partial set, or a sedation check alone (``domain.monitoring.reading_kind``): only the first meets the
    monitoring cadence."""

    class Kind(models.TextChoices):
        VITALS = "vitals", "Vital signs"
        PARTIAL = "partial", "Partial set (not the scheduled reading)"
        SEDATION = "sedation", "Sedation check"

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="readings")
    taken_at = models.DateTimeField(default=timezone.now)
    systolic_mmhg = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_bounds(monitoring.PLAUSIBLE_SYSTOLIC_MMHG)
    )
    diastolic_mmhg = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_bounds(monitoring.PLAUSIBLE_DIASTOLIC_MMHG)
    )
    heart_rate_per_min = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_bounds(monitoring.PLAUSIBLE_HEART_RATE_PER_MIN)
    )
    spo2_percent = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_bounds(monitoring.PLAUSIBLE_SPO2_PERCENT)
    )
    respiratory_rate_per_min = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=_bounds(monitoring.PLAUSIBLE_RESPIRATORY_RATE_PER_MIN)
    )
    temperature_c = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    moaas = models.SmallIntegerField("MOAA/S", null=True, blank=True, validators=_bounds(monitoring.PLAUSIBLE_MOAAS))
    rass = models.SmallIntegerField("RASS", null=True, blank=True, validators=_bounds(monitoring.PLAUSIBLE_RASS))
    note = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.VITALS)

    class Meta:
        ordering = ["taken_at", "pk"]
        indexes = [models.Index(fields=["session", "taken_at"])]

    def __str__(self) -> str:
        return f"Vitals at {self.taken_at:%H:%M} (session {self.session_id})"

    def as_vital_signs(self) -> monitoring.VitalSigns:
        return monitoring.VitalSigns(
            systolic_mmhg=self.systolic_mmhg,
            diastolic_mmhg=self.diastolic_mmhg,
            heart_rate_per_min=self.heart_rate_per_min,
            spo2_percent=self.spo2_percent,
            respiratory_rate_per_min=self.respiratory_rate_per_min,
            temperature_c=float(self.temperature_c) if self.temperature_c is not None else None,
            moaas=self.moaas,
            rass=self.rass,
        )

    @property
    def has_bp(self) -> bool:
        return self.systolic_mmhg is not None and self.diastolic_mmhg is not None


class SessionAlert(models.Model):
    """An alert from ``domain.monitoring`` with its recommended action; it stays open until a clinician acknowledges
    it. Acknowledging is the only change an alert row sees."""

    class Level(models.TextChoices):
        ALERT = "alert", "Alert"
        STOP = "stop", "Stop and evaluate"

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="alerts")
    reading = models.ForeignKey(VitalReading, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts")
    code = models.CharField(max_length=40)
    level = models.CharField(max_length=5, choices=Level.choices)
    parameter = models.CharField(max_length=40)
    value = models.FloatField()
    threshold = models.FloatField()
    message = models.TextField()
    action = models.TextField()
    source = models.TextField()
    raised_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        indexes = [models.Index(fields=["session", "acknowledged_at"])]

    def __str__(self) -> str:
        return f"{self.get_level_display()}: {self.code} (session {self.session_id})"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


class SessionScore(EnteredInError, Recorded):
    """A rating scale in the chair: the pre-dose PHQ-9 (or the protocol's measure), the C-SSRS screener, CADSS, and the
    discharge score (modified Aldrete or PADSS). Item answers are kept, scored by ``domain.instruments``."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="scores")
    instrument = models.CharField(max_length=30)
    answers = models.JSONField()
    total = models.FloatField()
    band = models.CharField(max_length=30, blank=True)
    flags = models.JSONField(default=list)
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["taken_at", "pk"]
        indexes = [models.Index(fields=["session", "instrument"])]

    def __str__(self) -> str:
        return f"{self.instrument} {self.total:g} (session {self.session_id})"


class SideEffect(EnteredInError, Recorded):
    class Effect(models.TextChoices):
        # clinical-rules.md §4 "Side effects to capture".
        DISSOCIATION = "dissociation", "Dissociation"
        NAUSEA = "nausea", "Nausea"
        VOMITING = "vomiting", "Vomiting"
        DIZZINESS = "dizziness", "Dizziness"
        HEADACHE = "headache", "Headache"
        HALLUCINATIONS = "hallucinations", "Hallucinations"
        ANXIETY = "anxiety_dysphoria", "Anxiety / dysphoria"
        EMERGENCE = "emergence_reaction", "Emergence reaction"
        HYPERTENSION = "hypertension", "Hypertension"
        TACHYCARDIA = "tachycardia", "Tachycardia"
        SEDATION = "sedation", "Sedation"
        RESPIRATORY_DEPRESSION = "respiratory_depression", "Respiratory depression"
        OTHER = "other", "Other (describe)"

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    class Outcome(models.TextChoices):
        ONGOING = "ongoing", "Ongoing"
        RESOLVED = "resolved", "Resolved"
        TRANSFERRED = "transferred", "Transferred to emergency care"

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="side_effects")
    effect = models.CharField(max_length=30, choices=Effect.choices)
    other_text = models.CharField("describe", max_length=200, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    adverse_event = models.BooleanField(
        default=False, help_text="A serious or unexpected event to be reviewed and reported, not only a side effect."
    )
    action_taken = models.TextField(blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.ONGOING)
    started_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_severity_display()})"

    @property
    def label(self) -> str:
        return self.other_text if self.effect == self.Effect.OTHER else str(self.get_effect_display())


class RescueMedication(EnteredInError, Recorded):
    """A rescue drug given in the chair. Drug, dose and route are recorded exactly as entered: the knowledge file marks
    rescue doses VERIFY (the clinic's medical director sets them), so nothing here suggests a dose."""

    class Drug(models.TextChoices):
        # clinical-rules.md §4 "Rescue medications (clinic formulary)".
        ONDANSETRON = "ondansetron", "Ondansetron (nausea)"
        PROMETHAZINE = "promethazine", "Promethazine (nausea)"
        MIDAZOLAM = "midazolam", "Midazolam (dysphoria, emergence)"
        LORAZEPAM = "lorazepam", "Lorazepam (dysphoria, emergence)"
        CLONIDINE = "clonidine", "Clonidine (hypertension)"
        LABETALOL = "labetalol", "Labetalol (hypertension)"
        OTHER = "other", "Other (name it)"

    class Route(models.TextChoices):
        IV = "iv", "IV"
        IM = "im", "IM"
        ORAL = "oral", "Oral"
        ODT = "odt", "Orally disintegrating"
        SUBLINGUAL = "sublingual", "Sublingual"
        OTHER = "other", "Other"

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="rescue_medications")
    drug = models.CharField(max_length=20, choices=Drug.choices)
    drug_other = models.CharField("drug name", max_length=100, blank=True)
    dose = models.CharField(max_length=60, help_text="As given, with its unit (e.g. 4 mg).")
    route = models.CharField(max_length=12, choices=Route.choices)
    reason = models.CharField(max_length=200)
    given_at = models.DateTimeField(default=timezone.now)
    side_effect = models.ForeignKey(
        SideEffect, on_delete=models.PROTECT, null=True, blank=True, related_name="rescue_medications"
    )
    # Allergy stop (issue 15): the drug matched a recorded allergy and a prescriber gave it anyway, saying why.
    allergy_matches = models.JSONField(default=list, blank=True, help_text="The allergy matches overridden.")
    allergy_override_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["given_at", "pk"]

    def __str__(self) -> str:
        return f"{self.name} {self.dose} {self.get_route_display()}"

    @property
    def name(self) -> str:
        return self.drug_other if self.drug == self.Drug.OTHER else self.drug


class RateChange(Recorded):
    """The infusion's rate history: start, changes, pauses, resumes and the end. The total dose delivered is computed
    from it (``domain.sessions.dose_delivered_mg``); nothing else stores a running total."""

    class Kind(models.TextChoices):
        START = "start", "Started"
        CHANGE = "change", "Rate changed"
        PAUSE = "pause", "Paused"
        RESUME = "resume", "Resumed"
        END = "end", "Ended"

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="rate_changes")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    at = models.DateTimeField()
    rate_mg_per_h = models.DecimalField(max_digits=7, decimal_places=1)
    pump_rate_ml_per_h = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rate_mg_per_h__gte=0), name="infusions_rate_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.rate_mg_per_h} mg/h"


class DrugAdministration(Recorded):
    """The product, lot and container used, what was drawn and what was given; ``ledger_entry`` is the ledger's
    ADMINISTER entry (and ``waste_entry`` its witnessed WASTE of the remainder) once posted."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="administrations")
    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="+")
    product_name = models.CharField(max_length=200)
    ndc = models.CharField("NDC", max_length=13)
    lot_number = models.CharField(max_length=40)
    lot_expires_on = models.DateField()
    container_label = models.CharField(max_length=40)
    concentration_mg_per_ml = models.DecimalField(max_digits=8, decimal_places=3)
    drawn_ml = models.DecimalField(max_digits=9, decimal_places=2)
    given_ml = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    ledger_entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="session_administration"
    )
    waste_entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="session_waste"
    )
    hold = models.OneToOneField(
        Hold,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="session_administration",
        help_text="An infusion's draw, held against the container from the start until the dose is posted.",
    )
    draw_reason = models.TextField(
        blank=True, help_text="Why the drawn volume differs from the order's by more than the clinic's tolerance."
    )

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.container_label} lot {self.lot_number}: {self.drawn_ml} mL drawn"

    @property
    def given_mg(self) -> Decimal | None:
        return None if self.given_ml is None else self.given_ml * self.concentration_mg_per_ml


class FormSubmission(models.Model):
    """A write already made with this form token (a double tap or a retried POST): the replay changes nothing."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="+")
    token = models.UUIDField()
    kind = models.CharField(max_length=30)
    object_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "token"], name="infusions_form_token_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.token}"
