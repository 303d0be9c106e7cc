"""/api/v1/intake: the eligibility review of a submitted intake, and signed decisions (licensed prescribers sign)."""

from ninja import Query, Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.api.pagination import BoundedLimitOffsetPagination
from ketaclinic.api.schemas import ErrorOut
from ketaclinic.audit import services as audit
from ketaclinic.intake import review as reviews
from ketaclinic.intake.api.common import require
from ketaclinic.intake.api.schemas import (
    EligibilityDecisionFields,
    EligibilityDecisionIn,
    EligibilityDecisionOut,
    EligibilityReviewFilter,
    EligibilityReviewOut,
)
from ketaclinic.intake.models import EligibilityDecision, IntakeAssessment
from ketaclinic.intake.queries import current_decision_for, decisions_visible_to, get_decision_for_user
from ketaclinic.intake.services import decisions
from ketaclinic.patients.models import Patient
from ketaclinic.patients.queries import get_patient_for_user

router = Router()
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _submitted_intake(patient: Patient) -> IntakeAssessment:
    intake = IntakeAssessment.objects.filter(patient=patient).filter(status="submitted", entered_in_error=False).first()
    if intake is None:
        raise HttpError(409, "This patient has no submitted intake to review.")
    missing = reviews.missing_for_review(intake)
    if missing:
        raise HttpError(409, " ".join(missing))
    return intake


def _decision(decision: EligibilityDecision, current: EligibilityDecision | None) -> dict[str, object]:
    return {
        **EligibilityDecisionFields.from_orm(decision).dict(),
        "current": current is not None and current.pk == decision.pk,
    }


@router.get(
    "/patients/{patient_id}/eligibility",
    response={200: EligibilityReviewOut, 409: ErrorOut, **ERRORS},
    summary="Run the eligibility rules on the latest submitted intake (every finding, per route)",
)
def review_eligibility(request: AuthedRequest, patient_id: int, filters: Query[EligibilityReviewFilter]):  # type: ignore[no-untyped-def]
    require(request.user, "eligibility.review")
    patient = get_patient_for_user(request.user, patient_id)
    intake = _submitted_intake(patient)
    review = reviews.review(intake, filters.routes or None)
    audit.record(actor=request.user, action="api.eligibility.review", obj=patient, patient_id=patient.pk)
    return {
        "assessment_id": intake.pk,
        "indication": intake.indication,
        "status": review.status,
        "routes": [
            {"route": item.route, "status": item.assessment.status, "findings": list(item.assessment.findings)}
            for item in review.per_route
        ],
        "findings": review.finding_dicts(),
        "failed_adequate_trials": review.resistance.failed_adequate_trials,
    }


@router.get(
    "/patients/{patient_id}/decisions",
    response={200: list[EligibilityDecisionOut], **ERRORS},
    summary="List a patient's eligibility decisions (every version)",
)
@paginate(BoundedLimitOffsetPagination)
def list_decisions(request: AuthedRequest, patient_id: int):  # type: ignore[no-untyped-def]
    require(request.user, "eligibility.review")
    patient = get_patient_for_user(request.user, patient_id)
    audit.record(actor=request.user, action="api.eligibility.list", obj=patient, patient_id=patient.pk)
    current = current_decision_for(patient)
    return [_decision(d, current) for d in decisions_visible_to(request.user).filter(patient=patient)]


@router.post(
    "/patients/{patient_id}/decisions",
    response={201: EligibilityDecisionOut, 400: ErrorOut, 409: ErrorOut, **ERRORS},
    summary="Sign an eligibility decision on the latest submitted intake (licensed prescribers)",
)
def sign_decision(request: AuthedRequest, patient_id: int, payload: EligibilityDecisionIn):  # type: ignore[no-untyped-def]
    require(request.user, "eligibility.sign")
    if not decisions.can_sign(request.user):
        raise HttpError(403, "Signing needs a current prescribing licence (MD/DO, NP or PA).")
    patient = get_patient_for_user(request.user, patient_id)
    intake = _submitted_intake(patient)
    overrides: dict[str, str] = {}
    for item in payload.overrides:
        if item.code in overrides:
            raise HttpError(422, f"overrides: {item.code!r} is given twice.")
        overrides[item.code] = item.reason
    decision = decisions.sign_decision(
        by=request.user,
        assessment=intake,
        routes=payload.routes,
        outcome=payload.outcome,
        conditions_text=payload.conditions_text,
        overrides=overrides,
        amendment_reason=payload.amendment_reason,
    )
    return Status(201, _decision(decision, decision))


@router.get(
    "/decisions/{decision_id}",
    response={200: EligibilityDecisionOut, **ERRORS},
    summary="Read one signed eligibility decision",
)
def read_decision(request: AuthedRequest, decision_id: int):  # type: ignore[no-untyped-def]
    require(request.user, "eligibility.review")
    decision = get_decision_for_user(request.user, decision_id)
    audit.record(actor=request.user, action="api.eligibility.read", obj=decision, patient_id=decision.patient_id)
    return _decision(decision, current_decision_for(decision.patient))
