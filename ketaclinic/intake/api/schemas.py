"""Request and response schemas of /api/v1/intake (declared in the OpenAPI document)."""

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

from ketaclinic.api.schemas import BodyIn, Id, IsoDate, IsoDateTime
from ketaclinic.domain import prescreen

# Text fields refuse NUL characters (PostgreSQL cannot store them), declared in the schema so clients see the rule.
NO_NUL = r"^[^\x00]*$"


def _text(max_length: int, min_length: int = 0) -> StringConstraints:
    return StringConstraints(min_length=min_length, max_length=max_length, pattern=NO_NUL)


Name = Annotated[str, _text(100, 1)]
Text30 = Annotated[str, _text(30)]
Text60 = Annotated[str, _text(60)]
Required60 = Annotated[str, _text(60, 1)]
Required120 = Annotated[str, _text(120, 1)]
Text200 = Annotated[str, _text(200)]
Text254 = Annotated[str, _text(254)]
Text300 = Annotated[str, _text(300)]
Note = Annotated[str, _text(2000)]
LongText = Annotated[str, _text(4000)]
Code = Annotated[str, _text(60, 1)]
# The shapes the services accept (patients.models.PHONE; a plain ASCII e-mail address), so clients see them up front.
Phone = Annotated[str, StringConstraints(max_length=30, pattern=r"^$|^\+?[0-9 ()\-.]{7,20}$")]
Email = Annotated[
    str,
    StringConstraints(
        max_length=254,
        pattern=r"^$|^[A-Za-z0-9._%+-]{1,64}@"
        r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}$",
    ),
]
Route = Literal["iv", "im", "intranasal_esketamine", "intranasal", "oral", "sublingual"]
Indication = Literal[
    "treatment_resistant_depression",
    "major_depression",
    "depression_with_suicidal_ideation",
    "crps",
    "fibromyalgia",
    "neuropathic_pain",
    "spinal_cord_injury_pain",
    "cancer_pain",
    "postsurgical_pain",
    "other_chronic_pain",
]
PrescreenKey = Literal[
    "brain_blood_vessels",
    "ketamine_reaction",
    "high_blood_pressure",
    "heart_condition",
    "psychosis",
    "liver_disease",
    "preeclampsia",
]
Scale = Literal["phq9", "gad7", "cssrs_screener", "pain_nrs", "bpi", "peg"]


# --- Consultation requests ------------------------------------------------------------------------------------------


class ConsultationIn(BodyIn):
    location_id: Id
    given_name: Name
    family_name: Name
    date_of_birth: IsoDate
    sex: Literal["female", "male", "unknown"] = "unknown"
    email: Email = ""
    phone: Phone = ""
    preferred_contact_method: Literal["phone", "text", "email"]
    preferred_contact_time: Literal["any", "morning", "afternoon", "evening"] = "any"
    concern: Literal["depression", "pain", "other"]
    pain_type: Literal["", "crps", "fibromyalgia", "neuropathic_pain", "other_chronic_pain"] = ""
    details: Note = ""
    antidepressants_tried: Literal["none", "one", "two_or_more", "unsure"]
    in_psychiatric_care: bool
    in_medical_care: bool
    contraindications: list[PrescreenKey] = Field(default_factory=list, max_length=len(prescreen.QUESTIONS))
    pregnancy: Literal["no", "yes", "unsure"]
    consent_to_contact: Literal[True] = Field(description="Must be true: we only answer with consent to contact.")
    website: Text200 = Field("", description="Leave empty (a trap for robots).")


class ConsultationReceiptOut(Schema):
    reference: str
    message: str


class ConsultationEventOut(Schema):
    at: dt.datetime
    actor_id: int | None
    action: str
    from_status: str
    to_status: str
    note: str


class ConsultationOut(Schema):
    id: int
    reference: str
    location_id: int
    given_name: str
    family_name: str
    date_of_birth: dt.date
    sex: str
    email: str
    phone: str
    preferred_contact_method: str
    preferred_contact_time: str
    concern: str
    pain_type: str
    details: str
    antidepressants_tried: str
    in_psychiatric_care: bool
    in_medical_care: bool
    contraindications: list[str]
    pregnancy: str
    red_flags: list[dict[str, str]]
    needs_clinical_review: bool
    clinical_review_note: str
    clinical_reviewed_at: dt.datetime | None
    status: str
    consultation_at: dt.datetime | None
    decline_reason: str
    patient_id: int | None
    submitted_at: dt.datetime
    version: int


class ConsultationDetailOut(ConsultationOut):
    events: list[ConsultationEventOut]
    possible_duplicate_patient_ids: list[int]
    possible_duplicates_elsewhere: int


class ConsultationFilter(Schema):
    status: Literal["open", "new", "contacted", "booked", "converted", "declined", "all"] = "open"
    needs_review: bool | None = Field(None, description="Only requests with red flags not yet reviewed.")


class ConsultationPatch(BodyIn):
    status: Literal["contacted", "booked", "declined"] | None = None
    note: Note = ""
    consultation_at: IsoDateTime | None = None
    decline_reason: (
        Literal["clinically_unsuitable", "withdrew", "unreachable", "duplicate", "referred", "other", ""] | None
    ) = None
    expected_version: Id | None = Field(None, description="The version you read; a newer one on the server is 409.")


class ConsultationConvertIn(BodyIn):
    location_id: Id
    primary_clinician_id: Id | None = None
    acknowledge_duplicates: bool = False
    expected_version: Id | None = None


class ConsultationConvertedOut(Schema):
    patient_id: int
    mrn: str
    request_id: int


# --- Intake assessment ----------------------------------------------------------------------------------------------


class AntidepressantTrialIn(BodyIn):
    drug: Name
    dose: Required60
    weeks_at_dose: int = Field(ge=0, le=520)
    adequate_dose: bool = True
    outcome: Literal["no_response", "partial_response", "response", "not_tolerated", "ongoing"]
    current_episode: bool = True


class AntidepressantTrialOut(Schema):
    id: int
    drug: str
    dose: str
    weeks_at_dose: int
    adequate_dose: bool
    outcome: str
    current_episode: bool
    entered_in_error: bool


class IntakeMedicationIn(BodyIn):
    generic_name: Required120
    dose: Required60
    frequency: Required60


class IntakeMedicationPatch(BodyIn):
    taking: bool


class IntakeMedicationOut(Schema):
    id: int
    generic_name: str
    dose: str
    frequency: str
    taking: bool
    chart_medication_id: int | None
    drug_classes: list[str]
    entered_in_error: bool


class IntakeScaleIn(BodyIn):
    answers: list[int | bool | None] = Field(
        max_length=30, description="Answers in the published item order (C-SSRS: true/false/null)."
    )


class IntakeScaleOut(Schema):
    id: int
    instrument: str
    answers: list[int | bool | None]
    total: float
    band: str
    flags: list[str]
    subscales: dict[str, float | None]
    recorded_at: dt.datetime


class IntakeAssessmentPatch(BodyIn):
    """Only the fields given change. Null clears a date, a time or a measurement; text, choices and lists are
    cleared with "" or [] and may not be null."""

    indication: Indication | Literal[""] = None  # type: ignore[assignment]
    routes: list[Route] = Field(None, max_length=6)  # type: ignore[arg-type]
    psychiatric_history: LongText = None  # type: ignore[assignment]
    current_episode_onset: IsoDate | None = None
    ptsd: bool = None  # type: ignore[assignment]
    pain_diagnosis: Text200 = None  # type: ignore[assignment]
    pain_duration_months: int | None = Field(None, ge=0, le=1200)
    condition_codes: list[Code] = Field(None, max_length=17)  # type: ignore[arg-type]
    medical_history_notes: LongText = None  # type: ignore[assignment]
    pregnancy: Literal["", "not_applicable", "no", "yes"] = None  # type: ignore[assignment]
    breastfeeding: bool = None  # type: ignore[assignment]
    pdmp_checked_on: IsoDate | None = None
    pdmp_notes: Text300 = None  # type: ignore[assignment]
    ride_home_name: Text200 = None  # type: ignore[assignment]
    ride_home_phone: Text30 = None  # type: ignore[assignment]
    # Safety screen: AUDIT-C items scored 0–4 each (Bush 1998; cut-offs Bradley 2007), the planned programme and
    # the last liver tests — what the alcohol, bladder and liver eligibility rules read.
    audit_c_frequency: int | None = Field(None, ge=0, le=4)
    audit_c_typical_quantity: int | None = Field(None, ge=0, le=4)
    audit_c_binge_frequency: int | None = Field(None, ge=0, le=4)
    programme: Literal["", "series", "single"] = None  # type: ignore[assignment]
    liver_tests_on: IsoDate | None = None
    vitals_at: IsoDateTime | None = None
    systolic_mmhg: int | None = Field(None, ge=0, le=400)
    diastolic_mmhg: int | None = Field(None, ge=0, le=400)
    heart_rate_per_min: int | None = Field(None, ge=0, le=400)
    spo2_percent: int | None = Field(None, ge=0, le=100)
    weight_kg: float | None = Field(None, ge=0, le=1000)
    height_cm: float | None = Field(None, ge=0, le=400)
    expected_version: Id | None = None


class IntakeAssessmentOut(Schema):
    id: int
    patient_id: int
    status: str
    indication: str
    routes: list[str]
    psychiatric_history: str
    current_episode_onset: dt.date | None
    ptsd: bool
    pain_diagnosis: str
    pain_duration_months: int | None
    condition_codes: list[str]
    medical_history_notes: str
    pregnancy: str
    breastfeeding: bool
    pdmp_checked_on: dt.date | None
    pdmp_notes: str
    ride_home_name: str
    ride_home_phone: str
    audit_c_frequency: int | None
    audit_c_typical_quantity: int | None
    audit_c_binge_frequency: int | None
    programme: str
    liver_tests_on: dt.date | None
    vitals_at: dt.datetime | None
    systolic_mmhg: int | None
    diastolic_mmhg: int | None
    heart_rate_per_min: int | None
    spo2_percent: int | None
    weight_kg: float | None
    height_cm: float | None
    started_at: dt.datetime
    submitted_at: dt.datetime | None
    version: int


class IntakeAssessmentDetailOut(IntakeAssessmentOut):
    trials: list[AntidepressantTrialOut]
    medications: list[IntakeMedicationOut]
    scales: list[IntakeScaleOut]
    failed_adequate_trials: int
    treatment_resistant: bool
    missing: dict[str, str]


# --- Eligibility ----------------------------------------------------------------------------------------------------


class EligibilityFindingOut(Schema):
    code: str
    level: str
    message: str
    source: str


class EligibilityRouteOut(Schema):
    route: str
    status: str
    findings: list[EligibilityFindingOut]


class EligibilityReviewOut(Schema):
    assessment_id: int
    indication: str
    status: str
    routes: list[EligibilityRouteOut]
    findings: list[EligibilityFindingOut]
    failed_adequate_trials: int


class EligibilityReviewFilter(Schema):
    routes: list[Route] | None = Field(None, description="Routes to assess (default: the intake's intended routes).")


class EligibilityOverrideIn(BodyIn):
    code: Code
    reason: Note


class EligibilityDecisionIn(BodyIn):
    routes: list[Route] = Field(min_length=1, max_length=6)
    outcome: Literal["eligible", "eligible_with_conditions", "not_eligible"]
    conditions_text: Note = ""
    overrides: list[EligibilityOverrideIn] = Field(default_factory=list, max_length=40)
    amendment_reason: Note = ""


class EligibilityOverrideOut(Schema):
    code: str
    reason: str


class EligibilityDecisionFields(Schema):
    id: int
    patient_id: int
    assessment_id: int | None
    version: int
    supersedes_id: int | None
    indication: str
    routes: list[str]
    outcome: str
    conditions_text: str
    findings: list[EligibilityFindingOut]
    overrides: list[EligibilityOverrideOut]
    amendment_reason: str
    signed_by_id: int
    signed_at: dt.datetime
    entered_in_error: bool


class EligibilityDecisionOut(EligibilityDecisionFields):
    current: bool = Field(description="Whether this is the patient's current decision (not superseded or withdrawn).")
