"""/api/v1/schedule: free slots, appointments list/create/cancel (CONTRACTS.md §6).

Writes take an ``Idempotency-Key``. A booking the rules refuse answers 422 naming each rule (with its source); a slot
taken meanwhile answers 409.
"""

import datetime as dt
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.api.idempotency import IdempotencyKey, idempotent
from ketaclinic.api.pagination import BoundedLimitOffsetPagination
from ketaclinic.api.schemas import BodyIn, ErrorOut, Id, IsoDate, IsoDateTime
from ketaclinic.audit import services as audit
from ketaclinic.domain.scheduling import KINDS, local_day_bounds
from ketaclinic.patients.models import Patient
from ketaclinic.patients.queries import get_patient_for_user, patients_visible_to
from ketaclinic.plans.models import PlanVersion, SessionOrder
from ketaclinic.scheduling import services
from ketaclinic.scheduling.models import Appointment, Chair
from ketaclinic.scheduling.queries import appointments_visible_to, get_appointment_for_user, get_location_for_user
from ketaclinic.scheduling.services import series
from ketaclinic.scheduling.services.slots import free_slots

router = Router()

Kind = Literal[KINDS]  # type: ignore[valid-type]
UNPROCESSABLE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class SlotOut(Schema):
    start: dt.datetime
    end: dt.datetime
    chair_id: int | None
    chair_label: str | None


class SlotFilter(Schema):
    location_id: Id
    kind: Kind
    date_from: IsoDate
    date_to: IsoDate
    patient_id: Id | None = None
    order_id: Id | None = None


class AppointmentOut(Schema):
    id: int
    patient_id: int
    kind: str
    location_id: int
    start: dt.datetime
    end: dt.datetime
    chair_id: int | None
    order_id: int | None
    status: str
    cancel_reason: str = ""

    # An Idempotency-Key replay passes the stored response (a dict with "start"), a fresh answer the model row.
    @staticmethod
    def resolve_start(obj: Appointment | dict[str, Any]) -> Any:
        return obj["start"] if isinstance(obj, dict) else obj.starts_at

    @staticmethod
    def resolve_end(obj: Appointment | dict[str, Any]) -> Any:
        return obj["end"] if isinstance(obj, dict) else obj.ends_at


class AppointmentFilter(Schema):
    location_id: Id
    date: IsoDate


OVERRIDE_DOC = (
    "Why to book past the patient's prior authorisation (its approved sessions, devices or dates), e.g. the renewal "
    "is pending; without it such a booking is refused with 422 naming the authorisation. Audited."
)


class AppointmentIn(BodyIn):
    patient_id: Id
    kind: Kind
    start: IsoDateTime = Field(description="ISO 8601 with an offset, e.g. 2026-12-08T15:00:00Z")
    location_id: Id
    chair_id: Id | None = None
    order_id: Id | None = None
    override_reason: str = Field(default="", max_length=500, description=OVERRIDE_DOC)


class AppointmentCancelIn(BodyIn):
    reason: str = Field(min_length=1, max_length=300, pattern=r"\S")


def _require(user: User, capability: str) -> None:
    if not role_can(user.role, capability):
        raise HttpError(403, f"Your role does not allow this ({capability}).")


def _order_for(user: User, order_id: int | None) -> SessionOrder | None:
    if order_id is None:
        return None
    order = (
        SessionOrder.objects.filter(pk=order_id, plan_version__plan__patient__in=patients_visible_to(user))
        .select_related("plan_version__plan")
        .first()
    )
    if order is None:
        raise ServiceError("No such session order for a patient you can see.", field="order_id")
    return order


def _patient_for(user: User, patient_id: int | None) -> Patient | None:
    return None if patient_id is None else get_patient_for_user(user, patient_id)


@router.get("/slots", response={200: list[SlotOut], **UNPROCESSABLE}, summary="Free slots that satisfy every rule")
def slots(request: AuthedRequest, filters: Query[SlotFilter]) -> list[Any]:
    _require(request.user, "schedule.view")
    location = get_location_for_user(request.user, filters.location_id)
    patient = _patient_for(request.user, filters.patient_id)
    found = free_slots(
        location=location,
        kind=filters.kind,
        date_from=filters.date_from,
        date_to=filters.date_to,
        patient=patient,
        order=_order_for(request.user, filters.order_id),
    )
    return [SlotOut(start=s.start, end=s.end, chair_id=s.chair_id, chair_label=s.chair_label) for s in found]


@router.get(
    "/appointments", response={200: list[AppointmentOut], **UNPROCESSABLE}, summary="One location's appointments"
)
@paginate(BoundedLimitOffsetPagination)
def list_appointments(request: AuthedRequest, filters: Query[AppointmentFilter]) -> QuerySet[Appointment]:
    _require(request.user, "schedule.view")
    location = get_location_for_user(request.user, filters.location_id)
    start, end = local_day_bounds(filters.date, location.clinic.timezone)
    found = appointments_visible_to(request.user).overlapping(start, end).filter(location=location)
    audit.record(
        actor=request.user,
        action="api.schedule.list",
        obj=location,
        detail={"date": filters.date.isoformat(), "patients": sorted({a.patient_id for a in found})},
    )
    return found.order_by("starts_at", "pk")


@router.post(
    "/appointments",
    response={201: AppointmentOut, 400: ErrorOut, 409: ErrorOut, **UNPROCESSABLE},
    summary="Book an appointment (Idempotency-Key required); 409 when the slot is gone, 422 naming the rule",
)
@idempotent(AppointmentOut)
def create_appointment(  # type: ignore[no-untyped-def]
    request: AuthedRequest, payload: AppointmentIn, idempotency_key: IdempotencyKey
):
    _require(request.user, "schedule.book")
    location = get_location_for_user(request.user, payload.location_id)
    patient = get_patient_for_user(request.user, payload.patient_id)
    if payload.start.tzinfo is None:
        raise ServiceError("Give the start with its UTC offset (e.g. Z or -06:00).", field="start")
    chair = None
    if payload.chair_id is not None:
        chair = Chair.objects.filter(pk=payload.chair_id, location__in=request.user.locations.all()).first()
        if chair is None:
            raise ServiceError("No such chair.", field="chair_id")
    try:
        appointment = services.book(
            by=request.user,
            patient=patient,
            kind=payload.kind,
            location=location,
            start=payload.start,
            chair=chair,
            order=_order_for(request.user, payload.order_id),
            override_reason=payload.override_reason,
        )
    except services.BookingRefused as refused:
        if refused.slot_gone:
            raise HttpError(409, refused.message) from None
        return Status(422, {"detail": [_problem(p) for p in refused.problems]})
    return Status(201, appointment)


API_FIELDS = {"chair": "chair_id", "order": "order_id", "patient": "patient_id"}


def _problem(problem: Any) -> dict[str, Any]:
    """One broken rule as a validation error: where (the request field), what, which rule and its source."""
    field = API_FIELDS.get(problem.field or "", problem.field or "start")
    return {"loc": ["body", field], "msg": problem.message, "type": problem.rule, "source": problem.source}


@router.post(
    "/appointments/{appointment_id}/cancel",
    response={200: AppointmentOut, 400: ErrorOut, 409: ErrorOut, **UNPROCESSABLE},
    summary="Cancel a booked appointment with a reason (Idempotency-Key required)",
)
@idempotent(AppointmentOut)
def cancel_appointment(  # type: ignore[no-untyped-def]
    request: AuthedRequest, appointment_id: Id, payload: AppointmentCancelIn, idempotency_key: IdempotencyKey
):
    _require(request.user, "schedule.book")
    appointment = get_appointment_for_user(request.user, appointment_id)
    return Status(200, services.cancel(by=request.user, appointment=appointment, reason=payload.reason))


@router.post(
    "/appointments/{appointment_id}/no-show",
    response={200: AppointmentOut, 400: ErrorOut, 409: ErrorOut, **UNPROCESSABLE},
    summary="Record that the patient did not come, once the appointment has started (Idempotency-Key required)",
)
@idempotent(AppointmentOut)
def no_show_appointment(  # type: ignore[no-untyped-def]
    request: AuthedRequest, appointment_id: Id, payload: AppointmentCancelIn, idempotency_key: IdempotencyKey
):
    _require(request.user, "schedule.book")
    appointment = get_appointment_for_user(request.user, appointment_id)
    return Status(200, services.mark_no_show(by=request.user, appointment=appointment, reason=payload.reason))


HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class SeriesIn(BodyIn):
    plan_version_id: Id
    override_reason: str = Field(default="", max_length=500, description=OVERRIDE_DOC)
    start_date: IsoDate
    preferred_start_times: list[Annotated[str, Field(pattern=HHMM)]] = Field(
        default_factory=list, max_length=8, description='Local times to try, best first, e.g. ["09:00", "13:30"]'
    )


class SeriesOut(Schema):
    appointments: list[AppointmentOut]


@router.post(
    "/series",
    response={201: SeriesOut, 400: ErrorOut, 409: ErrorOut, **UNPROCESSABLE},
    summary="Book every open order of a signed plan version at once (Idempotency-Key required); 422 names what "
    "cannot be placed",
)
@idempotent(SeriesOut)
def book_series(  # type: ignore[no-untyped-def]
    request: AuthedRequest, payload: SeriesIn, idempotency_key: IdempotencyKey
):
    _require(request.user, "schedule.book")
    version = (
        PlanVersion.objects.filter(pk=payload.plan_version_id, plan__patient__in=patients_visible_to(request.user))
        .select_related("plan__patient__location__clinic")
        .first()
    )
    if version is None:
        raise Http404("No such plan version.")
    location = version.plan.patient.location
    times = tuple(dt.time.fromisoformat(value) for value in payload.preferred_start_times)
    try:
        booked = series.book_series(
            by=request.user,
            version=version,
            location=location,
            start_date=payload.start_date,
            preferred_times=times,
            override_reason=payload.override_reason,
        )
    except services.BookingNeedsOverride as refused:  # a prior authorisation the series would go past
        return Status(422, {"detail": [_problem(p) for p in refused.problems]})
    except services.BookingRefused as refused:  # taken between the proposal and the booking
        raise HttpError(409, refused.message) from None
    return Status(201, {"appointments": booked})
