"""/api/v1/intake: consultation requests (public create; staff list, read, update, convert), and the intake and
eligibility endpoints mounted from api_assessment.py and api_eligibility.py. Every read of patient data is audited."""

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.api.pagination import BoundedLimitOffsetPagination
from ketaclinic.api.schemas import ErrorOut
from ketaclinic.audit import services as audit
from ketaclinic.audit.middleware import client_ip
from ketaclinic.intake.api.assessment import router as assessment_router
from ketaclinic.intake.api.common import aware, require
from ketaclinic.intake.api.eligibility import router as eligibility_router
from ketaclinic.intake.api.schemas import (
    ConsultationConvertedOut,
    ConsultationConvertIn,
    ConsultationDetailOut,
    ConsultationFilter,
    ConsultationIn,
    ConsultationOut,
    ConsultationPatch,
    ConsultationReceiptOut,
)
from ketaclinic.intake.models import ConsultationRequest
from ketaclinic.intake.queries import get_request_for_user, requests_visible_to
from ketaclinic.intake.services import consultation

router = Router()

RECEIVED = "Thank you: we received your request and will contact you. A clinician reviews every request."
OPEN = ("new", "contacted", "booked")


@router.post(
    "/consultation-requests",
    auth=None,
    response={201: ConsultationReceiptOut, 400: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Request a consultation (public, no sign-in; rate-limited per client address)",
)
def create_consultation(request: HttpRequest, payload: ConsultationIn):  # type: ignore[no-untyped-def]
    location = Location.objects.filter(pk=payload.location_id, is_active=True).first()
    try:
        submission = consultation.submit_request(
            data=payload.model_dump(exclude={"location_id", "website"}),
            location=location,
            client_ip=client_ip(request),
            honeypot=payload.website,
        )
    except consultation.RateLimited as refused:
        raise HttpError(429, refused.message) from None
    return Status(201, {"reference": submission.reference, "message": RECEIVED})


@router.get(
    "/consultation-requests",
    response={200: list[ConsultationOut], 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="List consultation requests at your locations",
)
@paginate(BoundedLimitOffsetPagination)
def list_consultations(request: AuthedRequest, filters: Query[ConsultationFilter]):  # type: ignore[no-untyped-def]
    require(request.user, "consultation.triage")
    requests = requests_visible_to(request.user)
    if filters.status == "open":
        requests = requests.filter(status__in=OPEN)
    elif filters.status != "all":
        requests = requests.filter(status=filters.status)
    if filters.needs_review is not None:
        unreviewed = requests.filter(needs_clinical_review=True, clinical_reviewed_at__isnull=True)
        requests = unreviewed if filters.needs_review else requests.exclude(pk__in=unreviewed.values("pk"))
    audit.record(actor=request.user, action="api.consultation.list", detail={"status": filters.status})
    return requests.order_by("-submitted_at", "-pk")


def _detail(item: ConsultationRequest, user: User) -> dict[str, object]:
    duplicates = consultation.find_duplicates(item, user)
    return {
        **ConsultationOut.from_orm(item).dict(),
        "events": list(item.events.all()),
        "possible_duplicate_patient_ids": [patient.pk for patient in duplicates.visible],
        "possible_duplicates_elsewhere": duplicates.elsewhere,
    }


@router.get(
    "/consultation-requests/{request_id}",
    response={200: ConsultationDetailOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Read one consultation request with its history and possible duplicate patients",
)
def read_consultation(request: AuthedRequest, request_id: int):  # type: ignore[no-untyped-def]
    require(request.user, "consultation.triage")
    item = get_request_for_user(request.user, request_id)
    audit.record(actor=request.user, action="api.consultation.read", obj=item)
    return _detail(item, request.user)


@router.patch(
    "/consultation-requests/{request_id}",
    response={
        200: ConsultationDetailOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Triage a request: move its status (contacted, booked, declined) and/or add a note",
)
def update_consultation(request: AuthedRequest, request_id: int, payload: ConsultationPatch):  # type: ignore[no-untyped-def]
    require(request.user, "consultation.triage")
    item = get_request_for_user(request.user, request_id)
    if payload.expected_version is not None and payload.expected_version != item.version:
        raise HttpError(409, "This request was changed since you read it (version mismatch); read it again.")
    if payload.status is None:
        if not payload.note.strip():
            raise HttpError(422, "status: give a status to move to, or a note.")
        consultation.add_note(by=request.user, request=item, note=payload.note)
    else:
        if not item.is_open:
            raise HttpError(409, "This request is closed (converted or declined).")
        item = consultation.change_status(
            by=request.user,
            request=item,
            to_status=payload.status,
            note=payload.note,
            consultation_at=aware(payload.consultation_at),
            decline_reason=payload.decline_reason or "",
            expected_version=payload.expected_version,
        )
    item.refresh_from_db()
    return _detail(item, request.user)


@router.post(
    "/consultation-requests/{request_id}/convert",
    response={
        201: ConsultationConvertedOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Register the person as a patient from the request (no retyping) and close it as converted",
)
def convert_consultation(request: AuthedRequest, request_id: int, payload: ConsultationConvertIn):  # type: ignore[no-untyped-def]
    require(request.user, "consultation.triage")
    require(request.user, "patient.create")
    item = get_request_for_user(request.user, request_id)
    if item.status not in consultation.CONVERTIBLE:
        raise HttpError(409, "Only a request whose person was contacted or booked can be converted.")
    if payload.expected_version is not None and payload.expected_version != item.version:
        raise HttpError(409, "This request was changed since you read it (version mismatch); read it again.")
    location = Location.objects.filter(pk=payload.location_id, users=request.user).first()
    if location is None:
        raise HttpError(422, "location_id: not one of your locations.")
    clinician = None
    if payload.primary_clinician_id is not None:
        clinician = User.objects.filter(
            pk=payload.primary_clinician_id, clinic=request.user.clinic, is_active=True
        ).first()
        if clinician is None:
            raise HttpError(422, "primary_clinician_id: no active clinician with that id in your clinic.")
    patient = consultation.convert_request(
        by=request.user,
        request=item,
        location=location,
        data=consultation.patient_data_from(item),
        primary_clinician=clinician,
        acknowledge_duplicates=payload.acknowledge_duplicates,
        expected_version=payload.expected_version,
    )
    return Status(201, {"patient_id": patient.pk, "mrn": patient.mrn, "request_id": item.pk})


router.add_router("", assessment_router)
router.add_router("", eligibility_router)
