"""A referral from another clinician's system lands in the triage queue as a consultation request (issue 20).

The caller (the FHIR layer, which parses the referral Bundle) hands over a ``Referral`` in the intake app's own
terms: this module knows no FHIR. One atomic, audited write: the request (source "fhir", the referrer, the reason,
the medications and allergies the referrer listed), its documents (stored like the chart's documents, the same
content and size checks), and its first history event. Possible existing patients are flagged as on the public form
(``find_duplicates``), never refused: triage links the request to the existing chart or confirms a new person.
A refusal (role, location, a bad field, a bad document) writes nothing, not even a file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import Location, User
from ketaclinic.audit import services as audit
from ketaclinic.documents import files
from ketaclinic.domain import prescreen
from ketaclinic.intake.models import ConsultationDocument, ConsultationEvent, ConsultationRequest
from ketaclinic.intake.services.common import require, require_location
from ketaclinic.intake.services.consultation import (
    Duplicates,
    _age_years,
    _new_reference,
    _validate_request,
    find_duplicates,
)
from ketaclinic.patients.uploads import check_file

REASON_MAX_CHARS = 4000
MAX_DOCUMENTS = 10
MAX_LISTED = 50  # medications or allergies: a referral lists what the patient takes, not a pharmacy's history
#: The FHIR-source requests skip the public rate limit (a signed-in clinician's token, audited) and the honeypot.
SOURCE = ConsultationRequest.Source.FHIR


@dataclass(frozen=True)
class ReferralDocument:
    title: str
    content: bytes


@dataclass(frozen=True)
class Referral:
    """A referral in the intake app's terms. ``sex`` is sex assigned at birth (female, male, unknown);
    ``pregnancy`` is no, yes or unsure (unsure when the referral does not say: a clinician then reviews it)."""

    given_name: str
    family_name: str
    date_of_birth: dt.date
    concern: str
    referrer: Mapping[str, str]
    sex: str = "unknown"
    phone: str = ""
    email: str = ""
    pain_type: str = ""
    reason: str = ""
    details: str = ""
    pregnancy: str = "unsure"
    identifier: str = ""
    medications: Sequence[Mapping[str, str]] = ()
    allergies: Sequence[Mapping[str, str]] = ()
    documents: Sequence[ReferralDocument] = field(default_factory=tuple)


@dataclass(frozen=True)
class Received:
    request: ConsultationRequest
    duplicates: Duplicates


def _check(referral: Referral) -> None:
    errors: dict[str, str] = {}
    if not (referral.referrer.get("name") or "").strip():
        errors["referrer"] = "Name the referring clinician (who the clinic answers)."
    if len(referral.reason) > REASON_MAX_CHARS:
        errors["reason"] = f"Keep the reason for referral under {REASON_MAX_CHARS} characters."
    if len(referral.documents) > MAX_DOCUMENTS:
        errors["documents"] = f"At most {MAX_DOCUMENTS} documents per referral ({len(referral.documents)} sent)."
    if len(referral.medications) > MAX_LISTED or len(referral.allergies) > MAX_LISTED:
        errors["medications"] = f"At most {MAX_LISTED} medications and {MAX_LISTED} allergies per referral."
    for index, document in enumerate(referral.documents):
        try:
            check_file(document.content, field=f"documents[{index}]")
        except ValidationError as exc:
            errors.update({name: messages[0] for name, messages in exc.message_dict.items()})
        if not document.title.strip() or len(document.title) > 200:
            errors[f"documents[{index}].title"] = "Give each document a title of at most 200 characters."
    if errors:
        raise ValidationError(errors)


def _clean(items: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    return [{key: str(value)[:200] for key, value in item.items() if value} for item in items]


@transaction.atomic
def receive_referral(*, by: User, location: Location, referral: Referral) -> Received:
    """Store the referral as a new consultation request at ``location`` (the token owner must work there)."""
    require(by, "consultation.triage")
    require_location(by, location)
    _check(referral)
    request = ConsultationRequest(
        location=location,
        client_hash="",
        source=SOURCE,
        given_name=referral.given_name,
        family_name=referral.family_name,
        date_of_birth=referral.date_of_birth,
        sex=referral.sex,
        email=referral.email,
        phone=referral.phone,
        preferred_contact_method="phone" if referral.phone.strip() else "email",
        concern=referral.concern,
        pain_type=referral.pain_type,
        details=referral.details,
        # The referral does not ask the public form's questions: "unsure" until the consultation asks.
        antidepressants_tried=ConsultationRequest.AntidepressantsTried.UNSURE,
        # Under the referrer's care for the condition referred (mental-health care when it is depression).
        in_psychiatric_care=referral.concern == ConsultationRequest.Concern.DEPRESSION,
        in_medical_care=True,
        contraindications=[],
        pregnancy=referral.pregnancy,
        # A clinician referred the patient with the patient's agreement; the clinic contacts them to book.
        consent_to_contact=True,
        referrer={key: str(value)[:200] for key, value in referral.referrer.items() if value},
        referral_reason=referral.reason.strip(),
        referral_medications=_clean(referral.medications),
        referral_allergies=_clean(referral.allergies),
        referral_identifier=referral.identifier[:200],
    )
    _validate_request(request)
    flags = prescreen.red_flags(
        answered_yes=[],
        pregnancy=request.pregnancy,
        age_years=_age_years(request.date_of_birth, timezone.localdate()),
    )
    request.red_flags = [{"code": f.code, "level": f.level, "message": f.message} for f in flags]
    request.needs_clinical_review = bool(flags)
    request.reference = _new_reference()
    request.save(force_insert=True)
    written: list[str] = []
    try:
        for document in referral.documents:
            content_type = files.sniff(document.content) or ""
            name = files.store(document.content, extension=files.EXTENSIONS[content_type])
            written.append(name)
            ConsultationDocument.objects.create(
                request=request,
                title=" ".join(document.title.split()),
                file_name=name,
                sha256=files.sha256(document.content),
                content_type=content_type,
                size_bytes=len(document.content),
            )
        duplicates = find_duplicates(request, by)
        matches = len(duplicates.visible) + duplicates.elsewhere
        note = f"Referred by {request.referrer['name']} (FHIR)."
        if matches:
            note += f" Possible existing patient: {matches} match{'es' if matches > 1 else ''}."
        ConsultationEvent.objects.create(request=request, actor=by, action="referred", to_status="new", note=note)
        audit.record(
            actor=by,
            action="consultation.referral",
            obj=request,
            detail=_audit_detail(request, flags, matches, written),
        )
    except Exception:
        for name in written:
            files.discard(name)
        raise
    return Received(request=request, duplicates=duplicates)


def _audit_detail(
    request: ConsultationRequest, flags: Sequence[Any], matches: int, written: list[str]
) -> dict[str, Any]:
    return {
        "location": request.location_id,
        "referrer_npi": request.referrer.get("npi", ""),
        "red_flags": [flag.code for flag in flags],
        "possible_duplicates": matches,
        "documents": len(written),
    }


def documents_of(request: ConsultationRequest) -> list[ConsultationDocument]:
    return list(request.documents.all())


def read_document(document: ConsultationDocument) -> bytes:
    return files.read(document.file_name)
