"""/api/v1/homecare: the pre-dose check-in of a take-home prescription (CONTRACTS §10).

``POST /prescriptions/{id}/check-ins`` answers 201 ``{"cleared", "reasons"}``; an implausible reading or an unknown
symptom answers 422 naming the field and writes nothing. The thresholds are the clinic's (no defaults).
"""

from __future__ import annotations

from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.api.schemas import BodyIn, ErrorOut
from ketaclinic.homecare import services
from ketaclinic.homecare.models import TakeHomePrescription
from ketaclinic.patients.queries import patients_visible_to

router = Router()


class CheckInIn(BodyIn):
    systolic_mmhg: float = Field(description="From the home cuff, mmHg.")
    diastolic_mmhg: float
    heart_rate_per_min: float
    monitor_present: bool
    symptoms: list[str] = Field(
        default_factory=list,
        description="Codes the patient answers yes to: " + ", ".join(services.doses.SYMPTOMS),
    )


class CheckInOut(Schema):
    id: int
    cleared: bool
    reasons: list[str]


@router.post(
    "/prescriptions/{prescription_id}/check-ins",
    response={201: CheckInOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Record a pre-dose check-in and answer whether the home dose is released",
)
def create_check_in(request: AuthedRequest, prescription_id: int, payload: CheckInIn):  # type: ignore[no-untyped-def]
    if not role_can(request.user.role, "clinical.record"):
        raise HttpError(403, "Your role does not allow this (clinical.record).")
    prescription = TakeHomePrescription.objects.filter(
        pk=prescription_id, programme__patient__in=patients_visible_to(request.user)
    ).first()
    if prescription is None:
        raise HttpError(404, "Not found.")
    row, decision = services.check_in(
        by=request.user,
        prescription=prescription,
        systolic_mmhg=payload.systolic_mmhg,
        diastolic_mmhg=payload.diastolic_mmhg,
        heart_rate_per_min=payload.heart_rate_per_min,
        monitor_present=payload.monitor_present,
        symptoms=payload.symptoms,
    )
    return Status(201, CheckInOut(id=row.pk, cleared=decision.cleared, reasons=list(decision.reasons)))
