"""The supervised home programme: enrolment, take-home prescriptions, pre-dose check-ins, doses and reconciliation.

The rules (release, balance, refill limit, monitor, DEA telemedicine date) are pure code in
:mod:`ketaclinic.domain.homecare`, with their sources. Thresholds are CLINIC POLICY (no published standard for home
dosing, at-home.md §3): :class:`HomeSettings` holds them with no default, and an unset one blocks every release.
Nothing here is deleted: rows are marked entered in error.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from ketaclinic.accounts.models import Clinic
from ketaclinic.domain.homecare import MAX_SCHEDULE_III_REFILLS
from ketaclinic.intake.models import EligibilityDecision
from ketaclinic.patients.models import Consent, EnteredInError, Patient, Recorded


class HomeRoute(models.TextChoices):
    ORAL = "oral", "Oral"
    SUBLINGUAL_TROCHE = "sublingual_troche", "Sublingual troche"
    INTRANASAL_RACEMIC = "intranasal_racemic", "Intranasal (racemic)"


class HomeSettings(models.Model):
    """A clinic's home-dose thresholds (CLINIC POLICY: no published standard; blank = not set = no dose released)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.PROTECT, related_name="home_settings")
    max_systolic_mmhg = models.PositiveSmallIntegerField(
        "highest systolic for a home dose (mmHg)",
        null=True,
        blank=True,
        validators=[MinValueValidator(90), MaxValueValidator(220)],
        help_text="Clinic policy. One programme publishes 'above 160/90 … do not proceed' (Choose Ketamine, Remote "
        "Treatment Agreement); no standard exists.",
    )
    max_diastolic_mmhg = models.PositiveSmallIntegerField(
        "highest diastolic for a home dose (mmHg)",
        null=True,
        blank=True,
        validators=[MinValueValidator(50), MaxValueValidator(140)],
    )
    max_heart_rate_per_min = models.PositiveSmallIntegerField(
        "highest heart rate for a home dose (per minute)",
        null=True,
        blank=True,
        validators=[MinValueValidator(50), MaxValueValidator(160)],
        help_text="Clinic policy. One programme publishes 'heart rate above 100' as a stop (Choose Ketamine).",
    )
    doses_per_day = models.PositiveSmallIntegerField(
        "home doses allowed a day", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    discrepancy_tolerance_doses = models.DecimalField(
        "count discrepancy that opens a clinician task (doses)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Clinic policy (a design proposal, not a sourced requirement).",
    )
    screen_interval_days = models.PositiveSmallIntegerField(
        "bladder and alcohol screen every (days)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Clinic policy: no source sets a screening interval for therapeutic users. Blank = the baseline "
        "screen at enrolment only. One programme screens bladder health and alcohol use monthly (Joyous).",
    )
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        verbose_name_plural = "home settings"

    def __str__(self) -> str:
        return f"Home programme settings of {self.clinic}"


class HomeProgramme(EnteredInError, Recorded):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        STOPPED = "stopped", "Stopped"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="home_programmes")
    prescriber = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    eligibility = models.ForeignKey(EligibilityDecision, on_delete=models.PROTECT, related_name="+")
    agreement = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="+")
    route = models.CharField(max_length=20, choices=HomeRoute.choices)
    monitor_name = models.CharField("treatment monitor", max_length=200)
    monitor_date_of_birth = models.DateField("monitor's date of birth")
    monitor_relationship = models.CharField(max_length=60, blank=True)
    monitor_phone = models.CharField(max_length=30, blank=True)
    monitor_email = models.EmailField(blank=True)
    in_person_evaluation_on = models.DateField("in-person evaluation", null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # Stopping (homecare.services.monitoring.stop_programme): a prescriber's decision with a reason, audited.
    stopped_at = models.DateTimeField(null=True, blank=True, editable=False)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    stop_reason = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="active", entered_in_error=False),
                name="home_programme_one_active_per_patient",
            )
        ]

    def __str__(self) -> str:
        return f"Home programme of patient {self.patient_id}"


class TakeHomePrescription(EnteredInError, Recorded):
    Route = HomeRoute

    programme = models.ForeignKey(HomeProgramme, on_delete=models.PROTECT, related_name="prescriptions")
    route = models.CharField(max_length=20, choices=Route.choices)
    strength_mg = models.DecimalField("strength per unit (mg)", max_digits=7, decimal_places=2)
    dose_mg = models.DecimalField("dose per session (mg)", max_digits=7, decimal_places=2)
    sessions = models.PositiveSmallIntegerField("sessions per fill", validators=[MinValueValidator(1)])
    refills_authorised = models.PositiveSmallIntegerField(validators=[MaxValueValidator(MAX_SCHEDULE_III_REFILLS)])
    issued_on = models.DateField()
    pdmp_checked_on = models.DateField("PDMP checked on")
    pdmp_note = models.CharField("PDMP finding", max_length=300)
    stopped_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-issued_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refills_authorised__lte=MAX_SCHEDULE_III_REFILLS), name="home_rx_refills_cfr"
            ),
            models.CheckConstraint(condition=models.Q(dose_mg__gt=0, strength_mg__gt=0), name="home_rx_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_route_display()} {self.dose_mg} mg × {self.sessions}"

    @property
    def sessions_authorised(self) -> int:
        return self.sessions * (1 + self.refills_authorised)


class HomeDispense(EnteredInError, Recorded):
    """A fill or refill. A pharmacy fill records the pharmacy and its Rx number; a clinic fill is drawn from the
    controlled-substance ledger in the same transaction (``ledger_entry``, the 1304.22(c) dispensing record)."""

    class Source(models.TextChoices):
        PHARMACY = "pharmacy", "Pharmacy"
        CLINIC = "clinic", "Clinic"

    prescription = models.ForeignKey(TakeHomePrescription, on_delete=models.PROTECT, related_name="dispenses")
    source = models.CharField(max_length=10, choices=Source.choices)
    dispenser = models.CharField("pharmacy or dispensing clinician", max_length=200)
    dispensed_on = models.DateField()
    doses = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    is_refill = models.BooleanField(default=False)
    rx_number = models.CharField("pharmacy Rx number", max_length=40, blank=True)
    ledger_entry = models.OneToOneField(
        "ledger.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["dispensed_on", "pk"]


class HomeCheckIn(EnteredInError):
    """A pre-dose check-in and the release decision made on it (``cleared``/``reasons`` as shown to the patient)."""

    prescription = models.ForeignKey(TakeHomePrescription, on_delete=models.PROTECT, related_name="check_ins")
    at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    systolic_mmhg = models.PositiveSmallIntegerField()
    diastolic_mmhg = models.PositiveSmallIntegerField()
    heart_rate_per_min = models.PositiveSmallIntegerField()
    monitor_present = models.BooleanField()
    symptoms = models.JSONField(default=list)
    cleared = models.BooleanField()
    reasons = models.JSONField(default=list)

    class Meta:
        ordering = ["-at"]


class HomeDose(EnteredInError):
    """A dose taken at home (only from a cleared check-in), with the post-dose check."""

    check_in = models.OneToOneField(HomeCheckIn, on_delete=models.PROTECT, related_name="dose")
    prescription = models.ForeignKey(TakeHomePrescription, on_delete=models.PROTECT, related_name="doses")
    taken_at = models.DateTimeField(default=timezone.now)
    dose_mg = models.DecimalField(max_digits=7, decimal_places=2)
    post_checked_at = models.DateTimeField(null=True, blank=True)
    sedation_resolved = models.BooleanField(null=True)
    side_effects = models.TextField(blank=True)

    class Meta:
        ordering = ["-taken_at"]


class HomeStockEntry(EnteredInError, Recorded):
    """Documented waste, or a count of what the patient holds (compared with the running balance)."""

    class Kind(models.TextChoices):
        WASTE = "waste", "Documented waste"
        COUNT = "count", "Count"

    prescription = models.ForeignKey(TakeHomePrescription, on_delete=models.PROTECT, related_name="stock_entries")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    doses = models.DecimalField(max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal(0))])
    note = models.CharField(max_length=300, blank=True)
    # Documented waste (doses wasted or handed back for destruction) is witnessed by a second licensed clinician who
    # re-authenticates, as a ledger waste is (controlled-substances.md invariant 5).
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    witness_method = models.CharField(max_length=60, blank=True, editable=False)

    class Meta:
        ordering = ["recorded_at", "pk"]


class HomeDiscrepancyReview(models.Model):
    """A clinician task: the count differs from the running balance beyond the clinic's tolerance (or the balance went
    below zero). Open until a clinician reviews it with a note; never deleted."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        REVIEWED = "reviewed", "Reviewed"

    prescription = models.ForeignKey(TakeHomePrescription, on_delete=models.PROTECT, related_name="reviews")
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now, editable=False)
    expected = models.DecimalField("expected in hand (doses)", max_digits=7, decimal_places=2, editable=False)
    counted = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True, editable=False)
    reason = models.CharField(max_length=300, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    review_note = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["prescription"], condition=models.Q(status="open"), name="home_review_one_open_per_rx"
            ),
            models.CheckConstraint(
                condition=models.Q(status="open") | ~models.Q(review_note=""), name="home_review_reviewed_with_note"
            ),
        ]

    def __str__(self) -> str:
        return f"Home-dose discrepancy review {self.pk} ({self.status})"
