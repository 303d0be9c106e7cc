"""/api/v1/sessions: treatment sessions, vitals, alerts, scales, events, administration, discharge, the note and REMS.

Writes that create something require an ``Idempotency-Key`` header (ketaclinic.api.idempotency): a retried or doubled
request records once. Every write accepts ``expected_version``: when the session changed since it was read, the write
is refused with 409 and nothing is stored. Reads of patient data are audited.
"""

from typing import Any

from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.api.idempotency import IdempotencyKey, idempotent
from ketaclinic.api.pagination import BoundedLimitOffsetPagination
from ketaclinic.api.schemas import NO_NUL_PATTERN, ErrorOut, Id
from ketaclinic.audit import services as audit
from ketaclinic.infusions import services
from ketaclinic.infusions.api.schemas import (
    AcknowledgeIn,
    AlertOut,
    CancelIn,
    CheckInPatch,
    DischargeIn,
    EndInfusionIn,
    EventsOut,
    RateChangeIn,
    RateChangeOut,
    RemsOut,
    RemsSubmitIn,
    RescueIn,
    RescueOut,
    RiskBenefitIn,
    ScoreIn,
    ScoreOut,
    SessionAdministrationOut,
    SessionDetailOut,
    SessionIn,
    SessionOut,
    SideEffectIn,
    SideEffectOut,
    SignIn,
    StartIn,
    VitalOut,
    VitalsIn,
)
from ketaclinic.infusions.models import SessionAlert, SideEffect, TreatmentSession
from ketaclinic.infusions.queries import containers_for, get_order_for_user, get_session_for_user, sessions_visible_to
from ketaclinic.infusions.services import checklist, events, monitoring, rems
from ketaclinic.ledger.services import witnesses

router = Router()

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _require(request: AuthedRequest, capability: str) -> None:
    if not role_can(request.user.role, capability):
        raise HttpError(403, f"Your role does not allow this ({capability}).")


def _session(request: AuthedRequest, session_id: int, capability: str = "sessions.record") -> TreatmentSession:
    _require(request, capability)
    return get_session_for_user(request.user, session_id)


def _write(call: Any) -> Any:
    """Run a service call; someone else's newer change is a 409 (the router maps other refusals to 422)."""
    try:
        return call()
    except services.StaleSession as error:
        raise HttpError(409, error.message) from None


class SessionFilter(Schema):
    status: str = Field("", pattern=NO_NUL_PATTERN)
    patient_id: Id | None = None


@router.get("/", response={200: list[SessionOut], **READ_ERRORS}, summary="List sessions")
@paginate(BoundedLimitOffsetPagination)
def list_sessions(request: AuthedRequest, filters: Query[SessionFilter]):  # type: ignore[no-untyped-def]
    _require(request, "sessions.view")
    sessions = sessions_visible_to(request.user)
    if filters.status:
        sessions = sessions.filter(status=filters.status[:20])
    if filters.patient_id is not None:
        sessions = sessions.filter(patient_id=filters.patient_id)
    audit.record(actor=request.user, action="api.session.list", detail={"status": filters.status[:20]})
    return sessions.order_by("-checked_in_at", "-pk")


@router.post("/", response={201: SessionOut, **ERRORS}, summary="Check a patient in for an open order")
@idempotent(SessionOut)
def create_session(  # type: ignore[no-untyped-def]
    request: AuthedRequest, payload: SessionIn, idempotency_key: IdempotencyKey
):
    _require(request, "sessions.record")
    order = get_order_for_user(request.user, payload.order_id)
    return Status(201, services.create_session(by=request.user, order=order, chair=payload.chair))


@router.get("/{session_id}", response={200: SessionDetailOut, **READ_ERRORS}, summary="One session, with its checks")
def read_session(request: AuthedRequest, session_id: int):  # type: ignore[no-untyped-def]
    session = _session(request, session_id, "sessions.view")
    timer = monitoring.timer(session)
    audit.record(actor=request.user, action="api.session.read", obj=session, patient_id=session.patient_id)
    detail = SessionOut.from_orm(session).model_dump()
    items = checklist.checklist(session) if session.status == "check_in" else []
    return {
        **detail,
        "checklist": [vars(item) for item in items],
        "next_vitals_due_at": timer.next_due_at,
        "vitals_overdue": timer.overdue,
        "cadss_due_min": timer.cadss_due_min,
        "delivered_mg": events.delivered_mg(session),
        "open_alerts": list(session.alerts.filter(acknowledged_at__isnull=True)),
        "note_text": session.note_text,
    }


@router.patch("/{session_id}/check-in", response={200: SessionOut, **ERRORS}, summary="Record check-in facts")
def update_check_in(request: AuthedRequest, session_id: int, payload: CheckInPatch):  # type: ignore[no-untyped-def]
    session = _session(request, session_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"expected_version"})
    return _write(
        lambda: services.update_checkin(
            by=request.user, session=session, version=payload.expected_version, changes=changes
        )
    )


@router.get("/{session_id}/vitals", response={200: list[VitalOut], **READ_ERRORS}, summary="The vitals grid")
def list_vitals(request: AuthedRequest, session_id: int):  # type: ignore[no-untyped-def]
    session = _session(request, session_id, "sessions.view")
    audit.record(actor=request.user, action="api.session.vitals", obj=session, patient_id=session.patient_id)
    return session.readings.prefetch_related("alerts").order_by("taken_at", "pk")


@router.post("/{session_id}/vitals", response={201: VitalOut, **ERRORS}, summary="Record vital signs")
@idempotent(VitalOut)
def create_vitals(  # type: ignore[no-untyped-def]
    request: AuthedRequest, session_id: int, payload: VitalsIn, idempotency_key: IdempotencyKey
):
    session = _session(request, session_id)
    values = payload.model_dump(exclude={"expected_version", "taken_at", "note"})
    reading = _write(
        lambda: services.record_vitals(
            by=request.user,
            session=session,
            version=payload.expected_version,
            values=values,
            taken_at=payload.taken_at,
            note=payload.note,
        )
    )
    return Status(201, reading)


@router.post(
    "/{session_id}/alerts/{alert_id}/acknowledge",
    response={200: AlertOut, **ERRORS},
    summary="Acknowledge an alert",
    description=(
        "One reading is one alert: this acknowledges every open finding of the alert's reading (same ``reading_id``) "
        "with the same note. A stop-and-evaluate alert needs a ``note`` (422 naming the field otherwise)."
    ),
)
def acknowledge_alert(  # type: ignore[no-untyped-def]
    request: AuthedRequest, session_id: int, alert_id: int, payload: AcknowledgeIn
):
    session = _session(request, session_id)
    alert = SessionAlert.objects.filter(session=session, pk=alert_id).first()
    if alert is None:
        raise HttpError(404, "No such alert.")
    return _write(
        lambda: services.acknowledge_alert(
            by=request.user, session=session, version=payload.expected_version, alert=alert, note=payload.note
        )
    )


@router.get("/{session_id}/scores", response={200: list[ScoreOut], **READ_ERRORS}, summary="Scales scored")
def list_scores(request: AuthedRequest, session_id: int):  # type: ignore[no-untyped-def]
    session = _session(request, session_id, "sessions.view")
    audit.record(actor=request.user, action="api.session.scores", obj=session, patient_id=session.patient_id)
    return session.scores.order_by("taken_at", "pk")


@router.post("/{session_id}/scores", response={201: ScoreOut, **ERRORS}, summary="Score a scale")
@idempotent(ScoreOut)
def create_score(  # type: ignore[no-untyped-def]
    request: AuthedRequest, session_id: int, payload: ScoreIn, idempotency_key: IdempotencyKey
):
    session = _session(request, session_id)
    score = _write(
        lambda: services.record_score(
            by=request.user,
            session=session,
            version=payload.expected_version,
            instrument=payload.instrument,
            answers=payload.answers,
            taken_at=payload.taken_at,
        )
    )
    return Status(201, score)


@router.post(
    "/{session_id}/risk-benefit", response={200: SessionOut, **ERRORS}, summary="Esketamine R1 acknowledgement"
)
def risk_benefit(request: AuthedRequest, session_id: int, payload: RiskBenefitIn):  # type: ignore[no-untyped-def]
    session = _session(request, session_id)
    return _write(
        lambda: services.acknowledge_risk(
            by=request.user, session=session, version=payload.expected_version, note=payload.note
        )
    )


@router.post("/{session_id}/cancel", response={200: SessionOut, **ERRORS}, summary="Not given (before dosing)")
def cancel(request: AuthedRequest, session_id: int, payload: CancelIn):  # type: ignore[no-untyped-def]
    session = _session(request, session_id)
    return _write(
        lambda: services.cancel_session(
            by=request.user, session=session, version=payload.expected_version, reason=payload.reason
        )
    )


@router.post("/{session_id}/start", response={200: SessionOut, **ERRORS}, summary="Start dosing (administration)")
@idempotent(SessionOut)
def start(  # type: ignore[no-untyped-def]
    request: AuthedRequest, session_id: int, payload: StartIn, idempotency_key: IdempotencyKey
):
    session = _session(request, session_id)
    stock = {c.pk: c for c in containers_for(session)}
    draws = []
    for draw in payload.containers:
        container = stock.get(draw.container_id)
        if container is None:
            raise HttpError(422, f"containers: {draw.container_id} is not usable stock for this order here.")
        draws.append(services.Draw(container=container, drawn_ml=draw.drawn_ml))
    return _write(
        lambda: services.start(
            by=request.user,
            session=session,
            version=payload.expected_version,
            draws=draws,
            started_at=payload.started_at,
        )
    )


@router.get(
    "/{session_id}/administration",
    response={200: list[SessionAdministrationOut], **READ_ERRORS},
    summary="Product, lot, container and ledger entries",
)
def administration(request: AuthedRequest, session_id: int):  # type: ignore[no-untyped-def]
    session = _session(request, session_id, "sessions.view")
    audit.record(actor=request.user, action="api.session.administration", obj=session, patient_id=session.patient_id)
    return session.administrations.order_by("pk")


@router.get("/{session_id}/events", response={200: EventsOut, **READ_ERRORS}, summary="Side effects, rescue, rates")
def list_events(request: AuthedRequest, session_id: int):  # type: ignore[no-untyped-def]
    session = _session(request, session_id, "sessions.view")
    audit.record(actor=request.user, action="api.session.events", obj=session, patient_id=session.patient_id)
    return {
        "side_effects": list(session.side_effects.all()),
        "rescue_medications": list(session.rescue_medications.all()),
        "rate_changes": list(session.rate_changes.all()),
        "delivered_mg": events.delivered_mg(session),
    }


@router.post("/{session_id}/side-effects", response={201: SideEffectOut, **ERRORS}, summary="Record a side effect")
@idempotent(SideEffectOut)
def create_side_effect(  # type: ignore[no-untyped-def]
    request: AuthedRequest, session_id: int, payload: SideEffectIn, idempotency_key: IdempotencyKey
):
    session = _session(request, session_id)
    values = payload.model_dump(exclude={"expected_version"})
    row = _write(
        lambda: services.record_side_effect(
            by=request.user, session=session, version=payload.expected_version, values=values
        )
    )
    return Status(201, row)


@router.post(
    "/{session_id}/rescue-medications", response={201: RescueOut, **ERRORS}, summary="Record a rescue medication"
)
@idempotent(RescueOut)
def create_rescue(  # type: ignore[no-untyped-def]
    request: AuthedRequest, session_id: int, payload: RescueIn, idempotency_key: IdempotencyKey
):
    session = _session(request, session_id)
    values = payload.model_dump(exclude={"expected_version", "side_effect_id"})
    if payload.side_effect_id is not None:
        linked = SideEffect.objects.filter(session=session, pk=payload.side_effect_id).first()
        if linked is None:
            raise HttpError(422, "side_effect_id: no such side effect in this session.")
        values["side_effect"] = linked
    row = _write(
        lambda: services.record_rescue_medication(
            by=request.user, session=session, version=payload.expected_version, values=values
        )
    )
    return Status(201, row)


@router.post(
    "/{session_id}/rate-changes", response={201: RateChangeOut, **ERRORS}, summary="Change, pause or resume the rate"
)
@idempotent(RateChangeOut)
def create_rate_change(  # type: ignore[no-untyped-def]
    request: AuthedRequest, session_id: int, payload: RateChangeIn, idempotency_key: IdempotencyKey
):
    session = _session(request, session_id)
    row = _write(
        lambda: services.change_rate(
            by=request.user,
            session=session,
            version=payload.expected_version,
            kind=payload.kind,
            reason=payload.reason,
            rate_mg_per_h=payload.rate_mg_per_h,
            at=payload.at,
        )
    )
    return Status(201, row)


@router.post("/{session_id}/end-infusion", response={200: SessionOut, **ERRORS}, summary="End the infusion")
@idempotent(SessionOut)
def end_infusion(  # type: ignore[no-untyped-def]
    request: AuthedRequest, session_id: int, payload: EndInfusionIn, idempotency_key: IdempotencyKey
):
    session = _session(request, session_id)
    signature = None
    if payload.witness is not None:
        signature = witnesses.sign(
            request=request,
            credentials=witnesses.WitnessCredentials(
                username=payload.witness.username,
                password=payload.witness.password,
                otp_token=payload.witness.otp_token,
            ),
            actor=request.user,
            location=session.location,
        )
    return _write(
        lambda: services.end_infusion(
            by=request.user,
            session=session,
            version=payload.expected_version,
            ended_at=payload.ended_at,
            given_ml=payload.given_ml,
            witness=signature,
            waste_manner=payload.waste_manner,
            early_end_reason=payload.early_end_reason,
        )
    )


@router.post("/{session_id}/discharge", response={200: SessionOut, **ERRORS}, summary="Discharge")
@idempotent(SessionOut)
def discharge(  # type: ignore[no-untyped-def]
    request: AuthedRequest, session_id: int, payload: DischargeIn, idempotency_key: IdempotencyKey
):
    session = _session(request, session_id)
    return _write(
        lambda: services.discharge_patient(
            by=request.user,
            session=session,
            version=payload.expected_version,
            scale=payload.scale,
            answers=payload.answers,
            sedation=payload.sedation,
            dissociation=payload.dissociation,
            respiratory_depression=payload.respiratory_depression,
            escort_name=payload.escort_name,
            instructions_given=payload.instructions_given,
            discharged_at=payload.discharged_at,
            early_discharge_reason=payload.early_discharge_reason,
        )
    )


@router.post("/{session_id}/sign", response={200: SessionOut, **ERRORS}, summary="Sign and lock the session note")
def sign(request: AuthedRequest, session_id: int, payload: SignIn):  # type: ignore[no-untyped-def]
    session = _session(request, session_id, "sessions.sign")
    return _write(lambda: services.sign_note(by=request.user, session=session, version=payload.expected_version))


def _rems(session: TreatmentSession) -> dict[str, Any]:
    if not session.is_esketamine:
        raise HttpError(404, "Only esketamine sessions have a REMS form.")
    state = rems.status(session)
    form = session.rems_form if session.rems_submitted_at else rems.rems_form(session)
    return {
        "session_id": session.pk,
        "due_on": session.rems_due_on,
        "state": state.state if state else None,
        "days_left": state.days_left if state else None,
        "submitted_at": session.rems_submitted_at,
        "confirmation": session.rems_confirmation,
        "form": form,
        "missing": rems.missing_fields(form),
    }


@router.get("/{session_id}/rems", response={200: RemsOut, **READ_ERRORS}, summary="The REMS Patient Monitoring Form")
def read_rems(request: AuthedRequest, session_id: int):  # type: ignore[no-untyped-def]
    session = _session(request, session_id, "sessions.view")
    audit.record(actor=request.user, action="api.session.rems", obj=session, patient_id=session.patient_id)
    return _rems(session)


@router.post("/{session_id}/rems", response={200: RemsOut, **ERRORS}, summary="Record the REMS form as submitted")
def submit_rems(request: AuthedRequest, session_id: int, payload: RemsSubmitIn):  # type: ignore[no-untyped-def]
    session = _session(request, session_id, "sessions.sign")
    if not session.is_esketamine:
        raise HttpError(404, "Only esketamine sessions have a REMS form.")
    updated = _write(
        lambda: services.submit_rems(
            by=request.user, session=session, version=payload.expected_version, confirmation=payload.confirmation
        )
    )
    return _rems(updated)


__all__ = ["router"]
