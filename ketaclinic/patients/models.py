"""The patient chart: demographics, conditions, medications, allergies, body measurements, consents and documents.

Nothing clinical is deleted (ARCHITECTURE.md "Data rules"): a wrong row is marked entered-in-error with a reason and
who did it; lists hide it and the chart shows it struck through.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from ketaclinic.accounts.models import Location
from ketaclinic.documents.files import EXTENSIONS
from ketaclinic.domain import body


def clinic_date(patient: Patient, moment: dt.datetime | None = None) -> dt.date:
    """``moment`` (default: now) as a calendar day in the time zone of the patient's clinic, whatever zone the
    request or process has active (a consent expires at the clinic's midnight, not the server's)."""
    zone = ZoneInfo(patient.location.clinic.timezone)
    return (moment or timezone.now()).astimezone(zone).date()


class EnteredInError(models.Model):
    """Columns every clinical row carries so it can be withdrawn without being deleted."""

    entered_in_error = models.BooleanField(default=False, editable=False)
    entered_in_error_reason = models.TextField(blank=True, editable=False)
    entered_in_error_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    entered_in_error_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True


class Recorded(models.Model):
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True


US_STATE = RegexValidator(r"^[A-Z]{2}$", "Use the two-letter state code, e.g. NY.")
PHONE = RegexValidator(r"^\+?[0-9 ()\-.]{7,20}$", "Enter a phone number of 7 to 20 digits (spaces, dashes allowed).")
POSTAL_CODE = RegexValidator(r"^[0-9]{5}(-[0-9]{4})?$", "Enter a 5-digit ZIP code (or ZIP+4).")


class Patient(EnteredInError):
    class Sex(models.TextChoices):
        # Sex assigned at birth: the dosing formulas (Devine IBW) need it (clinical-rules.md §3).
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        UNKNOWN = "unknown", "Unknown"

    mrn = models.CharField("MRN", max_length=20, unique=True)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField("sex assigned at birth", max_length=10, choices=Sex.choices)
    gender_identity = models.CharField(max_length=60, blank=True)
    pk_ancestry = models.CharField(
        "ancestry (for the esketamine dose preview)",
        max_length=12,
        blank=True,
        choices=[
            ("", "Not recorded"),
            ("japanese", "Japanese"),
            ("asian", "Asian, not Japanese"),
            ("other", "Other / not Asian"),
        ],
        help_text="Optional and self-reported. Used only by the esketamine exposure preview: exposure is higher in "
        "Asian and most in Japanese patients (Perez-Ruixo et al. 2021, esketamine population pharmacokinetics).",
    )
    pronouns = models.CharField(max_length=30, blank=True)
    phone = models.CharField(max_length=30, blank=True, validators=[PHONE])
    email = models.EmailField(blank=True)
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True, validators=[US_STATE])
    postal_code = models.CharField("ZIP code", max_length=10, blank=True, validators=[POSTAL_CODE])
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(max_length=30, blank=True, validators=[PHONE])
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    primary_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="primary_patients"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="patients")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["family_name", "given_name"]
        indexes = [
            models.Index(fields=["family_name", "given_name"]),
            models.Index(fields=["date_of_birth"]),
            models.Index(fields=["location", "entered_in_error"]),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_years(self, on: object = None) -> int:
        today = on or timezone.localdate()
        dob = self.date_of_birth
        return int(today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day)))  # type: ignore[attr-defined]


class Condition(EnteredInError, Recorded):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RESOLVED = "resolved", "Resolved"
        HISTORY = "history", "History of"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="conditions")
    description = models.CharField(max_length=200)
    icd10_code = models.CharField(
        "ICD-10-CM",
        max_length=8,
        blank=True,
        validators=[
            RegexValidator(
                r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$", "Enter an ICD-10-CM code such as F33.2 or G90.50."
            )
        ],
    )
    snomed_code = models.CharField(
        "SNOMED CT",
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{6,18}$", "A SNOMED CT id is 6 to 18 digits.")],
    )
    # The eligibility vocabulary (clinical-rules.md §1) where the condition maps onto one of its codes.
    rule_code = models.CharField("eligibility condition code", max_length=60, blank=True)
    onset_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"{self.description} ({self.icd10_code})"


class Medication(EnteredInError, Recorded):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    generic_name = models.CharField(max_length=120)
    dose = models.CharField(max_length=60, help_text="e.g. 100 mg")
    frequency = models.CharField(max_length=60, help_text="e.g. once daily")
    started_on = models.DateField(null=True, blank=True)
    stopped_on = models.DateField(null=True, blank=True)
    # Total daily dose of an opioid for morphine milligram equivalents (domain.pain, CDC 2022 MME table): mg/day, or
    # the patch strength in mcg/h for transdermal fentanyl. Blank for other medications.
    daily_dose = models.DecimalField(
        "Total daily dose (opioids)",
        max_digits=9,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="For opioids: mg per day, all doses of the day added up; a fentanyl patch: its strength in mcg/h.",
    )
    daily_dose_unit = models.CharField(
        "Unit of the daily dose",
        max_length=8,
        choices=[("mg/day", "mg/day"), ("mcg/h", "mcg/h (fentanyl patch)")],
        blank=True,
    )

    class Meta:
        ordering = ["generic_name"]

    def __str__(self) -> str:
        return f"{self.generic_name} {self.dose} {self.frequency}"


class Allergy(EnteredInError, Recorded):
    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="allergies")
    substance = models.CharField(max_length=120)
    reaction = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)

    class Meta:
        verbose_name_plural = "allergies"

    def __str__(self) -> str:
        return self.substance


class NoKnownDrugAllergies(EnteredInError, Recorded):
    """The statement "no known drug allergies" (NKDA): the patient was asked and reports none, recorded by whom and
    when. It differs from an empty allergy list, which only means nobody has asked yet. An allergy recorded later
    supersedes it (kept, with the allergy that superseded it): nothing clinical is deleted."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="nkda_statements")
    superseded_at = models.DateTimeField(null=True, blank=True, editable=False)
    superseded_by_allergy = models.ForeignKey(
        Allergy, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = "no known drug allergies statement"

    def __str__(self) -> str:
        return f"No known drug allergies ({self.recorded_at:%Y-%m-%d})"

    @property
    def is_current(self) -> bool:
        return not self.entered_in_error and self.superseded_at is None


class BodyMeasurement(EnteredInError, Recorded):
    """Weight and height at a moment; BMI is computed, never stored (one source of truth)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="measurements")
    measured_at = models.DateTimeField(default=timezone.now)
    weight_kg = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal(body.MIN_WEIGHT_KG)), MaxValueValidator(Decimal(body.MAX_WEIGHT_KG))],
    )
    height_cm = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal(body.MIN_HEIGHT_CM)), MaxValueValidator(Decimal(body.MAX_HEIGHT_CM))],
    )

    class Meta:
        ordering = ["-measured_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weight_kg__gt=0), name="measurement_weight_positive"),
            models.CheckConstraint(condition=models.Q(height_cm__gt=0), name="measurement_height_positive"),
        ]

    def __str__(self) -> str:
        # Shown on screens (the entered-in-error page): in the clinic's zone, which the request activates, not UTC.
        return f"{self.weight_kg} kg, {self.height_cm} cm on {timezone.localtime(self.measured_at):%Y-%m-%d %H:%M}"

    @property
    def bmi(self) -> Decimal:
        return body.bmi_kg_per_m2(self.weight_kg, self.height_cm)


class Consent(EnteredInError, Recorded):
    class Kind(models.TextChoices):
        TREATMENT = "treatment", "Ketamine treatment informed consent"
        ESKETAMINE_REMS = "esketamine_rems", "Esketamine (Spravato) REMS patient enrolment"
        PRIVACY = "privacy", "Notice of privacy practices acknowledgement"
        TELEHEALTH = "telehealth", "Telehealth consent"
        COMMUNICATION = "communication", "Consent to e-mail / SMS contact"
        RECORDS_RELEASE = "records_release", "Release of information"
        HOME_PROGRAMME = "home_programme", "At-home programme agreement"
        FINANCIAL_POLICY = "financial_policy", "Financial policy acknowledgement"

    class Method(models.TextChoices):
        # How the signature reached the chart: check-in says which ("signed electronically on … (version 3)").
        RECORDED = "recorded", "Recorded by staff"
        ELECTRONIC = "electronic", "Signed electronically"
        PAPER_SCAN = "paper_scan", "Paper, scanned"

    # A consent the patient signs electronically on the portal has no staff member recording it.
    recorded_by = models.ForeignKey(  # type: ignore[assignment]  # nullable here only
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    method = models.CharField(max_length=12, choices=Method.choices, default=Method.RECORDED, editable=False)
    version = models.CharField(max_length=20, help_text="Version of the consent document signed, e.g. 2026-01.")
    signed_at = models.DateTimeField()
    signed_by_name = models.CharField(
        max_length=200, help_text="Who signed: the patient, or their legal representative (name and relationship)."
    )
    expires_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-signed_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"

    def is_expired(self, on: dt.date | None = None) -> bool:
        """Past its expiry date on ``on`` (default: today on the clinic's calendar). Entered-in-error rows are
        withdrawn, not expired."""
        today = on or clinic_date(self.patient)
        return not self.entered_in_error and self.expires_on is not None and self.expires_on < today

    @property
    def expired(self) -> bool:
        """For templates: expired today in the clinic's time zone."""
        return self.is_expired()

    def is_current(self, on: object = None) -> bool:
        today = on or timezone.localdate()
        return not self.entered_in_error and (self.expires_on is None or self.expires_on >= today)  # type: ignore[operator]

    @property
    def how_signed(self) -> str:
        """What check-in and the chart say about how this consent is on file, e.g. "signed electronically on
        2026-12-07 (version 3)"; the day is on the clinic's calendar."""
        day = clinic_date(self.patient, self.signed_at)
        if self.method == self.Method.ELECTRONIC:
            # The e-signature row (consents app, a layer above) says where: the patient's own portal session.
            signature = getattr(self, "electronic_signature", None)
            if signature is not None and signature.channel == "portal":
                return f"signed electronically on {day:%Y-%m-%d}, version {self.version} (patient portal)"
            return f"signed electronically on {day:%Y-%m-%d} (version {self.version})"
        if self.method == self.Method.PAPER_SCAN:
            return f"signed on paper on {day:%Y-%m-%d} (version {self.version}, scan on file)"
        return f"signed on {day:%Y-%m-%d} (version {self.version}, recorded by staff)"


class ChartDocument(EnteredInError):
    """A file on the chart (referral letter, prior records, ECG, labs, ID, insurance card), uploaded by staff or by
    the patient in the portal. The file lives outside the web root under a random name (``ketaclinic.documents.files``);
    this row holds its name, SHA-256, content type and size. A patient's upload arrives "unfiled" until staff file it
    under a kind. Never deleted: a wrong upload is marked entered in error."""

    class Kind(models.TextChoices):
        UNFILED = "unfiled", "Unfiled (uploaded by the patient)"
        REFERRAL_LETTER = "referral_letter", "Referral letter"
        PRIOR_RECORDS = "prior_records", "Prior records"
        ECG = "ecg", "ECG"
        LABS = "labs", "Labs"
        ID = "id", "ID"
        INSURANCE_CARD = "insurance_card", "Insurance card"
        OTHER = "other", "Other"

    class Source(models.TextChoices):
        STAFF = "staff", "Staff"
        PORTAL = "portal", "The patient, in the portal"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="chart_documents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # What the patient said it is when uploading in the portal (one of Kind other than "unfiled"); blank for staff.
    patient_says = models.CharField(max_length=20, choices=Kind.choices, blank=True)
    title = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    document_date = models.DateField(null=True, blank=True)
    file_name = models.CharField(max_length=100, unique=True, editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    content_type = models.CharField(max_length=40, editable=False)
    size_bytes = models.PositiveIntegerField(editable=False)
    source = models.CharField(max_length=10, choices=Source.choices, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    filed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        indexes = [models.Index(fields=["patient", "entered_in_error", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.content_type, "bin")

    @property
    def uploaded_by_name(self) -> str:
        return self.uploaded_by.display_name if self.uploaded_by is not None else "the patient (portal)"
