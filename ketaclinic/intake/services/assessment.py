"""The intake assessment: a draft on the chart, edited section by section, then submitted and locked.

Rating scales are entered item by item and scored by ``domain.instruments``; a suicidality flag (PHQ-9 item 9 ≥ 1, or
a C-SSRS screener above negative) raises a safety alert to the patient's primary clinician at once, draft or not
(instruments.md § phq9, § cssrs_screener). Submitting writes what belongs on the chart through the patients services:
the body measurement, the conditions ticked from the eligibility vocabulary, and the new medications still taken.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.audit import services as audit
from ketaclinic.domain import eligibility, instruments, treatment_resistance
from ketaclinic.intake.models import (
    AntidepressantTrial,
    ConsultationRequest,
    InstrumentResponse,
    IntakeAssessment,
    IntakeMedication,
)
from ketaclinic.intake.services.common import require, require_location
from ketaclinic.locking import lock
from ketaclinic.outcomes import services as outcomes
from ketaclinic.outcomes.services import safety
from ketaclinic.outcomes.services.measurements import COURSE_INSTRUMENTS
from ketaclinic.patients import services as patients
from ketaclinic.patients.models import Patient

ASSESSMENT_FIELDS = (
    "indication",
    "routes",
    "psychiatric_history",
    "current_episode_onset",
    "ptsd",
    "pain_diagnosis",
    "pain_duration_months",
    "condition_codes",
    "medical_history_notes",
    "pregnancy",
    "breastfeeding",
    "pdmp_checked_on",
    "pdmp_notes",
    "ride_home_name",
    "ride_home_phone",
    "audit_c_frequency",
    "audit_c_typical_quantity",
    "audit_c_binge_frequency",
    "programme",
    "liver_tests_on",
    "vitals_at",
    "systolic_mmhg",
    "diastolic_mmhg",
    "heart_rate_per_min",
    "spo2_percent",
    "weight_kg",
    "height_cm",
)
# Baseline scales (issue 5): PHQ-9, GAD-7 and the C-SSRS screener for everyone; a pain score for pain indications.
INTAKE_INSTRUMENTS = ("phq9", "gad7", "cssrs_screener", "pain_nrs", "bpi", "peg")
BASELINE_REQUIRED = ("phq9", "gad7", "cssrs_screener")
PAIN_SCORES = ("pain_nrs", "bpi", "peg")
TEXT_MAX_CHARS = 4000


class IntakeLocked(ServiceError):
    """The intake was submitted: it cannot change any more."""


def _require_draft(assessment: IntakeAssessment) -> None:
    if not assessment.is_draft or assessment.entered_in_error:
        raise IntakeLocked("This intake was submitted and is locked; start a new intake to record changes.")


def _touch(assessment: IntakeAssessment) -> None:
    IntakeAssessment.objects.filter(pk=assessment.pk).update(updated_at=timezone.now(), version=models.F("version") + 1)


def current_draft(patient: Patient) -> IntakeAssessment | None:
    return IntakeAssessment.objects.filter(patient=patient).filter(status="draft", entered_in_error=False).first()


@transaction.atomic
def start_assessment(*, by: User, patient: Patient) -> IntakeAssessment:
    """Open a draft, pre-filled from the chart (conditions mapped to the vocabulary, current medications, the last
    weight and height) and linked to the consultation request the patient came from."""
    require(by, "intake.record")
    require_location(by, patient.location)
    lock(Patient).filter(pk=patient.pk).first()  # one draft at a time, also on PostgreSQL
    if current_draft(patient) is not None:
        raise ValidationError({"__all__": "This patient already has an intake in progress: continue that one."})
    conditions = patient.conditions.filter(entered_in_error=False).exclude(status="resolved")
    latest = patient.measurements.filter(entered_in_error=False).first()
    assessment = IntakeAssessment.objects.create(
        patient=patient,
        started_by=by,
        consultation_request=ConsultationRequest.objects.filter(patient=patient).order_by("-submitted_at").first(),
        condition_codes=sorted({code for code in conditions.values_list("rule_code", flat=True) if code}),
        weight_kg=latest.weight_kg if latest else None,
        height_cm=latest.height_cm if latest else None,
        pregnancy=IntakeAssessment.Pregnancy.NOT_APPLICABLE if patient.sex == "male" else "",
    )
    for medication in patient.medications.filter(entered_in_error=False, stopped_on__isnull=True):
        IntakeMedication.objects.create(
            assessment=assessment,
            chart_medication=medication,
            generic_name=medication.generic_name,
            dose=medication.dose,
            frequency=medication.frequency,
            recorded_by=by,
        )
    audit.record(actor=by, action="intake.start", obj=assessment, patient_id=patient.pk)
    return assessment


def _clean_codes(field: str, values: object, vocabulary: Sequence[str]) -> list[str]:
    if not isinstance(values, list | tuple) or any(not isinstance(value, str) for value in values):
        raise ValidationError({field: "Give a list of codes."})
    unknown = sorted(set(values) - set(vocabulary))
    if unknown:
        raise ValidationError({field: f"Unknown code(s): {', '.join(unknown)}."})
    return [code for code in vocabulary if code in values]  # vocabulary order, no repeats


def _validate_assessment(assessment: IntakeAssessment) -> None:
    errors: dict[str, list[str]] = {}
    for name in ("psychiatric_history", "medical_history_notes"):
        if len(getattr(assessment, name)) > TEXT_MAX_CHARS:
            errors[name] = [f"Keep this under {TEXT_MAX_CHARS} characters."]
    now = timezone.now()
    if assessment.vitals_at and assessment.vitals_at > now:
        errors["vitals_at"] = ["The measurement time is in the future."]
    today = timezone.localdate()
    for name in ("current_episode_onset", "pdmp_checked_on", "liver_tests_on"):
        value = getattr(assessment, name)
        if isinstance(value, dt.date) and value > today:
            errors[name] = ["This date is in the future."]
    systolic, diastolic = assessment.systolic_mmhg, assessment.diastolic_mmhg
    if (systolic is None) != (diastolic is None):
        errors["diastolic_mmhg" if diastolic is None else "systolic_mmhg"] = ["Give both blood-pressure values."]
    elif systolic is not None and diastolic is not None and diastolic >= systolic:
        errors["diastolic_mmhg"] = ["The diastolic pressure must be below the systolic."]
    if (assessment.weight_kg is None) != (assessment.height_cm is None):
        errors["height_cm" if assessment.height_cm is None else "weight_kg"] = ["Give both weight and height."]
    if assessment.patient.sex == "male" and assessment.pregnancy not in ("", "not_applicable"):
        errors["pregnancy"] = ["The chart records the patient as male."]
    try:
        assessment.full_clean(exclude=["patient", "started_by", "routes", "condition_codes"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def update_assessment(
    *, by: User, assessment: IntakeAssessment, changes: Mapping[str, Any], expected_version: int | None = None
) -> IntakeAssessment:
    """Change draft fields (any of ``ASSESSMENT_FIELDS``); refuses a save over someone else's newer edit."""
    require(by, "intake.record")
    require_location(by, assessment.patient.location)
    locked = lock(IntakeAssessment).select_related("patient").get(pk=assessment.pk)
    _require_draft(locked)
    if expected_version is not None and locked.version != expected_version:
        raise ValidationError({"__all__": "Someone else changed this intake while you were editing; reload it."})
    unknown = set(changes) - set(ASSESSMENT_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed here."))
    values = dict(changes)
    if "routes" in values:
        values["routes"] = _clean_codes("routes", values["routes"], eligibility.ROUTES)
    if "condition_codes" in values:
        values["condition_codes"] = _clean_codes("condition_codes", values["condition_codes"], eligibility.CONDITIONS)
    for name in ("psychiatric_history", "pain_diagnosis", "medical_history_notes", "pdmp_notes", "ride_home_name"):
        if isinstance(values.get(name), str):
            values[name] = values[name].strip()
    changed = [name for name, value in values.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, values[name])
    if not changed:
        return locked
    _validate_assessment(locked)
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save()
    audit.record(
        actor=by,
        action="intake.update",
        obj=locked,
        patient_id=locked.patient_id,
        detail={"fields": sorted(changed)},
    )
    return locked


@transaction.atomic
def add_trial(*, by: User, assessment: IntakeAssessment, **values: Any) -> AntidepressantTrial:
    require(by, "intake.record")
    require_location(by, assessment.patient.location)
    _require_draft(assessment)
    if isinstance(values.get("drug"), str):
        values["drug"] = values["drug"].strip().lower()
    trial = AntidepressantTrial(assessment=assessment, recorded_by=by, **values)
    try:
        trial.full_clean(exclude=["assessment", "recorded_by"])
        trial.as_domain()
    except treatment_resistance.InvalidTrial as exc:
        raise ValidationError({exc.field: str(exc).split(": ", 1)[1]}) from None
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    trial.save(force_insert=True)
    _touch(assessment)
    audit.record(actor=by, action="intake.trial.add", obj=trial, patient_id=assessment.patient_id)
    return trial


@transaction.atomic
def add_medication(
    *, by: User, assessment: IntakeAssessment, generic_name: str, dose: str = "", frequency: str = ""
) -> IntakeMedication:
    """A medication the chart does not list yet; it goes on the chart when the intake is submitted."""
    require(by, "intake.record")
    require_location(by, assessment.patient.location)
    _require_draft(assessment)
    line = IntakeMedication(
        assessment=assessment,
        generic_name=generic_name.strip().lower(),
        dose=dose.strip(),
        frequency=frequency.strip(),
        recorded_by=by,
    )
    try:
        line.full_clean(exclude=["assessment", "recorded_by"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    line.save(force_insert=True)
    _touch(assessment)
    audit.record(actor=by, action="intake.medication.add", obj=line, patient_id=assessment.patient_id)
    return line


@transaction.atomic
def set_medication_taking(*, by: User, line: IntakeMedication, taking: bool) -> IntakeMedication:
    """Reconciliation: confirm the patient takes a medication, or record that they no longer do."""
    require(by, "intake.record")
    require_location(by, line.assessment.patient.location)
    _require_draft(line.assessment)
    if line.taking != taking:
        IntakeMedication.objects.filter(pk=line.pk).update(taking=taking)
        line.taking = taking
        _touch(line.assessment)
        audit.record(
            actor=by,
            action="intake.medication.reconcile",
            obj=line,
            patient_id=line.assessment.patient_id,
            detail={"taking": taking},
        )
    return line


LINE_KINDS: dict[str, type[AntidepressantTrial] | type[IntakeMedication]] = {
    "trial": AntidepressantTrial,
    "medication": IntakeMedication,
}


@transaction.atomic
def mark_line_entered_in_error(*, by: User, row: AntidepressantTrial | IntakeMedication, reason: str) -> None:
    """Withdraw a wrong trial or medication line of a draft: kept, struck through, with who, when and why."""
    require(by, "intake.record")
    require_location(by, row.assessment.patient.location)
    _require_draft(row.assessment)
    if not reason.strip():
        raise ValidationError({"reason": "Say why this entry is wrong."})
    if row.entered_in_error:
        raise ValidationError({"__all__": "This entry is already marked entered in error."})
    type(row).objects.filter(pk=row.pk).update(
        entered_in_error=True,
        entered_in_error_reason=reason.strip(),
        entered_in_error_by=by,
        entered_in_error_at=timezone.now(),
    )
    _touch(row.assessment)
    audit.record(
        actor=by,
        action="intake.entered_in_error",
        obj=row,
        patient_id=row.assessment.patient_id,
        detail={"reason": reason.strip()},
    )


def _safety_alert(by: User, response: InstrumentResponse, score: instruments.Score) -> None:
    """instruments.md: PHQ-9 item 9 ≥ 1 starts the safety workflow; a C-SSRS screen above negative gets the Columbia
    triage action. One open alert per instrument of an intake: re-entering the scale does not stack alerts."""
    siblings = response.assessment.responses.filter(instrument=response.instrument).values_list("pk", flat=True)
    safety.raise_for_screen(
        by=by,
        patient=response.assessment.patient,
        score=score,
        source=response,
        where="at intake",
        sibling_source_ids=list(siblings),
    )


@transaction.atomic
def record_instrument(
    *, by: User, assessment: IntakeAssessment, instrument: str, answers: Sequence[object]
) -> InstrumentResponse:
    """Score a baseline scale and keep its answers; entering it again replaces the earlier entry (kept, marked
    entered in error). A suicidality flag raises a safety alert in the same transaction."""
    require(by, "intake.record")
    require_location(by, assessment.patient.location)
    _require_draft(assessment)
    if instrument not in INTAKE_INSTRUMENTS:
        raise ValidationError({"instrument": f"{instrument!r} is not an intake scale."})
    try:
        score = instruments.score(instrument, list(answers))
    except instruments.InvalidAnswers as exc:
        errors: dict[str, list[str]] = {}
        for problem in exc.problems:
            key = f"item_{problem.item.number}" if problem.item else "answers"
            errors.setdefault(key, []).append(str(problem))
        raise ValidationError(errors) from None
    previous = assessment.responses.filter(instrument=instrument, entered_in_error=False)
    replaced = list(previous)
    previous.update(
        entered_in_error=True,
        entered_in_error_reason="Re-entered",
        entered_in_error_by=by,
        entered_in_error_at=timezone.now(),
    )
    for earlier in replaced:  # its copy in the outcome series goes too (issue 8)
        outcomes.withdraw_measurements_of(by=by, source=earlier, reason="Re-entered")
    response = InstrumentResponse.objects.create(
        assessment=assessment,
        instrument=instrument,
        answers=list(score.answers),
        total=float(score.total),
        band=score.band or "",
        flags=sorted(score.flags),
        subscales=dict(score.subscales),
        recorded_by=by,
    )
    _touch(assessment)
    audit.record(
        actor=by,
        action="intake.instrument",
        obj=response,
        patient_id=assessment.patient_id,
        detail={"instrument": instrument, "total": float(score.total), "flags": sorted(score.flags)},
    )
    _safety_alert(by, response, score)
    if instrument in COURSE_INSTRUMENTS:  # the baseline of the patient's outcome series (issue 8)
        outcomes.record_measurement(by=by, patient=assessment.patient, score=score, context="baseline", source=response)
    return response


def missing_for_submission(assessment: IntakeAssessment) -> dict[str, str]:
    """Every section still incomplete, as {section: what is missing} (collected, not stopped at the first)."""
    missing: dict[str, str] = {}
    if not assessment.indication:
        missing["indication"] = "Choose the intended indication."
    if not assessment.routes:
        missing["routes"] = "Choose at least one intended route."
    if assessment.systolic_mmhg is None or assessment.diastolic_mmhg is None:
        missing["vitals"] = "Record the blood pressure."
    if assessment.weight_kg is None or assessment.height_cm is None:
        missing["body"] = "Record weight and height."
    if not assessment.pregnancy:
        missing["pregnancy"] = "Record whether the patient is pregnant."
    done = set(assessment.responses.filter(entered_in_error=False).values_list("instrument", flat=True))
    for instrument in BASELINE_REQUIRED:
        if instrument not in done:
            missing[instrument] = f"Enter the baseline {instruments.get(instrument).name}."
    if assessment.is_pain and not done & set(PAIN_SCORES):
        missing["pain_score"] = "Enter a baseline pain score (NRS, BPI or PEG)."
    return missing


@transaction.atomic
def submit_assessment(*, by: User, assessment: IntakeAssessment) -> IntakeAssessment:
    """Lock the intake and write to the chart what belongs there (measurement, conditions, new medications)."""
    require(by, "intake.record")
    require_location(by, assessment.patient.location)
    locked = lock(IntakeAssessment).select_related("patient").get(pk=assessment.pk)
    _require_draft(locked)
    missing = missing_for_submission(locked)
    if missing:
        raise ValidationError(missing)
    patient = locked.patient
    now = timezone.now()
    locked.measurement = patients.record_measurement(
        by=by,
        patient=patient,
        weight_kg=locked.weight_kg,
        height_cm=locked.height_cm,
        measured_at=locked.vitals_at or now,
    )
    on_chart = set(
        patient.conditions.filter(entered_in_error=False).exclude(status="resolved").values_list("rule_code", flat=True)
    )
    for code in locked.condition_codes:
        if code not in on_chart:
            patients.add_condition(
                by=by,
                patient=patient,
                description=eligibility.label(code) + " (intake)",
                rule_code=code,
                status="active",
            )
    for line in locked.medications.filter(entered_in_error=False, taking=True, chart_medication__isnull=True):
        patients.add_medication(
            by=by, patient=patient, generic_name=line.generic_name, dose=line.dose, frequency=line.frequency
        )
    locked.status = IntakeAssessment.Status.SUBMITTED
    locked.submitted_by = by
    locked.submitted_at = now
    locked.version += 1
    locked.updated_at = now
    locked.save()
    audit.record(actor=by, action="intake.submit", obj=locked, patient_id=patient.pk)
    return locked
