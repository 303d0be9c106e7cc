"""/api/v1/outcomes: the outcome series (every scored outcome scale of a patient) and each patient's course summary.

Clinical roles only (``outcomes.view``); patients at the caller's locations only (another location's patient is 404,
never 403). Every read of patient data is audited. Measurements marked entered in error are not listed.
"""

import datetime as dt
from typing import Literal

from django.db.models import QuerySet
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.api.pagination import BoundedLimitOffsetPagination
from ketaclinic.api.schemas import ErrorOut, Id
from ketaclinic.audit import services as audit
from ketaclinic.outcomes.models import Measurement, OutcomeCourse
from ketaclinic.patients.queries import get_patient_for_user, patients_visible_to

router = Router()

READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
Answer = bool | int | float | str | None


class MeasurementOut(Schema):
    id: int
    patient_id: int
    instrument: str
    total: float
    band: str
    flags: list[str]
    subscales: dict[str, float | None]
    answers: list[Answer] = Field(description="The item answers in the published item order.")
    taken_at: dt.datetime
    context: str = Field(description="baseline (intake), pre_session (at the chair) or home (questionnaire link).")
    sessions_given: int = Field(description="Treatment sessions the patient had started before this score.")
    source_type: str
    source_id: int
    recorded_by_id: int | None = Field(description="Empty when the patient answered from home.")
    recorded_at: dt.datetime


class MeasurementFilter(Schema):
    patient_id: Id | None = Field(None, description="Only this patient's scores (404 if you may not see them).")
    instrument: str | None = Field(None, max_length=30, description="An instrument id, e.g. phq9, gad7, pain_nrs.")
    context: Literal["baseline", "pre_session", "home"] | None = None


class OutcomeCourseOut(Schema):
    patient_id: int
    instrument: str
    location_id: int
    indication: str = Field(description="From the patient's latest signed plan (blank without one).")
    route: str
    protocol_id: str
    baseline_total: float | None
    baseline_at: dt.datetime | None
    latest_total: float | None
    latest_at: dt.datetime | None
    measurements: int
    follow_ups: int = Field(description="Scores after the baseline.")
    sessions_given: int
    reduction_pct: float | None = Field(description="Latest reduction from baseline, percent (clinical-rules.md §5).")
    response: bool
    partial_response: bool
    remission: bool | None = Field(description="Empty for scales without a remission threshold (pain).")
    ever_response: bool
    relapse: bool
    pain_moderate_improvement: bool = Field(description="≥ 30 % reduction (IMMPACT).")
    pain_substantial_improvement: bool = Field(description="≥ 50 % reduction (IMMPACT).")
    evaluable: bool = Field(description="A baseline and at least one later score.")
    updated_at: dt.datetime


def _require(request: AuthedRequest) -> None:
    if not role_can(request.user.role, "outcomes.view"):
        raise HttpError(403, "Your role does not allow this (outcomes.view).")


@router.get(
    "/measurements",
    response={200: list[MeasurementOut], **READ_ERRORS},
    summary="Outcome scores of the patients at your locations",
)
@paginate(BoundedLimitOffsetPagination)
def list_measurements(request: AuthedRequest, filters: Query[MeasurementFilter]) -> QuerySet[Measurement]:
    _require(request)
    rows = Measurement.objects.filter(entered_in_error=False)
    if filters.patient_id is not None:
        rows = rows.filter(patient=get_patient_for_user(request.user, filters.patient_id))
    else:
        rows = rows.filter(patient__in=patients_visible_to(request.user))
    if filters.instrument:
        rows = rows.filter(instrument=filters.instrument)
    if filters.context:
        rows = rows.filter(context=filters.context)
    audit.record(
        actor=request.user,
        action="api.measurement.list",
        patient_id=filters.patient_id,
        detail={"instrument": filters.instrument or "", "context": filters.context or ""},
    )
    return rows.order_by("patient_id", "taken_at", "pk")


@router.get(
    "/patients/{patient_id}/courses",
    response={200: list[OutcomeCourseOut], **READ_ERRORS},
    summary="Where one patient stands on each outcome scale (response, remission, relapse)",
)
@paginate(BoundedLimitOffsetPagination)
def list_courses(request: AuthedRequest, patient_id: int) -> QuerySet[OutcomeCourse]:
    _require(request)
    patient = get_patient_for_user(request.user, patient_id)
    audit.record(actor=request.user, action="api.outcome_course.list", obj=patient, patient_id=patient.pk)
    return OutcomeCourse.objects.filter(patient=patient).order_by("instrument")
