"""/api/v1/patients: list/search, create, read, update (CONTRACTS §3). Every read is audited."""

import datetime as dt
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.api.pagination import BoundedLimitOffsetPagination
from ketaclinic.api.schemas import NO_NUL_PATTERN, BodyIn, ErrorOut, Id, IsoDate
from ketaclinic.audit import services as audit
from ketaclinic.patients import services
from ketaclinic.patients.models import Patient
from ketaclinic.patients.queries import AllergyStatus, allergy_status, get_patient_for_user, patients_visible_to, search

router = Router()

Sex = Literal["female", "male", "unknown"]


class PatientOut(Schema):
    id: int
    mrn: str
    given_name: str
    family_name: str
    preferred_name: str
    date_of_birth: dt.date
    sex: str
    phone: str
    email: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    emergency_contact_name: str
    emergency_contact_phone: str
    emergency_contact_relationship: str
    location_id: int
    primary_clinician_id: int | None
    version: int
    allergy_status: Literal["allergies", "nkda", "not_recorded"] | None = Field(
        None,
        description="Read-only. 'allergies': at least one current allergy; 'nkda': a current 'no known drug "
        "allergies' statement; 'not_recorded': nobody has recorded either (a caution, not a reassurance). Null for "
        "roles that may not see clinical data (front desk).",
    )
    nkda: bool | None = Field(
        None,
        description="Read-only. True when the chart carries a current 'no known drug allergies' (NKDA) statement. "
        "Null for roles that may not see clinical data.",
    )
    nkda_recorded_at: dt.datetime | None = Field(None, description="Read-only. When the NKDA statement was recorded.")
    nkda_recorded_by_id: int | None = Field(None, description="Read-only. Who recorded the NKDA statement.")

    @staticmethod
    def _allergies(obj: Patient, context: dict[str, Any] | None) -> AllergyStatus | None:
        request = (context or {}).get("request")
        user = getattr(request, "user", None)
        if user is None or not role_can(user.role, "clinical.view"):
            return None
        cached: AllergyStatus | None = getattr(obj, "_api_allergy_status", None)
        if cached is None:
            cached = allergy_status(obj)
            obj._api_allergy_status = cached  # type: ignore[attr-defined]  # four fields, two queries
        return cached

    @staticmethod
    def resolve_allergy_status(obj: Patient, context: dict[str, Any] | None) -> str | None:
        status = PatientOut._allergies(obj, context)
        return status.state if status is not None else None

    @staticmethod
    def resolve_nkda(obj: Patient, context: dict[str, Any] | None) -> bool | None:
        status = PatientOut._allergies(obj, context)
        return status.state == "nkda" if status is not None else None

    @staticmethod
    def resolve_nkda_recorded_at(obj: Patient, context: dict[str, Any] | None) -> dt.datetime | None:
        status = PatientOut._allergies(obj, context)
        return status.nkda.recorded_at if status is not None and status.nkda is not None else None

    @staticmethod
    def resolve_nkda_recorded_by_id(obj: Patient, context: dict[str, Any] | None) -> int | None:
        status = PatientOut._allergies(obj, context)
        return status.nkda.recorded_by_id if status is not None and status.nkda is not None else None


class PatientIn(BodyIn):
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    preferred_name: str = Field("", max_length=100)
    date_of_birth: IsoDate
    sex: Sex
    phone: str = Field("", max_length=30)
    email: str = Field("", max_length=254)
    address_line1: str = Field("", max_length=200)
    address_line2: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    state: str = Field("", max_length=2)
    postal_code: str = Field("", max_length=10)
    emergency_contact_name: str = Field("", max_length=200)
    emergency_contact_phone: str = Field("", max_length=30)
    emergency_contact_relationship: str = Field("", max_length=60)
    location_id: Id
    primary_clinician_id: Id | None = None


class PatientPatch(BodyIn):
    """Only the fields given change; none of them may be null (left out means unchanged)."""

    given_name: str = Field(None, min_length=1, max_length=100)  # type: ignore[assignment]
    family_name: str = Field(None, min_length=1, max_length=100)  # type: ignore[assignment]
    preferred_name: str = Field(None, max_length=100)  # type: ignore[assignment]
    date_of_birth: IsoDate = None  # type: ignore[assignment]
    sex: Sex = None  # type: ignore[assignment]
    phone: str = Field(None, max_length=30)  # type: ignore[assignment]
    email: str = Field(None, max_length=254)  # type: ignore[assignment]
    address_line1: str = Field(None, max_length=200)  # type: ignore[assignment]
    address_line2: str = Field(None, max_length=200)  # type: ignore[assignment]
    city: str = Field(None, max_length=100)  # type: ignore[assignment]
    state: str = Field(None, max_length=2)  # type: ignore[assignment]
    postal_code: str = Field(None, max_length=10)  # type: ignore[assignment]
    emergency_contact_name: str = Field(None, max_length=200)  # type: ignore[assignment]
    emergency_contact_phone: str = Field(None, max_length=30)  # type: ignore[assignment]
    emergency_contact_relationship: str = Field(None, max_length=60)  # type: ignore[assignment]
    expected_version: Id | None = Field(None, description="The version you read; a newer one on the server is 409.")


class PatientFilter(Schema):
    q: str = Field(
        "",
        max_length=100,
        pattern=NO_NUL_PATTERN,
        description="Name parts, MRN, or date of birth (YYYY-MM-DD or MM/DD/YYYY).",
    )


def _require(user: User, capability: str) -> None:
    if not role_can(user.role, capability):
        raise HttpError(403, f"Your role does not allow this ({capability}).")


def _clinician(user: User, clinician_id: int | None) -> User | None:
    if clinician_id is None:
        return None
    clinician = User.objects.filter(pk=clinician_id, clinic=user.clinic, is_active=True).first()
    if clinician is None:
        raise HttpError(422, "primary_clinician_id: no active clinician with that id in your clinic.")
    return clinician


@router.get(
    "/",
    response={200: list[PatientOut], 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="List or search patients",
)
@paginate(BoundedLimitOffsetPagination)
def list_patients(request: AuthedRequest, filters: Query[PatientFilter]):  # type: ignore[no-untyped-def]
    _require(request.user, "patient.view")
    audit.record(actor=request.user, action="api.patient.search", detail={"query_length": len(filters.q)})
    return search(patients_visible_to(request.user), filters.q).order_by("family_name", "given_name", "pk")


@router.post(
    "/",
    response={201: PatientOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Register a patient",
)
def create_patient(request: AuthedRequest, payload: PatientIn):  # type: ignore[no-untyped-def]
    _require(request.user, "patient.create")
    location = Location.objects.filter(pk=payload.location_id, users=request.user).first()
    if location is None:
        raise HttpError(422, "location_id: not one of your locations.")
    data = payload.model_dump(exclude={"location_id", "primary_clinician_id"})
    patient = services.create_patient(
        by=request.user,
        location=location,
        data=data,
        primary_clinician=_clinician(request.user, payload.primary_clinician_id),
    )
    return Status(201, patient)


@router.get(
    "/{patient_id}",
    response={200: PatientOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Read one patient",
)
def read_patient(request: AuthedRequest, patient_id: int):  # type: ignore[no-untyped-def]
    _require(request.user, "patient.view")
    patient = get_patient_for_user(request.user, patient_id)
    audit.record(actor=request.user, action="api.patient.read", obj=patient, patient_id=patient.pk)
    return patient


@router.patch(
    "/{patient_id}",
    response={
        200: PatientOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Change a patient's demographics",
)
def update_patient(request: AuthedRequest, patient_id: int, payload: PatientPatch):  # type: ignore[no-untyped-def]
    _require(request.user, "patient.edit")
    patient = get_patient_for_user(request.user, patient_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"expected_version"})
    if payload.expected_version is not None and payload.expected_version != patient.version:
        raise HttpError(409, "This patient was changed since you read it (version mismatch); read it again.")
    return services.update_patient(
        by=request.user, patient=patient, changes=changes, expected_version=payload.expected_version
    )


__all__ = ["Patient", "router"]
