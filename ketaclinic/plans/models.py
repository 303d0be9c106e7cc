"""Treatment plans, their signed versions, the session orders derived from them, and clinic protocol tuning.

Signed means locked (ARCHITECTURE.md): a signed plan version never changes; a change is a new version with a reason
that points at the one it replaces. Drug amounts are Decimal mg and mL.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketaclinic.accounts.models import Clinic
from ketaclinic.patients.models import Patient


class ProtocolTuning(models.Model):
    """A clinic's versioned changes to a library protocol, validated against its hard limits (domain.protocols)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="protocol_tunings")
    protocol_id = models.CharField(max_length=60)
    version = models.PositiveIntegerField()
    overrides = models.JSONField(default=dict, help_text="Field → value, as accepted by protocols.apply_overrides.")
    reason = models.TextField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "protocol_id", "version"], name="protocol_tuning_version_unique")
        ]
        ordering = ["protocol_id", "-version"]

    def __str__(self) -> str:
        return f"{self.protocol_id} v{self.version} ({self.clinic})"


class TreatmentPlan(models.Model):
    """A patient's plan: the container of its versions. At most one is active per patient at a time."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        STOPPED = "stopped", "Stopped"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="treatment_plans")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Plan {self.pk} for {self.patient}"

    @property
    def current_version(self) -> PlanVersion | None:
        return self.versions.order_by("-version").first()

    @property
    def signed_version(self) -> PlanVersion | None:
        return self.versions.filter(status=PlanVersion.Status.SIGNED).order_by("-version").first()


class PlanVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"
        SUPERSEDED = "superseded", "Superseded"

    class DoseMode(models.TextChoices):
        PER_KG = "mg_per_kg", "mg/kg of dosing weight"
        FIXED = "fixed_mg", "fixed mg"

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    change_reason = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)

    indication = models.CharField(max_length=60)
    protocol_id = models.CharField(max_length=60)
    protocol_tuning_version = models.PositiveIntegerField(default=0, help_text="0 = the library protocol as shipped.")
    route = models.CharField(max_length=30)
    dose_mode = models.CharField(max_length=10, choices=DoseMode.choices)
    dose_mg_per_kg = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    fixed_dose_mg = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    dose_mg = models.DecimalField(max_digits=7, decimal_places=1, help_text="The planned dose per session (mg).")
    first_dose_mg = models.DecimalField(
        max_digits=7, decimal_places=1, null=True, blank=True, help_text="Esketamine: the day-1 dose."
    )
    infusion_duration_min = models.PositiveIntegerField(null=True, blank=True)
    # Snapshot of what the dose was computed from (the chart can change later; the signed plan must not).
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    height_cm = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    sex = models.CharField(max_length=10, blank=True)
    age_years = models.PositiveIntegerField()
    dosing_weight_basis = models.CharField(max_length=10, default="total")
    dosing_weights = models.JSONField(default=dict, help_text="total/ideal/adjusted/BMI/chosen and warnings.")
    dosing_weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    premedication = models.TextField(blank=True)
    sessions_planned = models.PositiveIntegerField()
    sessions_per_week = models.PositiveIntegerField(null=True, blank=True)
    start_date = models.DateField()
    schedule = models.JSONField(default=list, help_text="Sessions: number, date, phase, dose_mg.")
    concentration_mg_per_ml = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    bag_volume_ml = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    syringe_volume_ml = models.DecimalField(
        max_digits=6, decimal_places=1, null=True, blank=True, help_text="IM: the syringe the dose is drawn into."
    )
    findings = models.JSONField(default=list, help_text="Dose checks and interaction findings shown at signing.")
    overrides = models.JSONField(default=dict, help_text="Finding code → the prescriber's written reason.")
    eligibility_decision_id_at_signing = models.PositiveBigIntegerField(null=True, blank=True)
    medicine_holds = models.JSONField(
        default=list,
        blank=True,
        help_text="Medicines the patient holds before each visit, as the prescriber wrote them: "
        '[{"medicine", "instruction"}]. No published hold times exist; locked with the version when signed.',
    )
    calendar_changes = models.JSONField(
        default=list,
        blank=True,
        help_text="What signing this amendment did to the booked appointments (moved, cancelled), as sentences.",
    )

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    # Above the protocol's range (clinical-rules.md §3): a second prescriber re-authenticated and co-signed.
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "version"], name="plan_version_unique"),
            models.CheckConstraint(condition=models.Q(dose_mg__gt=0), name="plan_dose_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} v{self.version} ({self.get_status_display()})"

    @property
    def is_locked(self) -> bool:
        return self.status != self.Status.DRAFT


class SessionOrder(models.Model):
    """What the nurse gives at one session, derived from a signed plan version: nothing left to calculate."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        GIVEN = "given", "Given"
        CANCELLED = "cancelled", "Cancelled"

    plan_version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="orders")
    session_number = models.PositiveIntegerField()
    target_date = models.DateField()
    route = models.CharField(max_length=30)
    dose_mg = models.DecimalField(max_digits=7, decimal_places=1)
    concentration_mg_per_ml = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    drug_volume_ml = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    duration_min = models.PositiveIntegerField(null=True, blank=True)
    rate_mg_per_h = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    bag_volume_ml = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    pump_rate_ml_per_h = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    devices = models.PositiveIntegerField(null=True, blank=True, help_text="Esketamine: 28 mg devices.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["plan_version", "session_number"]
        constraints = [
            models.UniqueConstraint(fields=["plan_version", "session_number"], name="order_session_unique"),
            models.CheckConstraint(condition=models.Q(dose_mg__gt=0), name="order_dose_positive"),
        ]

    def __str__(self) -> str:
        return f"Session {self.session_number}: {self.dose_mg} mg {self.route} on {self.target_date}"


class PlanAdjustment(models.Model):
    """A prescriber's decision about a running plan after reviewing the patient's outcomes (issue 8), with reasons.

    ``continue`` keeps the plan as it is; ``booster_interval`` sets the maintenance interval; ``dose_change`` and
    ``route_change`` start a draft amendment (a new plan version that must be signed like any other: signed means
    locked); ``stop`` stops the plan and cancels its open orders. ``evidence`` is a snapshot of what the prescriber saw
    (latest scores, change from baseline, the stop-signal suggestion), so the decision can be read later as it was
    made.
    """

    class Kind(models.TextChoices):
        CONTINUE = "continue", "Continue as planned"
        BOOSTER_INTERVAL = "booster_interval", "Set the booster (maintenance) interval"
        DOSE_CHANGE = "dose_change", "Change the dose"
        ROUTE_CHANGE = "route_change", "Change the route"
        STOP = "stop", "Stop treatment"

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="adjustments")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.TextField()
    booster_interval_days = models.PositiveIntegerField(null=True, blank=True)
    new_dose_mg = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    new_route = models.CharField(max_length=30, blank=True)
    from_version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="+")
    draft_version = models.ForeignKey(
        PlanVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The amendment a dose or route change started (to be signed).",
    )
    evidence = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="plan_adjustment_has_reason"),
            models.CheckConstraint(
                condition=~models.Q(kind="booster_interval") | models.Q(booster_interval_days__gt=0),
                name="plan_adjustment_booster_has_interval",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.plan} ({self.decided_at:%Y-%m-%d})"
