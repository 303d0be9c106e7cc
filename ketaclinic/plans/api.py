"""/api/v1/plans: plans, versions, signing, orders and the PK preview (issue 6). Reads are audited."""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Strict

from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.api.schemas import BodyIn, DecimalText, ErrorOut, IsoDate
from ketaclinic.audit import services as audit
from ketaclinic.domain import body
from ketaclinic.patients.queries import get_patient_for_user
from ketaclinic.plans import preview as pk_preview
from ketaclinic.plans import services
from ketaclinic.plans.evaluation import PlanInput
from ketaclinic.plans.models import PlanVersion, SessionOrder
from ketaclinic.plans.queries import get_version_for_user

router = Router()


class PlanIn(BodyIn):
    indication: str = Field(max_length=60)
    protocol_id: str = Field(max_length=60)
    start_date: IsoDate
    dose_mode: Literal["mg_per_kg", "fixed_mg"] = "mg_per_kg"
    dose_mg_per_kg: DecimalText | None = Field(None, gt=0, le=50, max_digits=6, decimal_places=3)
    fixed_dose_mg: DecimalText | None = Field(None, gt=0, le=5000, max_digits=7, decimal_places=1)
    dosing_weight_basis: Literal["", "total", "ideal", "adjusted"] = ""
    infusion_duration_min: int | None = Field(None, ge=1, le=1440)
    premedication: str = Field("", max_length=500)
    sessions_planned: int | None = Field(None, ge=1, le=60)
    sessions_per_week: int | None = Field(None, ge=1, le=7)
    concentration_mg_per_ml: DecimalText | None = Field(None, gt=0, le=1000, max_digits=6, decimal_places=2)
    bag_volume_ml: DecimalText | None = Field(None, gt=0, le=1000, max_digits=6, decimal_places=1)
    overrides: dict[str, str] = Field(default_factory=dict, description="Finding code → written reason.")


class FindingOut(Schema):
    code: str
    severity: str
    message: str
    source: str
    override_reason: str
    blocking: bool


class PlanVersionOut(Schema):
    id: int
    plan_id: int
    version: int
    status: str
    indication: str
    protocol_id: str
    route: str
    dose_mg: DecimalText
    first_dose_mg: DecimalText | None
    dose_mg_per_kg: DecimalText | None
    dosing_weight_kg: DecimalText | None
    infusion_duration_min: int | None
    start_date: dt.date
    sessions_planned: int
    schedule: list[dict[str, Any]]
    findings: list[FindingOut]
    signed_by_id: int | None
    signed_at: dt.datetime | None
    cosigned_by_id: int | None = Field(
        None,
        description="Read-only. The second prescriber who co-signed a dose above the protocol's range "
        "(re-authenticated with password and one-time code); null when no co-signature was needed.",
    )
    cosigned_at: dt.datetime | None = Field(None, description="Read-only. When the co-signature was given.")
    supersedes_id: int | None
    change_reason: str


class OrderOut(Schema):
    session_number: int
    target_date: dt.date
    route: str
    dose_mg: DecimalText
    concentration_mg_per_ml: DecimalText | None
    drug_volume_ml: DecimalText | None
    duration_min: int | None
    rate_mg_per_h: DecimalText | None
    bag_volume_ml: DecimalText | None
    pump_rate_ml_per_h: DecimalText | None
    devices: int | None
    status: str


class PreviewIn(BodyIn):
    route: Literal["iv", "im", "intranasal", "oral", "sublingual", "intranasal_esketamine"]
    dose_mg: float = Field(gt=0, le=2000)
    # 0 (or left out) is a bolus; an infusion takes what a plan takes (PlanIn.infusion_duration_min: 1-1440 min).
    # Strict: JSON true/false are not durations (a fuzzer sent `false` and got a bolus preview).
    duration_min: (
        Annotated[float, Field(ge=0, le=0), Strict()] | Annotated[float, Field(ge=1, le=1440), Strict()] | None
    ) = None
    # The weights and heights a chart accepts (domain.body, the patient's measurements): no other body is planned for.
    weight_kg: float = Field(ge=float(body.MIN_WEIGHT_KG), le=float(body.MAX_WEIGHT_KG))
    age_years: float | None = Field(None, ge=0, le=120)
    sex: Literal["male", "female", "unknown"] | None = None
    height_cm: float | None = Field(None, ge=float(body.MIN_HEIGHT_CM), le=float(body.MAX_HEIGHT_CM))
    ke0_per_min: float | None = Field(None, gt=0, le=10)
    ancestry: Literal["", "japanese", "asian", "other"] = Field(
        "", description="Esketamine covariates (Perez-Ruixo 2021): Asian, Japanese (FRn × 1.34); '' = not recorded."
    )


class PreviewOut(Schema):
    model: str
    citation: str
    typical: dict[str, float]
    population: dict[str, dict[str, float]]
    comparison: list[dict[str, Any]]
    notes: list[str]
    effect_site: bool
    sampling_site: str | None = None  # "venous", "arterial" or null (the model's source does not say)
    uncertain: bool = False  # the prediction misses a measured reference (the notes give the measured values)


def _require(request: AuthedRequest, capability: str) -> None:
    if not role_can(request.user.role, capability):
        raise HttpError(403, f"Your role does not allow this ({capability}).")


@router.get(
    "/patients/{patient_id}",
    response={200: list[PlanVersionOut], 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="A patient's plan versions",
)
def list_versions(request: AuthedRequest, patient_id: int):  # type: ignore[no-untyped-def]
    _require(request, "plans.view")
    patient = get_patient_for_user(request.user, patient_id)
    audit.record(actor=request.user, action="api.plan.list", patient_id=patient.pk)
    return PlanVersion.objects.filter(plan__patient=patient).order_by("-plan__created_at", "-version")


@router.post(
    "/patients/{patient_id}",
    response={201: PlanVersionOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Create a draft plan",
)
def create_plan(request: AuthedRequest, patient_id: int, payload: PlanIn):  # type: ignore[no-untyped-def]
    _require(request, "plans.write")
    patient = get_patient_for_user(request.user, patient_id)
    data = PlanInput(**payload.model_dump())
    return Status(201, services.save_draft(by=request.user, patient=patient, data=data))


@router.get(
    "/versions/{version_id}",
    response={200: PlanVersionOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="One plan version",
)
def read_version(request: AuthedRequest, version_id: int):  # type: ignore[no-untyped-def]
    _require(request, "plans.view")
    version = get_version_for_user(request.user, version_id)
    audit.record(actor=request.user, action="api.plan.read", obj=version, patient_id=version.plan.patient_id)
    return version


@router.post(
    "/versions/{version_id}/sign",
    response={200: PlanVersionOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Sign (lock) a draft",
)
def sign_version(request: AuthedRequest, version_id: int):  # type: ignore[no-untyped-def]
    _require(request, "plans.sign")
    version = get_version_for_user(request.user, version_id)
    return services.sign(by=request.user, version=version)


@router.get(
    "/versions/{version_id}/orders",
    response={200: list[OrderOut], 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Session orders",
)
def list_orders(request: AuthedRequest, version_id: int):  # type: ignore[no-untyped-def]
    _require(request, "plans.view")
    version = get_version_for_user(request.user, version_id)
    audit.record(actor=request.user, action="api.plan.orders", obj=version, patient_id=version.plan.patient_id)
    return SessionOrder.objects.filter(plan_version=version).order_by("session_number")


@router.post(
    "/pk-preview",
    response={200: PreviewOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Predicted concentrations of one session (no patient data stored)",
)
def pk_preview_endpoint(request: HttpRequest, payload: PreviewIn):  # type: ignore[no-untyped-def]
    _require(request, "plans.view")  # type: ignore[arg-type]
    try:
        result = pk_preview.preview(**payload.model_dump())
    except ValueError as error:
        raise HttpError(422, str(error)) from None
    return result.as_dict()
