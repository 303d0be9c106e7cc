"""Consultation requests: the public submission (rate limit, honeypot, red flags, confirmation e-mail) and triage.

Every write is keyword-only, atomic and audited, and appends a ``ConsultationEvent`` so each request carries its own
history. A red flag from the pre-screen never rejects: it marks the request for clinical review, and a request may be
declined as clinically unsuitable only after a clinician has reviewed it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import Location, User
from ketaclinic.audit import refusals
from ketaclinic.audit import services as audit
from ketaclinic.documents import files
from ketaclinic.domain import prescreen
from ketaclinic.intake.models import ConsultationDocument, ConsultationEvent, ConsultationRequest
from ketaclinic.intake.services.common import require, require_location
from ketaclinic.locking import lock
from ketaclinic.patients import services as patients
from ketaclinic.patients import uploads
from ketaclinic.patients.models import ChartDocument, Patient
from ketaclinic.patients.queries import patients_visible_to

Status = ConsultationRequest.Status

REQUEST_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "email",
    "phone",
    "preferred_contact_method",
    "preferred_contact_time",
    "concern",
    "pain_type",
    "details",
    "antidepressants_tried",
    "in_psychiatric_care",
    "in_medical_care",
    "contraindications",
    "pregnancy",
    "consent_to_contact",
)
DETAILS_MAX_CHARS = 2000
NOTE_MAX_CHARS = 2000
OLDEST_AGE_YEARS = 120  # data-entry check, as for patients: a birth year more than 120 years ago is a typing mistake
# Triage moves (issue 5: new → contacted → consultation booked → converted / declined). Conversion is its own service.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.CONTACTED, Status.BOOKED, Status.DECLINED}),
    Status.CONTACTED: frozenset({Status.BOOKED, Status.DECLINED}),
    Status.BOOKED: frozenset({Status.CONTACTED, Status.DECLINED}),
}
CONVERTIBLE = frozenset({Status.CONTACTED, Status.BOOKED})
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read out over the phone


class RateLimited(ServiceError):
    """Too many requests from one client address in the window; nothing was stored."""


@dataclass(frozen=True)
class Submission:
    """What the public sees (a reference) and what was stored (``None`` for a honeypot hit)."""

    reference: str
    request: ConsultationRequest | None


def client_hash(ip_address: str | None) -> str:
    """Salted SHA-256 (an HMAC keyed by the secret key) of the client address: countable, not reversible."""
    return salted_hmac("ketaclinic.intake.client", ip_address or "unknown", algorithm="sha256").hexdigest()


def _new_reference() -> str:
    for _ in range(20):
        reference = "C-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(7))
        if not ConsultationRequest.objects.filter(reference=reference).exists():
            return reference
    raise RuntimeError("could not find a free reference")  # pragma: no cover (32^7 references)


HONEYPOT_ACTION = "consultation.honeypot"
RATE_LIMITED_ACTION = "consultation.rate_limited"


def refusal_client(digest: str) -> str:
    """The key of this address in the audit log's refusal counters (the first 16 hex digits of ``client_hash``)."""
    return digest[:16]


def over_limit(digest: str) -> bool:
    """Stored requests plus honeypot hits from this address in the window (issue 13, defect 7: a robot filling the
    honeypot is throttled like a person, so its posts cost one counter row per minute, not one audit row each)."""
    since = timezone.now() - dt.timedelta(minutes=settings.KETACLINIC_CONSULTATION_RATE_WINDOW_MIN)
    stored = ConsultationRequest.objects.filter(client_hash=digest, submitted_at__gte=since).count()
    trapped = refusals.refusals_since(client=refusal_client(digest), since=since, actions=[HONEYPOT_ACTION])
    return stored + trapped >= settings.KETACLINIC_CONSULTATION_RATE_LIMIT


def _age_years(dob: dt.date, today: dt.date) -> int:
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


def _validate_request(request: ConsultationRequest) -> None:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for name in ("given_name", "family_name", "email", "phone", "details"):
        setattr(request, name, (getattr(request, name) or "").strip())
    request.email = request.email.lower()
    today = timezone.localdate()
    dob = request.date_of_birth
    if isinstance(dob, dt.date) and dob > today:
        add("date_of_birth", "The date of birth is in the future.")
    elif isinstance(dob, dt.date) and today.year - dob.year > OLDEST_AGE_YEARS:
        add("date_of_birth", f"The date of birth is more than {OLDEST_AGE_YEARS} years ago.")
    if not request.consent_to_contact:
        add("consent_to_contact", "We can only answer if you agree that we contact you.")
    if not request.email and not request.phone:
        add("phone", "Give a phone number or an e-mail address so we can reach you.")
    if request.preferred_contact_method == "email" and not request.email:
        add("email", "You asked us to e-mail you: give an e-mail address.")
    if request.preferred_contact_method in ("phone", "text") and not request.phone:
        add("phone", "You asked us to call or text you: give a phone number.")
    if request.concern == "pain" and not request.pain_type:
        add("pain_type", "Tell us which kind of pain.")
    if request.concern != "pain":
        request.pain_type = ""
    if len(request.details) > DETAILS_MAX_CHARS:
        add("details", f"Keep this under {DETAILS_MAX_CHARS} characters.")
    keys = request.contraindications
    if not isinstance(keys, list) or any(key not in {q.key for q in prescreen.QUESTIONS} for key in keys):
        add("contraindications", "Choose only from the listed conditions.")
    try:
        request.full_clean(exclude=["reference", "client_hash", "location"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                add(field, message)
    if errors:
        raise ValidationError(errors)


def _confirmation_mail(reference: str, address: str, method: str) -> None:
    send_mail(
        subject=f"We received your consultation request ({reference})",
        message=(
            f"Thank you. We received your request for a consultation; your reference is {reference}.\n\n"
            f"Someone from our team will contact you ({method.lower()}) to talk about next steps. A clinician reviews "
            "every request before any treatment is considered.\n\n"
            "If you are in crisis or thinking about harming yourself, call or text "
            f"{settings.KETACLINIC_CRISIS_LINE} ({settings.KETACLINIC_CRISIS_LINE_NAME}) "
            f"or call {settings.KETACLINIC_EMERGENCY_NUMBER} now. Please do not reply to this e-mail with medical "
            "details.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[address],
    )


@transaction.atomic
def _create_request(*, data: Mapping[str, Any], location: Location, digest: str) -> ConsultationRequest:
    unknown = set(data) - set(REQUEST_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Unknown field."))
    values = dict(data)
    values["contraindications"] = sorted(set(values.get("contraindications") or []))
    request = ConsultationRequest(location=location, client_hash=digest, **values)
    _validate_request(request)
    flags = prescreen.red_flags(
        answered_yes=request.contraindications,
        pregnancy=request.pregnancy,
        age_years=_age_years(request.date_of_birth, timezone.localdate()),
    )
    request.red_flags = [{"code": f.code, "level": f.level, "message": f.message} for f in flags]
    request.needs_clinical_review = bool(flags)
    request.reference = _new_reference()
    request.save(force_insert=True)
    ConsultationEvent.objects.create(request=request, action="submitted", to_status=Status.NEW)
    audit.record(
        actor=None,
        action="consultation.submit",
        obj=request,
        detail={"location": location.pk, "red_flags": [flag.code for flag in flags]},
    )
    if request.email:
        reference, address, method = request.reference, request.email, request.get_preferred_contact_method_display()
        transaction.on_commit(lambda: _confirmation_mail(reference, address, method))
    return request


def refuse_if_over_limit(client_ip: str | None) -> None:
    """Raise ``RateLimited`` (audited as a refusal) when this address has sent too many requests in the window. A view
    that runs ``submit_request`` inside its own transaction (the one-time token) calls this first, outside it, so the
    refusal's audit row is not rolled back with the refused write."""
    digest = client_hash(client_ip)
    if over_limit(digest):
        client = refusal_client(digest)
        refusals.note(action=RATE_LIMITED_ACTION, client=client, detail={"client": client})
        raise RateLimited(
            "We have received several requests from your connection in a short time. Please try again later, or "
            "call the clinic."
        )


def submit_request(
    *, data: Mapping[str, Any], location: Location | None, client_ip: str | None, honeypot: str = ""
) -> Submission:
    """Store a request from the public form or API; a honeypot hit looks the same to the sender but stores nothing.

    Raises ``RateLimited`` (nothing stored) past ``KETACLINIC_CONSULTATION_RATE_LIMIT`` requests per client address
    in ``KETACLINIC_CONSULTATION_RATE_WINDOW_MIN`` minutes (honeypot hits count too, and are refused the same way past
    the limit), and ``ValidationError`` naming each bad field. Refusals are audited (outcome denied) outside the
    write's transaction, so the audit row survives the refusal; repeats from one address within a minute are counted,
    not written one by one (``ketaclinic.audit.refusals``).
    """
    refuse_if_over_limit(client_ip)
    digest = client_hash(client_ip)
    client = refusal_client(digest)
    if honeypot.strip():
        refusals.note(action=HONEYPOT_ACTION, client=client, detail={"client": client})
        return Submission(reference=_new_reference(), request=None)
    if location is None or not location.is_active:
        raise ValidationError({"location": "Choose one of our locations."})
    request = _create_request(data=data, location=location, digest=digest)
    return Submission(reference=request.reference, request=request)


def _lock(request: ConsultationRequest, expected_version: int | None) -> ConsultationRequest:
    locked = lock(ConsultationRequest).get(pk=request.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ValidationError({"__all__": "Someone else changed this request while you were working; reload it."})
    return locked


def _save(locked: ConsultationRequest, fields: list[str]) -> None:
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save(update_fields=[*fields, "version", "updated_at"])


def _note(note: str) -> str:
    note = note.strip()
    if len(note) > NOTE_MAX_CHARS:
        raise ValidationError({"note": f"Keep the note under {NOTE_MAX_CHARS} characters."})
    return note


@transaction.atomic
def change_status(
    *,
    by: User,
    request: ConsultationRequest,
    to_status: str,
    note: str = "",
    consultation_at: dt.datetime | None = None,
    decline_reason: str = "",
    expected_version: int | None = None,
) -> ConsultationRequest:
    """Move a request along the triage path; booking needs a time, declining a reason (a clinical one only after a
    clinician's review)."""
    require(by, "consultation.triage")
    require_location(by, request.location)
    locked = _lock(request, expected_version)
    note = _note(note)
    allowed = TRANSITIONS.get(locked.status, frozenset())
    if to_status not in allowed:
        raise ValidationError(
            {"status": f"A request that is {locked.get_status_display().lower()} cannot move to {to_status!r}."}
        )
    fields = ["status"]
    if to_status == Status.BOOKED:
        if consultation_at is None:
            raise ValidationError({"consultation_at": "Give the date and time of the booked consultation."})
        locked.consultation_at = consultation_at
        fields.append("consultation_at")
    if to_status == Status.DECLINED:
        if decline_reason not in ConsultationRequest.DeclineReason.values:
            raise ValidationError({"decline_reason": "Say why the request is declined."})
        if decline_reason == "clinically_unsuitable" and not locked.is_clinically_reviewed:
            raise ValidationError(
                {"decline_reason": "Only a clinician decides that someone is not a candidate: ask for a review."}
            )
        if decline_reason == "other" and not note:
            raise ValidationError({"note": "Say why the request is declined."})
        locked.decline_reason = decline_reason
        fields.append("decline_reason")
    previous = locked.status
    locked.status = to_status
    _save(locked, fields)
    ConsultationEvent.objects.create(
        request=locked, actor=by, action="status", from_status=previous, to_status=to_status, note=note
    )
    audit.record(
        actor=by,
        action="consultation.status",
        obj=locked,
        detail={"from": previous, "to": to_status, "decline_reason": decline_reason or None},
    )
    return locked


@transaction.atomic
def add_note(*, by: User, request: ConsultationRequest, note: str) -> ConsultationEvent:
    require(by, "consultation.triage")
    require_location(by, request.location)
    note = _note(note)
    if not note:
        raise ValidationError({"note": "Write the note."})
    event = ConsultationEvent.objects.create(request=request, actor=by, action="note", note=note)
    audit.record(actor=by, action="consultation.note", obj=request)
    return event


@transaction.atomic
def record_clinical_review(*, by: User, request: ConsultationRequest, note: str) -> ConsultationRequest:
    """A clinician looks at the pre-screen (red flags in particular) and writes what should happen next."""
    require(by, "consultation.review")
    require_location(by, request.location)
    locked = _lock(request, None)
    note = _note(note)
    if not note:
        raise ValidationError({"note": "Write your review: what you saw and what should happen next."})
    locked.clinical_review_note = note
    locked.clinical_reviewed_by = by
    locked.clinical_reviewed_at = timezone.now()
    _save(locked, ["clinical_review_note", "clinical_reviewed_by", "clinical_reviewed_at"])
    ConsultationEvent.objects.create(request=locked, actor=by, action="clinical_review", note=note)
    audit.record(actor=by, action="consultation.clinical_review", obj=locked)
    return locked


@dataclass(frozen=True)
class Duplicates:
    """Existing patients who may be this person: those the user may see, and a count at other locations."""

    visible: list[Patient]
    elsewhere: int


def _matching_patients(request: ConsultationRequest) -> QuerySet[Patient]:
    same_person = Q(date_of_birth=request.date_of_birth) & (
        Q(family_name__iexact=request.family_name) | Q(given_name__iexact=request.given_name)
    )
    if request.email:
        same_person |= Q(email__iexact=request.email)
    return Patient.objects.filter(same_person, location__clinic_id=request.location.clinic_id, entered_in_error=False)


def find_duplicates(request: ConsultationRequest, user: User) -> Duplicates:
    """Patients with the same date of birth and family or given name, or the same e-mail, in the same clinic."""
    matches = _matching_patients(request)
    visible = list(matches.filter(pk__in=patients_visible_to(user).values("pk")).order_by("family_name", "pk"))
    return Duplicates(visible=visible, elsewhere=matches.count() - len(visible))


def patient_data_from(request: ConsultationRequest) -> dict[str, Any]:
    """What the conversion form starts with: everything the request already told us (no retyping)."""
    return {
        "given_name": request.given_name,
        "family_name": request.family_name,
        "date_of_birth": request.date_of_birth,
        "sex": request.sex,
        "phone": request.phone,
        "email": request.email,
    }


@transaction.atomic
def convert_request(
    *,
    by: User,
    request: ConsultationRequest,
    location: Location,
    data: Mapping[str, Any],
    primary_clinician: User | None = None,
    acknowledge_duplicates: bool = False,
    expected_version: int | None = None,
) -> Patient:
    """Register the person as a patient from the request (``data`` holds the patient fields, usually
    ``patient_data_from(request)`` as reviewed on the form) and close the request as converted."""
    require(by, "consultation.triage")
    require_location(by, request.location)
    locked = _lock(request, expected_version)
    if locked.status not in CONVERTIBLE:
        raise ValidationError(
            {
                "__all__": f"A request that is {locked.get_status_display().lower()} cannot be converted; contact the "
                "person first."
            }
        )
    duplicates = find_duplicates(locked, by)
    if (duplicates.visible or duplicates.elsewhere) and not acknowledge_duplicates:
        raise ValidationError(
            {
                "acknowledge_duplicates": "Possible existing patient: check the matches, link the request to the "
                "existing patient, or confirm this is a different person."
            }
        )
    patient = patients.create_patient(by=by, location=location, data=data, primary_clinician=primary_clinician)
    _file_referral_documents(by, locked, patient)
    previous = locked.status
    locked.status = Status.CONVERTED
    locked.patient = patient
    _save(locked, ["status", "patient"])
    ConsultationEvent.objects.create(
        request=locked, actor=by, action="converted", from_status=previous, to_status=Status.CONVERTED
    )
    audit.record(
        actor=by,
        action="consultation.convert",
        obj=locked,
        patient_id=patient.pk,
        detail={"duplicates_acknowledged": bool(duplicates.visible or duplicates.elsewhere)},
    )
    return patient


@transaction.atomic
def link_to_patient(*, by: User, request: ConsultationRequest, patient: Patient) -> ConsultationRequest:
    """The person is already a patient: close the request as converted to that patient (no duplicate chart)."""
    require(by, "consultation.triage")
    require_location(by, request.location)
    if not patients_visible_to(by).filter(pk=patient.pk).exists():
        raise PermissionDenied("You cannot see that patient.", field="patient")
    locked = _lock(request, None)
    if not locked.is_open:
        raise ValidationError({"__all__": "This request is already closed."})
    _file_referral_documents(by, locked, patient)
    previous = locked.status
    locked.status = Status.CONVERTED
    locked.patient = patient
    _save(locked, ["status", "patient"])
    ConsultationEvent.objects.create(
        request=locked,
        actor=by,
        action="linked",
        from_status=previous,
        to_status=Status.CONVERTED,
        note=f"Linked to existing patient {patient.mrn}.",
    )
    audit.record(actor=by, action="consultation.link", obj=locked, patient_id=patient.pk)
    return locked


def _file_referral_documents(by: User, request: ConsultationRequest, patient: Patient) -> None:
    """A FHIR referral's documents go onto the new or linked chart as referral letters (services/referral.py)."""
    from_referral = ConsultationDocument.objects.filter(request=request)
    for document in from_referral:
        uploads.upload_by_staff(
            by=by,
            patient=patient,
            content=files.read(document.file_name),
            kind=ChartDocument.Kind.REFERRAL_LETTER,
            title=document.title,
            document_date=document.received_at.date(),
        )
