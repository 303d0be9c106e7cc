"""/api/v1/intake: the intake assessment (draft, sections, scales, submission) for nurses and prescribers."""

from decimal import Decimal

from ninja import Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from ketaclinic.accounts.models import User
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.api.pagination import BoundedLimitOffsetPagination
from ketaclinic.api.schemas import ErrorOut
from ketaclinic.audit import services as audit
from ketaclinic.intake.api.common import aware, require
from ketaclinic.intake.api.schemas import (
    AntidepressantTrialIn,
    AntidepressantTrialOut,
    IntakeAssessmentDetailOut,
    IntakeAssessmentOut,
    IntakeAssessmentPatch,
    IntakeMedicationIn,
    IntakeMedicationOut,
    IntakeMedicationPatch,
    IntakeScaleIn,
    IntakeScaleOut,
    Scale,
)
from ketaclinic.intake.models import IntakeAssessment
from ketaclinic.intake.queries import assessments_visible_to, get_assessment_for_user
from ketaclinic.intake.review import resistance_of
from ketaclinic.intake.services import assessment as services
from ketaclinic.patients.queries import get_patient_for_user

router = Router()
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = {**ERRORS, 400: ErrorOut, 409: ErrorOut}


def _draft(user: User, assessment_id: int) -> IntakeAssessment:
    require(user, "intake.record")
    item = get_assessment_for_user(user, assessment_id)
    if not item.is_draft:
        raise HttpError(409, "This intake was submitted and is locked.")
    return item


def _medication(line: object) -> dict[str, object]:
    return {**IntakeMedicationOut.from_orm(line).dict(exclude={"drug_classes"}), "drug_classes": line.drug_classes}  # type: ignore[attr-defined]


def _detail(item: IntakeAssessment) -> dict[str, object]:
    resistance = resistance_of(item)
    return {
        **IntakeAssessmentOut.from_orm(item).dict(),
        "trials": list(item.trials.all()),
        "medications": [_medication(line) for line in item.medications.all()],
        "scales": list(item.responses.filter(entered_in_error=False)),
        "failed_adequate_trials": resistance.failed_adequate_trials,
        "treatment_resistant": resistance.treatment_resistant,
        "missing": services.missing_for_submission(item) if item.is_draft else {},
    }


@router.get(
    "/patients/{patient_id}/assessments",
    response={200: list[IntakeAssessmentOut], **ERRORS},
    summary="List a patient's intake assessments",
)
@paginate(BoundedLimitOffsetPagination)
def list_assessments(request: AuthedRequest, patient_id: int):  # type: ignore[no-untyped-def]
    require(request.user, "intake.record")
    patient = get_patient_for_user(request.user, patient_id)
    audit.record(actor=request.user, action="api.intake.list", obj=patient, patient_id=patient.pk)
    return assessments_visible_to(request.user).filter(patient=patient, entered_in_error=False).order_by("-started_at")


@router.post(
    "/patients/{patient_id}/assessments",
    response={201: IntakeAssessmentDetailOut, **WRITE_ERRORS},
    summary="Start an intake assessment (a draft pre-filled from the chart)",
)
def start_assessment(request: AuthedRequest, patient_id: int):  # type: ignore[no-untyped-def]
    require(request.user, "intake.record")
    patient = get_patient_for_user(request.user, patient_id)
    if services.current_draft(patient) is not None:
        raise HttpError(409, "This patient already has an intake in progress.")
    return Status(201, _detail(services.start_assessment(by=request.user, patient=patient)))


@router.get(
    "/assessments/{assessment_id}",
    response={200: IntakeAssessmentDetailOut, **ERRORS},
    summary="Read an intake assessment with its trials, medications and scales",
)
def read_assessment(request: AuthedRequest, assessment_id: int):  # type: ignore[no-untyped-def]
    require(request.user, "intake.record")
    item = get_assessment_for_user(request.user, assessment_id)
    audit.record(actor=request.user, action="api.intake.read", obj=item, patient_id=item.patient_id)
    return _detail(item)


@router.patch(
    "/assessments/{assessment_id}",
    response={200: IntakeAssessmentDetailOut, **WRITE_ERRORS},
    summary="Change fields of a draft intake",
)
def update_assessment(request: AuthedRequest, assessment_id: int, payload: IntakeAssessmentPatch):  # type: ignore[no-untyped-def]
    item = _draft(request.user, assessment_id)
    if payload.expected_version is not None and payload.expected_version != item.version:
        raise HttpError(409, "This intake was changed since you read it (version mismatch); read it again.")
    changes = payload.model_dump(exclude_unset=True, exclude={"expected_version"})
    for name in ("weight_kg", "height_cm"):
        if changes.get(name) is not None:
            changes[name] = Decimal(str(changes[name]))
    if "vitals_at" in changes:
        changes["vitals_at"] = aware(changes["vitals_at"])
    item = services.update_assessment(by=request.user, assessment=item, changes=changes)
    return _detail(item)


@router.post(
    "/assessments/{assessment_id}/trials",
    response={201: AntidepressantTrialOut, **WRITE_ERRORS},
    summary="Add an antidepressant trial to a draft intake",
)
def add_trial(request: AuthedRequest, assessment_id: int, payload: AntidepressantTrialIn):  # type: ignore[no-untyped-def]
    item = _draft(request.user, assessment_id)
    return Status(201, services.add_trial(by=request.user, assessment=item, **payload.model_dump()))


@router.post(
    "/assessments/{assessment_id}/medications",
    response={201: IntakeMedicationOut, **WRITE_ERRORS},
    summary="Add a medication the chart does not list (medication reconciliation)",
)
def add_medication(request: AuthedRequest, assessment_id: int, payload: IntakeMedicationIn):  # type: ignore[no-untyped-def]
    item = _draft(request.user, assessment_id)
    line = services.add_medication(by=request.user, assessment=item, **payload.model_dump())
    return Status(201, _medication(line))


@router.patch(
    "/assessments/{assessment_id}/medications/{line_id}",
    response={200: IntakeMedicationOut, **WRITE_ERRORS},
    summary="Reconcile a medication: the patient takes it, or no longer does",
)
def reconcile_medication(  # type: ignore[no-untyped-def]
    request: AuthedRequest, assessment_id: int, line_id: int, payload: IntakeMedicationPatch
):
    item = _draft(request.user, assessment_id)
    line = item.medications.filter(pk=line_id, entered_in_error=False).first()
    if line is None:
        raise HttpError(404, "Not found.")
    return _medication(services.set_medication_taking(by=request.user, line=line, taking=payload.taking))


@router.put(
    "/assessments/{assessment_id}/scales/{instrument}",
    response={200: IntakeScaleOut, **WRITE_ERRORS},
    summary="Enter a baseline rating scale item by item (scored by the domain; a suicidality flag raises an alert)",
)
def record_scale(request: AuthedRequest, assessment_id: int, instrument: Scale, payload: IntakeScaleIn):  # type: ignore[no-untyped-def]
    item = _draft(request.user, assessment_id)
    return services.record_instrument(by=request.user, assessment=item, instrument=instrument, answers=payload.answers)


@router.post(
    "/assessments/{assessment_id}/submit",
    response={200: IntakeAssessmentDetailOut, **WRITE_ERRORS},
    summary="Submit (lock) a complete intake; 422 names every missing section",
)
def submit_assessment(request: AuthedRequest, assessment_id: int):  # type: ignore[no-untyped-def]
    item = _draft(request.user, assessment_id)
    return _detail(services.submit_assessment(by=request.user, assessment=item))
