"""From the public consultation request to a signed eligibility decision (issue 5).

- ``ConsultationRequest`` and its append-only ``ConsultationEvent`` history: what someone asked on the public form,
  the pre-screen red flags, and the front desk's triage (new → contacted → booked → converted / declined).
- ``IntakeAssessment`` with its ``AntidepressantTrial``, ``IntakeMedication`` and ``InstrumentResponse`` rows: the
  nurse's or prescriber's assessment on the chart, saved as a draft and then submitted (locked).
- ``EligibilityDecision``: the prescriber's signed decision. Signed means locked (a database trigger refuses changes
  to a signed row's content, see ``guards.py``); a later change is a new version that ``supersedes`` the old one.

Nothing clinical is deleted: wrong rows are marked entered-in-error (ARCHITECTURE.md "Data rules").
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from ketaclinic.accounts.models import Location
from ketaclinic.documents.files import EXTENSIONS
from ketaclinic.domain import body, eligibility, monitoring, treatment_resistance
from ketaclinic.domain.eligibility.alcohol import AUDIT_C_QUESTIONS, audit_c_total
from ketaclinic.domain.vocabulary import INDICATION_CHOICES as INDICATION_CHOICES
from ketaclinic.domain.vocabulary import PAIN_INDICATIONS as PAIN_INDICATIONS
from ketaclinic.domain.vocabulary import ROUTE_CHOICES as ROUTE_CHOICES
from ketaclinic.patients.models import PHONE, BodyMeasurement, EnteredInError, Medication, Patient, Recorded


class ConsultationRequest(models.Model):
    """A request from the public consultation form (or the public API). Front desk triages it."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        BOOKED = "booked", "Consultation booked"
        CONVERTED = "converted", "Converted to patient"
        DECLINED = "declined", "Declined"

    class Concern(models.TextChoices):
        DEPRESSION = "depression", "Depression"
        PAIN = "pain", "Long-lasting (chronic) pain"
        OTHER = "other", "Something else"

    class PainType(models.TextChoices):
        CRPS = "crps", "Complex regional pain syndrome (CRPS)"
        FIBROMYALGIA = "fibromyalgia", "Fibromyalgia"
        NEUROPATHIC = "neuropathic_pain", "Nerve (neuropathic) pain"
        OTHER = "other_chronic_pain", "Another kind of long-lasting pain"

    class ContactMethod(models.TextChoices):
        PHONE = "phone", "Phone call"
        TEXT = "text", "Text message"
        EMAIL = "email", "E-mail"

    class ContactTime(models.TextChoices):
        ANY = "any", "Any time"
        MORNING = "morning", "Morning"
        AFTERNOON = "afternoon", "Afternoon"
        EVENING = "evening", "Early evening"

    class AntidepressantsTried(models.TextChoices):
        NONE = "none", "None"
        ONE = "one", "One"
        TWO_OR_MORE = "two_or_more", "Two or more"
        UNSURE = "unsure", "Not sure"

    class Pregnancy(models.TextChoices):
        NO = "no", "No"
        YES = "yes", "Yes"
        UNSURE = "unsure", "Not sure"

    class Source(models.TextChoices):
        PUBLIC = "public", "Public form"
        FHIR = "fhir", "FHIR referral"

    class DeclineReason(models.TextChoices):
        CLINICALLY_UNSUITABLE = "clinically_unsuitable", "Not a candidate (clinical review)"
        WITHDREW = "withdrew", "The person withdrew"
        UNREACHABLE = "unreachable", "Could not be reached"
        DUPLICATE = "duplicate", "Duplicate request"
        REFERRED = "referred", "Referred elsewhere"
        OTHER = "other", "Other"

    reference = models.CharField(max_length=12, unique=True, editable=False)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="consultation_requests")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField("sex assigned at birth", max_length=10, choices=Patient.Sex.choices, default="unknown")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True, validators=[PHONE])
    preferred_contact_method = models.CharField(max_length=10, choices=ContactMethod.choices)
    preferred_contact_time = models.CharField(max_length=10, choices=ContactTime.choices, default=ContactTime.ANY)
    concern = models.CharField("what they seek help for", max_length=12, choices=Concern.choices)
    pain_type = models.CharField(max_length=30, choices=PainType.choices, blank=True)
    details = models.TextField(blank=True)
    antidepressants_tried = models.CharField(max_length=12, choices=AntidepressantsTried.choices)
    in_psychiatric_care = models.BooleanField("currently under psychiatric or mental-health care")
    in_medical_care = models.BooleanField("currently under a doctor's care for another condition")
    contraindications = models.JSONField(default=list, blank=True, help_text="Pre-screen question keys answered yes.")
    pregnancy = models.CharField(max_length=8, choices=Pregnancy.choices)
    consent_to_contact = models.BooleanField()
    # Red flags (domain.prescreen) never reject: they send the request to a clinician first.
    red_flags = models.JSONField(default=list, blank=True, editable=False)
    needs_clinical_review = models.BooleanField(default=False, editable=False)
    clinical_review_note = models.TextField(blank=True, editable=False)
    clinical_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    clinical_reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW, editable=False)
    consultation_at = models.DateTimeField("consultation booked for", null=True, blank=True, editable=False)
    decline_reason = models.CharField(max_length=30, choices=DeclineReason.choices, blank=True, editable=False)
    patient = models.ForeignKey(
        Patient,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultation_requests",
        editable=False,
    )
    submitted_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    # Salted SHA-256 of the client address (never the address): the database-backed rate limit counts these.
    client_hash = models.CharField(max_length=64, editable=False)
    # Where the request came from: the public form/API, or a referring clinician's system (FHIR referral Bundle).
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PUBLIC, editable=False)
    # A referral's referrer: {"name", "npi", "phone", "email", "organization"} (empty for the public form).
    referrer = models.JSONField(default=dict, blank=True, editable=False)
    referral_reason = models.TextField("reason for referral", blank=True, editable=False)
    # What the referrer listed: [{"name", "dose", "status"}] and [{"substance", "reaction", "criticality"}].
    referral_medications = models.JSONField(default=list, blank=True, editable=False)
    referral_allergies = models.JSONField(default=list, blank=True, editable=False)
    # The referrer's own id of the referral (ServiceRequest.identifier), shown for their correspondence.
    referral_identifier = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["client_hash", "submitted_at"]),
            models.Index(fields=["location", "status", "submitted_at"]),
            models.Index(fields=["family_name", "date_of_birth"]),
        ]

    def __str__(self) -> str:
        return f"Consultation request {self.reference}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.CONVERTED, self.Status.DECLINED)

    @property
    def is_clinically_reviewed(self) -> bool:
        return self.clinical_reviewed_at is not None


class ConsultationDocument(models.Model):
    """A file that came with a request (a referral letter, prior records): stored like the chart's documents
    (``ketaclinic.documents.files``: outside the web root, random name, SHA-256), read back only through the
    access-checked triage download. Never deleted."""

    request = models.ForeignKey(ConsultationRequest, on_delete=models.PROTECT, related_name="documents")
    title = models.CharField(max_length=200)
    file_name = models.CharField(max_length=100, unique=True, editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    content_type = models.CharField(max_length=40, editable=False)
    size_bytes = models.PositiveIntegerField(editable=False)
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["received_at", "pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.request_id})"

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.content_type, "bin")


class ConsultationEvent(models.Model):
    """One step in a request's history: submitted, a status change, a note, a clinical review, a conversion."""

    request = models.ForeignKey(ConsultationRequest, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(default=timezone.now, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} on {self.request_id} at {self.at:%Y-%m-%d %H:%M}"


def _audit_c_choices(index: int) -> list[tuple[int, str]]:
    return [(score, f"{answer} ({score})") for score, answer in enumerate(AUDIT_C_QUESTIONS[index][2])]


class IntakeAssessment(EnteredInError):
    """The intake on the chart: a draft until submitted; submitted intakes are locked."""

    class Programme(models.TextChoices):
        SERIES = "series", "Series or home programme"
        SINGLE = "single", "Single session (test dose)"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    class Pregnancy(models.TextChoices):
        NOT_APPLICABLE = "not_applicable", "Not applicable"
        NO = "no", "Not pregnant"
        YES = "yes", "Pregnant"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intake_assessments")
    consultation_request = models.ForeignKey(
        ConsultationRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False)
    indication = models.CharField("intended indication", max_length=40, choices=INDICATION_CHOICES, blank=True)
    routes = models.JSONField("intended routes", default=list, blank=True)
    # Psychiatric history
    psychiatric_history = models.TextField(blank=True)
    current_episode_onset = models.DateField("current depressive episode began", null=True, blank=True)
    ptsd = models.BooleanField("PTSD (plan for calming distress during sessions)", default=False)
    # Pain
    pain_diagnosis = models.CharField(max_length=200, blank=True)
    pain_duration_months = models.PositiveSmallIntegerField(
        "pain duration (months)", null=True, blank=True, validators=[MaxValueValidator(1200)]
    )
    # Medical history: condition codes of the eligibility vocabulary (clinical-rules.md §1), plus free text
    condition_codes = models.JSONField(default=list, blank=True)
    medical_history_notes = models.TextField("other medical history", blank=True)
    pregnancy = models.CharField(max_length=16, choices=Pregnancy.choices, blank=True)
    breastfeeding = models.BooleanField(default=False)
    pdmp_checked_on = models.DateField("PDMP checked on", null=True, blank=True)
    pdmp_notes = models.CharField("PDMP findings", max_length=300, blank=True)
    ride_home_name = models.CharField("responsible adult for the ride home", max_length=200, blank=True)
    ride_home_phone = models.CharField("their phone", max_length=30, blank=True, validators=[PHONE])
    # Safety screen (issue 16 item 12): what the alcohol, bladder and liver rules need (clinical-rules.md §2).
    audit_c_frequency = models.PositiveSmallIntegerField(
        "AUDIT-C 1. How often do you have a drink containing alcohol?",
        choices=_audit_c_choices(0),
        null=True,
        blank=True,
    )
    audit_c_typical_quantity = models.PositiveSmallIntegerField(
        "AUDIT-C 2. How many standard drinks containing alcohol do you have on a typical day?",
        choices=_audit_c_choices(1),
        null=True,
        blank=True,
    )
    audit_c_binge_frequency = models.PositiveSmallIntegerField(
        "AUDIT-C 3. How often do you have six or more drinks on one occasion?",
        choices=_audit_c_choices(2),
        null=True,
        blank=True,
    )
    programme = models.CharField("planned treatment", max_length=8, choices=Programme.choices, blank=True)
    liver_tests_on = models.DateField("liver function tests (LFTs) last done on", null=True, blank=True)
    # Vitals and body measurements (bounds are data-entry validation: domain.monitoring, domain.body)
    vitals_at = models.DateTimeField("measured at", null=True, blank=True)
    systolic_mmhg = models.PositiveSmallIntegerField(
        "systolic (mmHg)",
        null=True,
        blank=True,
        validators=[
            MinValueValidator(monitoring.PLAUSIBLE_SYSTOLIC_MMHG[0]),
            MaxValueValidator(monitoring.PLAUSIBLE_SYSTOLIC_MMHG[1]),
        ],
    )
    diastolic_mmhg = models.PositiveSmallIntegerField(
        "diastolic (mmHg)",
        null=True,
        blank=True,
        validators=[
            MinValueValidator(monitoring.PLAUSIBLE_DIASTOLIC_MMHG[0]),
            MaxValueValidator(monitoring.PLAUSIBLE_DIASTOLIC_MMHG[1]),
        ],
    )
    heart_rate_per_min = models.PositiveSmallIntegerField(
        "heart rate (/min)",
        null=True,
        blank=True,
        validators=[
            MinValueValidator(monitoring.PLAUSIBLE_HEART_RATE_PER_MIN[0]),
            MaxValueValidator(monitoring.PLAUSIBLE_HEART_RATE_PER_MIN[1]),
        ],
    )
    spo2_percent = models.PositiveSmallIntegerField(
        "SpO₂ (%)",
        null=True,
        blank=True,
        validators=[
            MinValueValidator(monitoring.PLAUSIBLE_SPO2_PERCENT[0]),
            MaxValueValidator(monitoring.PLAUSIBLE_SPO2_PERCENT[1]),
        ],
    )
    weight_kg = models.DecimalField(
        "weight (kg)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(body.MIN_WEIGHT_KG)), MaxValueValidator(Decimal(body.MAX_WEIGHT_KG))],
    )
    height_cm = models.DecimalField(
        "height (cm)",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(body.MIN_HEIGHT_CM)), MaxValueValidator(Decimal(body.MAX_HEIGHT_CM))],
    )
    measurement = models.ForeignKey(
        BodyMeasurement, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    started_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            # One open draft per patient at a time.
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="draft", entered_in_error=False),
                name="one_intake_draft_per_patient",
            )
        ]

    def __str__(self) -> str:
        return f"Intake {self.pk} ({self.get_status_display()}) for patient {self.patient_id}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_pain(self) -> bool:
        return self.indication in PAIN_INDICATIONS

    @property
    def audit_c_score(self) -> int | None:
        """AUDIT-C total 0–12 (Bush 1998), ``None`` unless all three questions are answered."""
        return audit_c_total([self.audit_c_frequency, self.audit_c_typical_quantity, self.audit_c_binge_frequency])

    @property
    def serial_programme(self) -> bool | None:
        """True for a series or home programme, False for a single session, None when not recorded."""
        return None if not self.programme else self.programme == self.Programme.SERIES

    @property
    def bmi(self) -> Decimal | None:
        if self.weight_kg is None or self.height_cm is None:
            return None
        return body.bmi_kg_per_m2(self.weight_kg, self.height_cm)


class AntidepressantTrial(EnteredInError, Recorded):
    """One antidepressant trial (clinical-rules.md §2: drug, dose, weeks at dose, outcome, episode)."""

    class Outcome(models.TextChoices):
        NO_RESPONSE = "no_response", "No response"
        PARTIAL = "partial_response", "Partial response"
        RESPONSE = "response", "Response"
        NOT_TOLERATED = "not_tolerated", "Stopped: not tolerated"
        ONGOING = "ongoing", "Still taking it"

    assessment = models.ForeignKey(IntakeAssessment, on_delete=models.PROTECT, related_name="trials")
    drug = models.CharField("antidepressant (generic name)", max_length=120)
    dose = models.CharField(max_length=60, help_text="e.g. 150 mg a day")
    weeks_at_dose = models.PositiveSmallIntegerField(
        "weeks at that dose", validators=[MaxValueValidator(treatment_resistance.MAX_PLAUSIBLE_WEEKS)]
    )
    adequate_dose = models.BooleanField("an adequate dose (your clinical judgement)", default=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    current_episode = models.BooleanField("in the current episode", default=True)

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.drug} {self.dose}, {self.weeks_at_dose} weeks ({self.get_outcome_display()})"

    def as_domain(self) -> treatment_resistance.Trial:
        return treatment_resistance.Trial(
            drug=self.drug,
            weeks_at_dose=self.weeks_at_dose,
            adequate_dose=self.adequate_dose,
            outcome=self.outcome,
            current_episode=self.current_episode,
        )


class IntakeMedication(EnteredInError, Recorded):
    """A line of the medication reconciliation: a chart medication confirmed or not, or a new one."""

    assessment = models.ForeignKey(IntakeAssessment, on_delete=models.PROTECT, related_name="medications")
    chart_medication = models.ForeignKey(
        Medication, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    generic_name = models.CharField("generic name", max_length=120)
    dose = models.CharField(max_length=60, help_text="e.g. 100 mg")
    frequency = models.CharField(max_length=60, help_text="e.g. once daily")
    taking = models.BooleanField("currently taking", default=True)

    class Meta:
        ordering = ["generic_name", "pk"]

    def __str__(self) -> str:
        return f"{self.generic_name} {self.dose} {self.frequency}".strip()

    @property
    def drug_classes(self) -> list[str]:
        return sorted(cls.replace("_", " ") for cls in eligibility.drug_classes_of(self.generic_name))

    @property
    def drug_class_labels(self) -> list[str]:
        """The drug classes in a clinician's words (the screens; ``drug_classes`` is what the API carries)."""
        return sorted(eligibility.DRUG_CLASS_LABELS[cls] for cls in eligibility.drug_classes_of(self.generic_name))


class InstrumentResponse(EnteredInError, Recorded):
    """A baseline rating scale entered item by item and scored by ``domain.instruments`` (answers are kept)."""

    assessment = models.ForeignKey(IntakeAssessment, on_delete=models.PROTECT, related_name="responses")
    instrument = models.CharField(max_length=30)
    answers = models.JSONField()
    total = models.FloatField()
    band = models.CharField(max_length=30, blank=True)
    flags = models.JSONField(default=list, blank=True)
    subscales = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["instrument", "-recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "instrument"],
                condition=models.Q(entered_in_error=False),
                name="one_current_response_per_instrument",
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.total:g}" + (f" ({self.band})" if self.band else "")


class EligibilityDecision(EnteredInError):
    """A prescriber's signed eligibility decision (the interface treatment plans are built against).

    ``findings`` is the list of ``{code, level, message, source}`` of ``eligibility.assess`` over ``routes``;
    ``overrides`` the ``{code, reason}`` of every relative finding the prescriber overrode. Signed rows are locked.
    """

    class Outcome(models.TextChoices):
        ELIGIBLE = "eligible", "Eligible"
        ELIGIBLE_WITH_CONDITIONS = "eligible_with_conditions", "Eligible with conditions"
        NOT_ELIGIBLE = "not_eligible", "Not eligible"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="eligibility_decisions")
    assessment = models.ForeignKey(
        IntakeAssessment, on_delete=models.PROTECT, related_name="decisions", null=True, blank=True
    )
    version = models.PositiveIntegerField()
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    indication = models.CharField(max_length=40, choices=INDICATION_CHOICES)
    routes = models.JSONField()
    outcome = models.CharField(max_length=30, choices=Outcome.choices)
    conditions_text = models.TextField(blank=True)
    findings = models.JSONField(default=list)
    overrides = models.JSONField(default=list, blank=True)
    amendment_reason = models.TextField(blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="decision_version_unique_per_patient"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="decision_version_positive"),
            models.CheckConstraint(
                condition=models.Q(outcome__in=["eligible", "eligible_with_conditions", "not_eligible"]),
                name="decision_outcome_known",
            ),
            models.CheckConstraint(
                condition=~models.Q(outcome="eligible_with_conditions") | ~models.Q(conditions_text=""),
                name="decision_conditions_stated",
            ),
        ]

    def __str__(self) -> str:
        return f"Eligibility decision v{self.version} for patient {self.patient_id}: {self.outcome}"

    @property
    def override_reasons(self) -> dict[str, str]:
        return {item["code"]: item["reason"] for item in self.overrides}
