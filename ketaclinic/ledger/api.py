"""/api/v1/ledger: products, containers and entries (read), and receipts, administrations and wastes (write).

Writes require an ``Idempotency-Key`` header (ketaclinic.api.idempotency): a retried request never records a dose
twice. A witness signs inside the request body with username, password and current one-time code, exactly as in the
staff pages; those secrets are never stored or logged. Every read that shows patient-linked entries is audited.
"""

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.api.idempotency import IdempotencyKey, idempotent
from ketaclinic.api.pagination import BoundedLimitOffsetPagination
from ketaclinic.api.schemas import BodyIn, DecimalText, ErrorOut, Id, IsoDate, IsoDateTime, WitnessIn
from ketaclinic.audit import services as audit
from ketaclinic.ledger import queries
from ketaclinic.ledger import services as ledger
from ketaclinic.ledger.models import Container, Kind, Product, Supplier
from ketaclinic.ledger.services import witnesses
from ketaclinic.patients.queries import get_patient_for_user

router = Router()

EntryKind = Literal[
    "receipt",
    "administer",
    "waste",
    "transfer_out",
    "destroy",
    "loss",
    "theft",
    "adjustment",
    "inventory_count",
    "reversal",
]
ContainerStatus = Literal["sealed", "open", "empty", "quarantined", "disposed"]
Ml = DecimalText  # JSON: a decimal number or decimal text, at most two decimals


class ProductOut(Schema):
    id: int
    name: str
    substance: str
    ndc: str
    rxnorm_code: str
    schedule: str
    form: str
    concentration_mg_per_ml: DecimalText
    container_volume_ml: DecimalText
    container_kind: str
    containers_per_package: int
    is_active: bool


class ContainerOut(Schema):
    id: int
    location_id: int
    lot_id: int
    label: str
    labelled_volume_ml: DecimalText
    balance_ml: DecimalText
    status: str
    received_at: dt.datetime
    opened_at: dt.datetime | None
    status_reason: str = Field(description="Why it is quarantined, disposed or empty (e.g. received expired).")
    expires_on: dt.date = Field(description="The lot's expiry: usable through this day, in the clinic's time zone.")
    held_ml: DecimalText = Field(description="Drawn at a chair (an infusion in progress) and not yet posted.")
    available_ml: DecimalText = Field(description="What may still be drawn: balance_ml less held_ml.")

    @staticmethod
    def resolve_expires_on(obj: Container) -> dt.date:
        return obj.lot.expires_on

    @staticmethod
    def resolve_held_ml(obj: Container) -> Decimal:
        return Decimal(getattr(obj, "held_ml", 0)).quantize(Decimal("0.01"))

    @staticmethod
    def resolve_available_ml(obj: Container) -> Decimal:
        return Decimal(getattr(obj, "available_ml", obj.balance_ml)).quantize(Decimal("0.01"))


class EntryOut(Schema):
    id: int
    seq: int
    location_id: int
    container_id: int
    product_id: int
    kind: str
    quantity_ml: DecimalText
    quantity_mg: DecimalText
    balance_after_ml: DecimalText
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    backdated: bool
    backdate_reason: str
    actor_id: int
    actor_name: str
    witness_id: int | None
    witness_name: str
    witness_method: str
    patient_id: int | None
    session_reference: str
    drawn_ml: DecimalText | None
    counterparty_id: int | None
    invoice_ref: str
    manner: str
    reason: str
    reverses_id: int | None
    related_entry_id: int | None
    prev_hash: str
    entry_hash: str


class ReceiptOut(Schema):
    group_ref: str
    entries: list[EntryOut]


class AdministrationOut(Schema):
    entry: EntryOut
    waste: EntryOut | None


class ReceiptIn(BodyIn):
    location_id: Id
    product_id: Id
    supplier_id: Id
    lot_number: str = Field(min_length=1, max_length=40)
    expires_on: IsoDate
    container_count: int = Field(ge=1, le=500)
    invoice_ref: str = Field(min_length=1, max_length=100)
    occurred_at: IsoDateTime | None = Field(None, description="When it was received (default: now).")
    backdate_reason: str = Field("", max_length=500)
    labels: list[str] = Field(default_factory=list, max_length=500)
    quarantine_reason: str = Field(
        "",
        max_length=250,
        description="Receive the containers quarantined (counted, never given). Required for a lot that has "
        "already expired; the receipt is refused without it.",
    )


class AdministrationIn(BodyIn):
    container_id: Id
    patient_id: Id
    quantity_ml: Ml = Field(gt=0, max_digits=9, decimal_places=2)
    drawn_ml: Ml | None = Field(None, gt=0, max_digits=9, decimal_places=2)
    occurred_at: IsoDateTime | None = None
    session_reference: str = Field("", max_length=100)
    waste_manner: str = Field("", max_length=200)
    backdate_reason: str = Field("", max_length=500)
    witness: WitnessIn | None = Field(None, description="Required when drawn_ml exceeds quantity_ml.")


class WasteIn(BodyIn):
    container_id: Id
    quantity_ml: Ml | None = Field(None, gt=0, max_digits=9, decimal_places=2)
    close: bool = Field(False, description="Waste the whole remainder and close the container.")
    manner: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=500)
    occurred_at: IsoDateTime | None = None
    backdate_reason: str = Field("", max_length=500)
    witness: WitnessIn


class ContainerFilter(Schema):
    location_id: Id | None = None
    status: ContainerStatus | None = None


class EntryFilter(Schema):
    location_id: Id | None = None
    container_id: Id | None = None
    kind: EntryKind | None = None
    occurred_from: IsoDateTime | None = None
    occurred_to: IsoDateTime | None = None


def _require(user: User, capability: str) -> None:
    if not role_can(user.role, capability):
        raise HttpError(403, f"Your role does not allow this ({capability}).")


def _aware(moment: dt.datetime | None, name: str) -> dt.datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise HttpError(422, f"{name}: give a time zone offset (e.g. 2026-11-24T15:00:00Z).")
    try:
        # Stored and compared in UTC: PostgreSQL refuses some offsets that ISO 8601 allows (e.g. +23:59).
        return moment.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise HttpError(422, f"{name}: out of range.") from None


def _witness(request: AuthedRequest, data: WitnessIn | None, location: object) -> witnesses.WitnessSignature | None:
    if data is None:
        return None
    return witnesses.sign(
        request=request,
        credentials=witnesses.WitnessCredentials(
            username=data.username, password=data.password, otp_token=data.otp_token
        ),
        actor=request.user,
        location=location,  # type: ignore[arg-type]
    )


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.get("/products", response={200: list[ProductOut], 401: ErrorOut, 403: ErrorOut, 422: ErrorOut})
@paginate(BoundedLimitOffsetPagination)
def list_products(request: AuthedRequest):  # type: ignore[no-untyped-def]
    _require(request.user, "ledger.view")
    return queries.products_for(request.user).order_by("name", "pk")


@router.get("/containers", response={200: list[ContainerOut], 401: ErrorOut, 403: ErrorOut, 422: ErrorOut})
@paginate(BoundedLimitOffsetPagination)
def list_containers(request: AuthedRequest, filters: Query[ContainerFilter]):  # type: ignore[no-untyped-def]
    _require(request.user, "ledger.view")
    containers = queries.with_availability(queries.containers_visible_to(request.user))
    if filters.location_id is not None:
        containers = containers.filter(location_id=filters.location_id)
    if filters.status is not None:
        containers = containers.filter(status=filters.status)
    return containers.order_by("label", "pk")


@router.get(
    "/containers/{container_id}",
    response={200: ContainerOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def read_container(request: AuthedRequest, container_id: Id):  # type: ignore[no-untyped-def]
    _require(request.user, "ledger.view")
    container = queries.get_container_for_user(request.user, container_id)
    return queries.with_availability(type(container).objects.filter(pk=container.pk)).get()


@router.get("/entries", response={200: list[EntryOut], 401: ErrorOut, 403: ErrorOut, 422: ErrorOut})
@paginate(BoundedLimitOffsetPagination)
def list_entries(request: AuthedRequest, filters: Query[EntryFilter]):  # type: ignore[no-untyped-def]
    _require(request.user, "ledger.view")
    entries = queries.entries_visible_to(request.user)
    if filters.location_id is not None:
        entries = entries.filter(location_id=filters.location_id)
    if filters.container_id is not None:
        entries = entries.filter(container_id=filters.container_id)
    if filters.kind is not None:
        entries = entries.filter(kind=filters.kind)
    if filters.occurred_from is not None:
        entries = entries.filter(occurred_at__gte=_aware(filters.occurred_from, "occurred_from"))
    if filters.occurred_to is not None:
        entries = entries.filter(occurred_at__lte=_aware(filters.occurred_to, "occurred_to"))
    audit.record(
        actor=request.user,
        action="api.ledger.entries.list",
        detail={"filters": filters.model_dump(mode="json"), "includes_patient_data": True},
    )
    return entries.order_by("-seq")


@router.get("/entries/{entry_id}", response={200: EntryOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def read_entry(request: AuthedRequest, entry_id: Id):  # type: ignore[no-untyped-def]
    _require(request.user, "ledger.view")
    entry = queries.get_entry_for_user(request.user, entry_id)
    audit.record(actor=request.user, action="api.ledger.entry.read", obj=entry, patient_id=entry.patient_id)
    return entry


@router.post("/receipts", response={201: ReceiptOut, **ERRORS}, summary="Record stock received")
@idempotent(ReceiptOut)
def create_receipt(request: AuthedRequest, payload: ReceiptIn, idempotency_key: IdempotencyKey):  # type: ignore[no-untyped-def]
    _require(request.user, "ledger.record")
    location = queries.ledger_locations(request.user).filter(pk=payload.location_id).first()
    if location is None:
        raise HttpError(422, "location_id: not one of your locations.")
    product = Product.objects.filter(pk=payload.product_id, clinic=request.user.clinic).first()
    if product is None:
        raise HttpError(422, "product_id: no such product in your clinic.")
    supplier = Supplier.objects.filter(pk=payload.supplier_id, clinic=request.user.clinic).first()
    if supplier is None:
        raise HttpError(422, "supplier_id: no such supplier in your clinic.")
    receipt = ledger.receive(
        by=request.user,
        location=location,
        product=product,
        supplier=supplier,
        lot_number=payload.lot_number,
        expires_on=payload.expires_on,
        container_count=payload.container_count,
        invoice_ref=payload.invoice_ref,
        occurred_at=_aware(payload.occurred_at, "occurred_at"),
        labels=payload.labels or None,
        backdate_reason=payload.backdate_reason,
        quarantine_reason=payload.quarantine_reason,
    )
    return Status(201, receipt)


@router.post("/administrations", response={201: AdministrationOut, **ERRORS}, summary="Record an administration")
@idempotent(AdministrationOut)
def create_administration(  # type: ignore[no-untyped-def]
    request: AuthedRequest, payload: AdministrationIn, idempotency_key: IdempotencyKey
):
    _require(request.user, "ledger.record")
    container = queries.get_container_for_user(request.user, payload.container_id)
    patient = get_patient_for_user(request.user, payload.patient_id)
    occurred_at = _aware(payload.occurred_at, "occurred_at")
    needs_witness = payload.drawn_ml is not None and payload.drawn_ml > payload.quantity_ml
    if needs_witness and payload.witness is None:
        raise HttpError(422, "witness: more was drawn than given, so the waste needs a witness.")
    result = ledger.administer(
        by=request.user,
        container=container,
        patient=patient,
        quantity_ml=payload.quantity_ml,
        drawn_ml=payload.drawn_ml,
        occurred_at=occurred_at,
        session_reference=payload.session_reference,
        waste_manner=payload.waste_manner,
        backdate_reason=payload.backdate_reason,
        witness=_witness(request, payload.witness, container.location) if needs_witness else None,
    )
    return Status(201, result)


@router.post("/wastes", response={201: EntryOut, **ERRORS}, summary="Record a witnessed waste")
@idempotent(EntryOut)
def create_waste(request: AuthedRequest, payload: WasteIn, idempotency_key: IdempotencyKey):  # type: ignore[no-untyped-def]
    _require(request.user, "ledger.record")
    container = queries.get_container_for_user(request.user, payload.container_id)
    if not payload.close and payload.quantity_ml is None:
        raise HttpError(422, "quantity_ml: give the quantity wasted, or close: true to waste the remainder.")
    entry = ledger.waste(
        by=request.user,
        container=container,
        quantity_ml=payload.quantity_ml if payload.quantity_ml is not None else Decimal("0"),
        close=payload.close,
        manner=payload.manner,
        reason=payload.reason,
        occurred_at=_aware(payload.occurred_at, "occurred_at"),
        backdate_reason=payload.backdate_reason,
        witness=_witness(request, payload.witness, container.location),
    )
    return Status(201, entry)


__all__ = ["Kind", "router"]
