"""/api/v1/billing (CONTRACTS §8): the claim lines a signed session yields, claims from sessions, and the 837P.

Capability-checked like the other routers: billing staff (``billing.manage``) create and export claims; clinicians
(``billing.view``) may read the lines billed for their patients. Bad input answers 422 naming the field.
"""

from typing import Literal

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.api.idempotency import IdempotencyKey, idempotent
from ketaclinic.api.schemas import BodyIn, ErrorOut, Id
from ketaclinic.audit import services as audit
from ketaclinic.billing.models import Payer
from ketaclinic.billing.queries import claims_visible_to
from ketaclinic.billing.services import claims as claim_services
from ketaclinic.billing.services import export

router = Router()

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _require_any(request: AuthedRequest, *capabilities: str) -> None:
    if not any(role_can(request.user.role, c) for c in capabilities):
        raise HttpError(403, f"Your role does not allow this ({' or '.join(capabilities)}).")


class ClaimLinesQuery(Schema):
    payer_kind: Literal["medicare", "medicaid", "commercial", "self_pay"]
    supply: Literal["buy_and_bill", "specialty_pharmacy"] = "buy_and_bill"
    practitioner_min: int = Field(0, ge=0, le=1440)
    clinical_staff_min: int = Field(0, ge=0, le=1440)
    separately_identifiable_em: bool = False


class ClaimLineOut(Schema):
    code: str
    modifiers: list[str]
    units: str
    charge: str | None
    diagnosis_pointers: list[int]
    why: str
    source: str
    unconfirmed: bool
    ndc11: str | None = None


class ClaimIn(BodyIn):
    session_ids: list[Id] = Field(..., min_length=1, max_length=20)
    payer_id: Id
    supply: Literal["buy_and_bill", "specialty_pharmacy"] = "buy_and_bill"
    practitioner_min: int = Field(0, ge=0, le=1440)
    clinical_staff_min: int = Field(0, ge=0, le=1440)
    separately_identifiable_em: bool = False
    prior_auth_number: str = Field("", max_length=50, pattern=r"^[A-Za-z0-9-]*$")


class ClaimOut(Schema):
    id: int
    status: str
    patient_id: int
    payer_id: int
    service_date: str
    place_of_service: str
    diagnoses: list[str]
    total_charge: str | None
    lines: list[ClaimLineOut]
    notes: list[str]


def _line_out(line: object) -> ClaimLineOut:
    charge = getattr(line, "charge", None)
    return ClaimLineOut(
        code=line.code,  # type: ignore[attr-defined]
        modifiers=list(line.modifiers),  # type: ignore[attr-defined]
        units=str(line.units),  # type: ignore[attr-defined]
        charge=None if charge is None else str(charge),
        diagnosis_pointers=list(line.diagnosis_pointers),  # type: ignore[attr-defined]
        why=line.why,  # type: ignore[attr-defined]
        source=line.source,  # type: ignore[attr-defined]
        unconfirmed=line.unconfirmed,  # type: ignore[attr-defined]
        ndc11=getattr(line, "ndc11", None) or None,
    )


@router.get("/sessions/{session_id}/claim-lines", response={200: list[ClaimLineOut], **ERRORS})
def claim_lines(request: AuthedRequest, session_id: Id, query: Query[ClaimLinesQuery]) -> list[ClaimLineOut]:
    _require_any(request, "billing.manage", "billing.view")
    session = claim_services.sessions_billable_by(request.user).filter(pk=session_id).first()
    if session is None:
        raise HttpError(404, "No such session.")
    proposal = claim_services.build_for_session(
        session,
        claim_services.payer_rules(None, query.payer_kind),
        supply=query.supply,
        practitioner_min=query.practitioner_min,
        clinical_staff_min=query.clinical_staff_min,
        separately_identifiable_em=query.separately_identifiable_em,
    )
    audit.record(
        actor=request.user,
        action="billing.claim_lines.read",
        obj=session,
        patient_id=session.patient_id,
        detail={"payer_kind": query.payer_kind, "supply": query.supply},
    )
    return [_line_out(line) for line in proposal.lines]


def claim_out(claim: object) -> ClaimOut:
    from ketaclinic.billing.models import Claim

    assert isinstance(claim, Claim)
    return ClaimOut(
        id=claim.pk,
        status=claim.status,
        patient_id=claim.patient_id,
        payer_id=claim.payer_id,
        service_date=claim.service_date.isoformat(),
        place_of_service=claim.place_of_service,
        diagnoses=list(claim.diagnoses),
        total_charge=None if claim.total_charge is None else str(claim.total_charge),
        lines=[_line_out(line) for line in claim.lines.all()],
        notes=list(claim.notes),
    )


@router.post("/claims", response={201: ClaimOut, **ERRORS}, summary="A draft claim from signed sessions")
@idempotent(ClaimOut)
def create_claim(  # type: ignore[no-untyped-def]
    request: AuthedRequest, payload: ClaimIn, idempotency_key: IdempotencyKey
):
    _require_any(request, "billing.manage")
    sessions = list(claim_services.sessions_billable_by(request.user).filter(pk__in=payload.session_ids))
    found = {s.pk for s in sessions}
    missing = [i for i in payload.session_ids if i not in found]
    if missing:
        raise HttpError(422, f"session_ids: no such session {missing[0]}.")
    payer = Payer.objects.filter(clinic_id=request.user.clinic_id or 0, pk=payload.payer_id).first()
    if payer is None:
        raise HttpError(422, "payer_id: no such payer at your clinic.")
    claim = claim_services.create_claim(
        by=request.user,
        sessions=sessions,
        payer=payer,
        supply=payload.supply,
        practitioner_min=payload.practitioner_min,
        clinical_staff_min=payload.clinical_staff_min,
        separately_identifiable_em=payload.separately_identifiable_em,
        prior_auth_number=payload.prior_auth_number,
    )
    return Status(201, claim_out(claim))


@router.get("/claims/{claim_id}", response={200: ClaimOut, **ERRORS})
def claim_detail(request: AuthedRequest, claim_id: Id) -> ClaimOut:
    _require_any(request, "billing.manage", "billing.view")
    claim = claims_visible_to(request.user).filter(pk=claim_id).first()
    if claim is None:
        raise HttpError(404, "No such claim.")
    audit.record(actor=request.user, action="billing.claim.read", obj=claim, patient_id=claim.patient_id)
    return claim_out(claim)


@router.get("/claims/{claim_id}/837p", response={200: None, **ERRORS})
def claim_837p(request: AuthedRequest, claim_id: Id) -> HttpResponse:
    _require_any(request, "billing.manage")
    claim = claims_visible_to(request.user).filter(pk=claim_id).first()
    if claim is None:
        raise HttpError(404, "No such claim.")
    text = export.export_837p(by=request.user, claim=claim)
    response = HttpResponse(text, content_type="text/plain; charset=us-ascii")
    response["Content-Disposition"] = f'attachment; filename="claim-{claim.pk}-837p.txt"'
    return response
