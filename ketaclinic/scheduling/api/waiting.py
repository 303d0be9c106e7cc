"""/api/v1/schedule/waiting-list: a location's waiting list, adding and withdrawing (CONTRACTS.md §6 extended).

Writes take an ``Idempotency-Key``; a refused input answers 422 naming the field, like the rest of the calendar API.
"""

import datetime as dt
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.api.idempotency import IdempotencyKey, idempotent
from ketaclinic.api.pagination import BoundedLimitOffsetPagination
from ketaclinic.api.schemas import BodyIn, ErrorOut, Id, IsoDate
from ketaclinic.audit import services as audit
from ketaclinic.domain.scheduling import KINDS
from ketaclinic.patients.queries import get_patient_for_user, patients_visible_to
from ketaclinic.plans.models import PlanVersion
from ketaclinic.scheduling.models import WaitingListEntry
from ketaclinic.scheduling.queries import get_location_for_user, get_waiting_entry_for_user, waiting_entries_visible_to
from ketaclinic.scheduling.services import waiting as service

router = Router()

Kind = Literal[KINDS]  # type: ignore[valid-type]
UNPROCESSABLE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class WaitingFilter(Schema):
    location_id: Id


class WaitingOut(Schema):
    id: int
    location_id: int
    patient_id: int
    kind: str
    plan_version_id: int | None
    earliest_date: dt.date
    latest_date: dt.date
    preferred_weekdays: list[int]
    not_before: str | None
    not_after: str | None
    note: str
    status: str
    appointment_id: int | None
    withdraw_reason: str
    created_at: dt.datetime

    # An Idempotency-Key replay passes the stored response (a dict), a fresh answer the model row.
    @staticmethod
    def resolve_preferred_weekdays(obj: WaitingListEntry | dict[str, Any]) -> Any:
        return obj["preferred_weekdays"] if isinstance(obj, dict) else sorted(obj.weekdays)

    @staticmethod
    def resolve_not_before(obj: WaitingListEntry | dict[str, Any]) -> Any:
        if isinstance(obj, dict):
            return obj["not_before"]
        return f"{obj.not_before:%H:%M}" if obj.not_before else None

    @staticmethod
    def resolve_not_after(obj: WaitingListEntry | dict[str, Any]) -> Any:
        if isinstance(obj, dict):
            return obj["not_after"]
        return f"{obj.not_after:%H:%M}" if obj.not_after else None


class WaitingIn(BodyIn):
    location_id: Id
    patient_id: Id
    kind: Kind
    plan_version_id: Id | None = Field(None, description="Needed for IV, IM and esketamine: the signed plan")
    earliest_date: IsoDate
    latest_date: IsoDate
    preferred_weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=list, max_length=7, description="Monday = 0 … Sunday = 6; empty = any day"
    )
    not_before: Annotated[str, Field(pattern=HHMM)] | None = Field(None, description="Local time, HH:MM")
    not_after: Annotated[str, Field(pattern=HHMM)] | None = Field(None, description="Local time the visit is over by")
    note: str = Field("", max_length=300, pattern=r"^[^\x00]*$")


class WithdrawIn(BodyIn):
    reason: str = Field(min_length=1, max_length=300, pattern=r"\S")


def _require(request: AuthedRequest, capability: str) -> None:
    if not role_can(request.user.role, capability):
        raise HttpError(403, f"Your role does not allow this ({capability}).")


@router.get(
    "/waiting-list",
    response={200: list[WaitingOut], **UNPROCESSABLE},
    summary="A location's waiting list, in order of joining",
)
@paginate(BoundedLimitOffsetPagination)
def list_waiting(request: AuthedRequest, filters: Query[WaitingFilter]) -> QuerySet[WaitingListEntry]:
    _require(request, "schedule.view")
    location = get_location_for_user(request.user, filters.location_id)
    found = waiting_entries_visible_to(request.user).filter(location=location).order_by("created_at", "pk")
    audit.record(
        actor=request.user,
        action="api.schedule.waiting_list",
        obj=location,
        detail={"patients": sorted(set(found.values_list("patient_id", flat=True)))},
    )
    return found


@router.post(
    "/waiting-list",
    response={201: WaitingOut, 400: ErrorOut, 409: ErrorOut, **UNPROCESSABLE},
    summary="Put a patient on a location's waiting list (Idempotency-Key required)",
)
@idempotent(WaitingOut)
def add_waiting(  # type: ignore[no-untyped-def]
    request: AuthedRequest, payload: WaitingIn, idempotency_key: IdempotencyKey
):
    _require(request, "schedule.book")
    location = get_location_for_user(request.user, payload.location_id)
    patient = get_patient_for_user(request.user, payload.patient_id)
    version = None
    if payload.plan_version_id is not None:
        version = (
            PlanVersion.objects.filter(pk=payload.plan_version_id, plan__patient__in=patients_visible_to(request.user))
            .select_related("plan")
            .first()
        )
        if version is None:
            raise ServiceError("No such plan version for a patient you can see.", field="plan_version_id")
    try:
        entry = service.add(
            by=request.user,
            location=location,
            patient=patient,
            kind=payload.kind,
            earliest=payload.earliest_date,
            latest=payload.latest_date,
            weekdays=payload.preferred_weekdays,
            not_before=dt.time.fromisoformat(payload.not_before) if payload.not_before else None,
            not_after=dt.time.fromisoformat(payload.not_after) if payload.not_after else None,
            note=payload.note,
            plan_version=version,
        )
    except ServiceError as refused:
        if refused.field == "plan_version":
            refused.field = "plan_version_id"
        raise
    return Status(201, entry)


@router.post(
    "/waiting-list/{entry_id}/withdraw",
    response={200: WaitingOut, 400: ErrorOut, 409: ErrorOut, **UNPROCESSABLE},
    summary="Take a patient off the waiting list with a reason (Idempotency-Key required); the entry stays",
)
@idempotent(WaitingOut)
def withdraw_waiting(  # type: ignore[no-untyped-def]
    request: AuthedRequest, entry_id: Id, payload: WithdrawIn, idempotency_key: IdempotencyKey
):
    _require(request, "schedule.book")
    entry = get_waiting_entry_for_user(request.user, entry_id)
    return Status(200, service.withdraw(by=request.user, entry=entry, reason=payload.reason))
