"""/api/v1/outcomes/questionnaire-links: a patient's questionnaire links (never their tokens) and sending one now."""

import datetime as dt
from typing import Any, Literal

from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.api.idempotency import IdempotencyKey, idempotent
from ketaclinic.api.pagination import BoundedLimitOffsetPagination
from ketaclinic.api.schemas import BodyIn, ErrorOut
from ketaclinic.audit import services as audit
from ketaclinic.followup.models import QuestionnaireLink
from ketaclinic.followup.services import questionnaires as service
from ketaclinic.patients.queries import get_patient_for_user

router = Router()

Scale = Literal["phq9", "gad7", "pain_nrs", "bladder_symptoms", "audit_c"]  # service.LINK_INSTRUMENTS


class QuestionnaireLinkOut(Schema):
    id: int
    patient_id: int
    purpose: str
    instruments: list[str]
    status: str = Field(description="pending, failed, sent, opened, completed, expired or revoked")
    session_order_id: int | None
    due_on: dt.date
    created_at: dt.datetime
    created_by_id: int | None
    expires_at: dt.datetime
    channel: str
    sent_to: str = Field(description="Masked address, e.g. p***@example.org")
    sent_at: dt.datetime | None
    send_attempts: int
    last_error: str
    opened_at: dt.datetime | None
    completed_at: dt.datetime | None
    revoked_at: dt.datetime | None
    revoked_reason: str

    @staticmethod
    def resolve_status(obj: QuestionnaireLink | dict[str, Any]) -> str:
        if isinstance(obj, dict):  # an Idempotency-Key replay: the stored response as it was sent
            return str(obj["status"])
        return service.link_status(obj, timezone.now())


class QuestionnaireSendIn(BodyIn):
    instruments: list[Scale] = Field(min_length=1, description="Scales the link opens.")


def _require(user: User, capability: str) -> None:
    if not role_can(user.role, capability):
        raise HttpError(403, f"Your role does not allow this ({capability}).")


@router.get(
    "/patient/{patient_id}",
    response={200: list[QuestionnaireLinkOut], 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="List a patient's questionnaire links (tokens are never shown)",
)
@paginate(BoundedLimitOffsetPagination)
def list_links(request: AuthedRequest, patient_id: int):  # type: ignore[no-untyped-def]
    _require(request.user, "outcomes.view")
    patient = get_patient_for_user(request.user, patient_id)
    audit.record(actor=request.user, action="api.questionnaire.list", patient_id=patient.pk)
    return patient.questionnaire_links.order_by("-created_at", "-pk")


@router.post(
    "/patient/{patient_id}/send",
    response={
        201: QuestionnaireLinkOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Send a patient a questionnaire link now (requires an Idempotency-Key: a retry never sends twice)",
)
@idempotent(QuestionnaireLinkOut)
def send_link(  # type: ignore[no-untyped-def]
    request: AuthedRequest, patient_id: int, payload: QuestionnaireSendIn, idempotency_key: IdempotencyKey
):
    _require(request.user, "questionnaires.send")
    patient = get_patient_for_user(request.user, patient_id)
    delivery = service.send_now(
        by=request.user, patient=patient, scales=list(payload.instruments), base_url=request.build_absolute_uri("/")
    )
    return Status(201, delivery.link)
