"""/api/v1/alerts: safety alerts at the caller's locations, and acknowledging one (clinical roles).

Clinic admins (``alerts.escalated``) list and read, never acknowledge, the alerts escalated because no clinician
acknowledged them within KETACLINIC_ALERT_ESCALATION_MINUTES.
"""

import datetime as dt
from typing import Literal

from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.api.pagination import BoundedLimitOffsetPagination
from ketaclinic.api.schemas import BodyIn, ErrorOut
from ketaclinic.audit import services as audit
from ketaclinic.outcomes import services
from ketaclinic.outcomes.models import SafetyAlert
from ketaclinic.outcomes.queries import (
    ALERT_CAPABILITIES,
    alerts_visible_to,
    can_see_alerts,
    escalation_delay_min,
    get_alert_for_user,
    open_alerts_for,
)

router = Router()


class SafetyAlertOut(Schema):
    id: int
    patient_id: int
    kind: str
    severity: str
    instrument: str
    score_total: float | None
    score_band: str
    message: str
    recommended_action: str
    assigned_to_id: int | None
    assignment: str
    created_at: dt.datetime
    acknowledged_by_id: int | None
    acknowledged_at: dt.datetime | None
    follow_up_note: str
    escalated_at: dt.datetime | None = Field(
        description="When the alert was escalated to the clinic admins (nobody had acknowledged it in time)."
    )
    escalated_to_ids: list[int] = Field(description="The clinic admins it was escalated to (empty: nobody).")
    escalated_after_min: int | None = Field(description="Minutes between raising and escalating it.")

    @staticmethod
    def resolve_escalated_to_ids(obj: SafetyAlert) -> list[int]:
        return [user.pk for user in obj.escalated_to.all()]

    @staticmethod
    def resolve_escalated_after_min(obj: SafetyAlert) -> int | None:
        return escalation_delay_min(obj)


class SafetyAlertFilter(Schema):
    show: Literal["mine", "open", "all"] = Field(
        "mine",
        description=(
            "mine: open alerts addressed to you (or to nobody in particular); for clinic admins, open alerts escalated"
            " to you; open; all. Clinic admins only ever see escalated alerts."
        ),
    )


class SafetyAlertAcknowledgeIn(BodyIn):
    follow_up_note: str = Field(min_length=1, max_length=services.NOTE_MAX_CHARS)


def _require(user: User, capability: str) -> None:
    if not role_can(user.role, capability):
        raise HttpError(403, f"Your role does not allow this ({capability}).")


def _require_alerts(user: User) -> None:
    if not can_see_alerts(user):
        raise HttpError(403, f"Your role does not allow this ({' or '.join(ALERT_CAPABILITIES)}).")


@router.get(
    "/",
    response={200: list[SafetyAlertOut], 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="List safety alerts at your locations (clinic admins: the escalated ones)",
)
@paginate(BoundedLimitOffsetPagination)
def list_alerts(request: AuthedRequest, filters: Query[SafetyAlertFilter]):  # type: ignore[no-untyped-def]
    _require_alerts(request.user)
    audit.record(actor=request.user, action="api.alert.list", detail={"show": filters.show})
    alerts = {
        "mine": open_alerts_for(request.user),
        "open": alerts_visible_to(request.user).filter(acknowledged_at__isnull=True),
        "all": alerts_visible_to(request.user),
    }[filters.show]
    return alerts.order_by("-created_at", "-pk")


@router.get(
    "/{alert_id}",
    response={200: SafetyAlertOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Read one safety alert",
)
def read_alert(request: AuthedRequest, alert_id: int):  # type: ignore[no-untyped-def]
    _require_alerts(request.user)
    alert = get_alert_for_user(request.user, alert_id)
    audit.record(actor=request.user, action="api.alert.read", obj=alert, patient_id=alert.patient_id)
    return alert


@router.post(
    "/{alert_id}/acknowledge",
    response={
        200: SafetyAlertOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Acknowledge a safety alert with a follow-up note",
)
def acknowledge_alert(request: AuthedRequest, alert_id: int, payload: SafetyAlertAcknowledgeIn):  # type: ignore[no-untyped-def]
    _require(request.user, "alerts.acknowledge")
    alert = get_alert_for_user(request.user, alert_id)
    if not alert.is_open:
        raise HttpError(409, "This alert has already been acknowledged.")
    return services.acknowledge_alert(by=request.user, alert=alert, follow_up_note=payload.follow_up_note)
