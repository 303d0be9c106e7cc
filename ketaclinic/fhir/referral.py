"""Referrals in: a referral Bundle (``transaction`` or ``collection``; CONTRACTS §9) parsed with the R4B models of
``fhir.resources`` (knowledge/interoperability.md) and turned into the intake app's ``Referral``.

What a referral holds: exactly one Patient and one ServiceRequest (the referral), the requester's Practitioner (or
Organization), and optionally Condition, MedicationStatement, AllergyIntolerance and DocumentReference (attachments
inline as base64 ``data``: PDF, JPEG or PNG). The location that receives it is named by the ServiceRequest's
``locationReference`` (``Location/<id>``, the ids of ``/fhir/r4/Location``). Anything else — another resource type,
a second Patient, a document by URL, a requester missing — is a 400 OperationOutcome that says what to fix.

The intended use (``concern``) is read from the reason's codes with the code table of the interoperability notes
(SNOMED CT and ICD-10-CM for depression, fibromyalgia, CRPS and neuropathic pain); anything else is "something else"
and triage reads the reason as written.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from pydantic import ValidationError as PydanticError

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.audit.models import AuditEvent
from ketaclinic.fhir.http import FhirError
from ketaclinic.fhir.resources.directory import NPI_SYSTEM
from ketaclinic.intake.services import referral as referral_service
from ketaclinic.intake.services.referral import Referral, ReferralDocument

#: The intake API's capability for consultation requests (triage): who may put a request in the queue.
CAPABILITY = "consultation.triage"

BUNDLE_TYPES = ("transaction", "collection")
#: What a referral may hold; the requester's Practitioner/Organization name the referrer.
ENTRY_TYPES = frozenset(
    {
        "Patient",
        "ServiceRequest",
        "Practitioner",
        "Organization",
        "Condition",
        "MedicationStatement",
        "AllergyIntolerance",
        "DocumentReference",
    }
)
DOCUMENT_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
BIRTH_SEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
#: SNOMED CT 77386006 "Pregnancy" (finding): a Condition with it says the patient is pregnant.
PREGNANCY_SNOMED = "77386006"
#: Interoperability notes, code table: MDD 370143000 / F32.x, F33.x; fibromyalgia 203082005 / M79.7; CRPS 128200000 /
#: G90.5x, G56.4x, G57.7x; neuropathic pain 247398009.
SNOMED_CONCERNS = {
    "370143000": ("depression", ""),
    "203082005": ("pain", "fibromyalgia"),
    "128200000": ("pain", "crps"),
    "247398009": ("pain", "neuropathic_pain"),
}
ICD10_CONCERNS = (
    ("F32", ("depression", "")),
    ("F33", ("depression", "")),
    ("M79.7", ("pain", "fibromyalgia")),
    ("G90.5", ("pain", "crps")),
    ("G56.4", ("pain", "crps")),
    ("G57.7", ("pain", "crps")),
)


@dataclass(frozen=True)
class Parsed:
    referral: Referral
    location_id: int


def _bad(message: str) -> FhirError:
    return FhirError(400, "invalid", message)


def _validation_message(error: PydanticError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(part) for part in item["loc"] if part not in ("function-after", "function-wrap"))
        parts.append(f"{where}: {item['msg']}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def load(body: bytes) -> Any:
    """The Bundle as R4B models; a 400 naming what is wrong otherwise."""
    from fhir.resources.R4B.bundle import Bundle

    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _bad(f"The body is not valid JSON ({error}); send a FHIR Bundle as application/fhir+json.") from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        found = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        raise _bad(f"resourceType is {found!r}: POST a Bundle (type transaction or collection) to /fhir/r4/Bundle.")
    if data.get("type") not in BUNDLE_TYPES:
        raise _bad(f"Bundle.type is {data.get('type')!r}: a referral is a transaction or collection Bundle.")
    entries = data.get("entry")
    if not isinstance(entries, list) or not entries:
        raise _bad("The Bundle has no entry: a referral holds a Patient and a ServiceRequest.")
    for index, entry in enumerate(entries):
        kind = entry.get("resource", {}).get("resourceType") if isinstance(entry, dict) else None
        if kind not in ENTRY_TYPES:
            raise _bad(
                f"Bundle.entry[{index}]: {kind!r} is not part of a referral here; send only "
                f"{', '.join(sorted(ENTRY_TYPES))}."
            )
    try:
        return Bundle.model_validate(data)
    except PydanticError as error:
        raise _bad(f"The Bundle is not valid FHIR R4: {_validation_message(error)}.") from None


def _text(concept: Any) -> str:
    if concept is None:
        return ""
    if concept.text:
        return str(concept.text)
    return next((str(c.display or c.code) for c in concept.coding or [] if c.display or c.code), "")


def _codes(concepts: Iterable[Any]) -> list[tuple[str, str]]:
    return [(str(c.system or ""), str(c.code or "")) for concept in concepts if concept for c in concept.coding or []]


def _concern(codes: list[tuple[str, str]]) -> tuple[str, str]:
    for system, code in codes:
        if system == SNOMED and code in SNOMED_CONCERNS:
            return SNOMED_CONCERNS[code]
        if system == ICD10:
            for prefix, concern in ICD10_CONCERNS:
                if code.upper().startswith(prefix):
                    return concern
    return "other", ""


def _telecom(resource: Any, system: str) -> str:
    return next((str(t.value) for t in resource.telecom or [] if t.system == system and t.value), "")


def _human_name(resource: Any) -> tuple[str, str]:
    names = resource.name or []
    name = next((n for n in names if n.use == "official"), names[0] if names else None)
    if name is None:
        return "", ""
    given = " ".join(str(part) for part in name.given or [])
    return given.strip(), str(name.family or "").strip()


def _single(entries: list[Any], kind: str) -> Any:
    found = [resource for resource in entries if resource.get_resource_type() == kind]
    if len(found) != 1:
        raise _bad(f"A referral holds exactly one {kind} ({len(found)} sent).")
    return found[0]


def _resolver(bundle: Any) -> dict[str, Any]:
    """Every way an entry may be referenced: its fullUrl and ``Type/id``."""
    found: dict[str, Any] = {}
    for entry in bundle.entry:
        resource = entry.resource
        if entry.fullUrl:
            found[str(entry.fullUrl)] = resource
        if resource.id:
            found[f"{resource.get_resource_type()}/{resource.id}"] = resource
    return found


def _referrer(request: Any, refs: dict[str, Any]) -> dict[str, str]:
    requester = request.requester
    if requester is None:
        raise _bad("ServiceRequest.requester is missing: name the referring practitioner (a Practitioner entry).")
    target = refs.get(str(requester.reference or ""))
    found: dict[str, str] = {"name": str(requester.display or "")}
    if target is not None and target.get_resource_type() == "Practitioner":
        given, family = _human_name(target)
        prefix = " ".join(str(p) for p in (target.name[0].prefix or [])) if target.name else ""
        found["name"] = " ".join(part for part in (prefix, given, family) if part) or found["name"]
        found["npi"] = next((str(i.value) for i in target.identifier or [] if i.system == NPI_SYSTEM), "")
        found["phone"] = _telecom(target, "phone")
        found["email"] = _telecom(target, "email")
    elif target is not None and target.get_resource_type() == "Organization":
        found["organization"] = str(target.name or "")
        found["name"] = found["name"] or found["organization"]
    organizations = [r for r in refs.values() if r.get_resource_type() == "Organization" and r.name]
    if "organization" not in found and organizations:
        found["organization"] = str(organizations[0].name)
    if not found["name"].strip():
        raise _bad("ServiceRequest.requester: give the referring practitioner's name (Practitioner.name or display).")
    return found


def _location_id(request: Any) -> int:
    for reference in request.locationReference or []:
        _, _, last = str(reference.reference or "").rstrip("/").partition("Location/")
        if last.isdigit():
            return int(last)
        if reference.identifier is not None and str(reference.identifier.value or "").isdigit():
            return int(str(reference.identifier.value))
    raise _bad(
        "ServiceRequest.locationReference is missing: name the clinic location that should see the patient as "
        "Location/<id> (the ids in /fhir/r4/Location)."
    )


def _documents(resources: list[Any]) -> list[ReferralDocument]:
    documents = []
    for index, resource in enumerate(r for r in resources if r.get_resource_type() == "DocumentReference"):
        for content in resource.content or []:
            attachment = content.attachment
            if attachment.data is None:
                raise _bad(
                    f"DocumentReference #{index + 1}: send the file inline (attachment.data, base64), not by URL."
                )
            if attachment.contentType not in DOCUMENT_TYPES:
                raise _bad(
                    f"DocumentReference #{index + 1}: contentType {attachment.contentType!r} is not accepted; send "
                    "a PDF, JPEG or PNG."
                )
            title = str(attachment.title or resource.description or _text(resource.type) or "Referral document")
            documents.append(ReferralDocument(title=title[:200], content=bytes(attachment.data)))
    return documents


def _medications(resources: list[Any]) -> list[dict[str, str]]:
    return [
        {
            "name": _text(r.medicationCodeableConcept) or "(medication by reference)",
            "dose": str(r.dosage[0].text or "") if r.dosage else "",
            "status": str(r.status or ""),
        }
        for r in resources
        if r.get_resource_type() == "MedicationStatement"
    ]


def _allergies(resources: list[Any]) -> list[dict[str, str]]:
    found = []
    for r in (r for r in resources if r.get_resource_type() == "AllergyIntolerance"):
        reactions = [_text(m) for reaction in r.reaction or [] for m in reaction.manifestation or []]
        found.append(
            {
                "substance": _text(r.code) or "(not named)",
                "reaction": ", ".join(text for text in reactions if text),
                "criticality": str(r.criticality or ""),
            }
        )
    return found


def _sex(patient: Any) -> str:
    for extension in patient.extension or []:
        if extension.url == BIRTH_SEX:
            return {"F": "female", "M": "male"}.get(str(extension.valueCode or ""), "unknown")
    return "unknown"


def _check_subject(request: Any, patient: Any, refs: dict[str, Any]) -> None:
    subject = str(request.subject.reference or "") if request.subject else ""
    if refs.get(subject) is not patient:
        raise _bad("ServiceRequest.subject must reference the Patient in the Bundle (its fullUrl or Patient/<id>).")


def parse(body: bytes) -> Parsed:
    bundle = load(body)
    resources = [entry.resource for entry in bundle.entry]
    patient = _single(resources, "Patient")
    request = _single(resources, "ServiceRequest")
    refs = _resolver(bundle)
    _check_subject(request, patient, refs)
    given, family = _human_name(patient)
    if not given or not family:
        raise _bad("Patient.name: give the patient's given and family name.")
    if patient.birthDate is None:
        raise _bad("Patient.birthDate is missing: the clinic matches patients by name and date of birth.")
    phone, email = _telecom(patient, "phone"), _telecom(patient, "email")
    if not phone and not email:
        raise _bad("Patient.telecom: give the patient's phone number or e-mail address so the clinic can call them.")
    conditions = [r for r in resources if r.get_resource_type() == "Condition"]
    reasons = [_text(c) for c in request.reasonCode or []] + [_text(c.code) for c in conditions]
    concern, pain_type = _concern(_codes([*(request.reasonCode or []), *(c.code for c in conditions)]))
    sex = _sex(patient)
    pregnant = any(code == PREGNANCY_SNOMED for _, code in _codes(c.code for c in conditions))
    notes = " ".join(str(note.text) for note in request.note or [] if note.text)
    identifier = next((str(i.value) for i in request.identifier or [] if i.value), "")
    referral = Referral(
        given_name=given,
        family_name=family,
        date_of_birth=_date(patient.birthDate),
        sex=sex,
        phone=phone,
        email=email,
        concern=concern,
        pain_type=pain_type,
        reason="; ".join(dict.fromkeys(text for text in reasons if text)),
        details=notes,
        pregnancy="yes" if pregnant else ("no" if sex == "male" else "unsure"),
        identifier=identifier,
        referrer=_referrer(request, refs),
        medications=_medications(resources),
        allergies=_allergies(resources),
        documents=_documents(resources),
    )
    return Parsed(referral=referral, location_id=_location_id(request))


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    raise _bad("Patient.birthDate: give the full date of birth (YYYY-MM-DD).")


def body_limit_bytes() -> int:
    """The largest referral Bundle read: one scan's limit of attachments, base64 (4/3), plus 256 KiB of resources."""
    return settings.KETACLINIC_SCAN_MAX_MB * 1024 * 1024 * 4 // 3 + 256 * 1024


def read_body(stream: Any) -> bytes:
    """The request body, never more than one byte past the limit into memory."""
    limit = body_limit_bytes()
    body = bytes(stream.read(limit + 1))
    if len(body) > limit:
        raise FhirError(
            413,
            "too-costly",
            f"The Bundle is larger than {limit // (1024 * 1024)} MB, the most accepted (attachments together at most "
            f"{settings.KETACLINIC_SCAN_MAX_MB} MB): send fewer or smaller documents.",
        )
    return body


def _refuse(user: User, message: str, detail: dict[str, Any]) -> FhirError:
    audit.record(actor=user, action="fhir.referral.denied", outcome=AuditEvent.Outcome.DENIED, detail=detail)
    return FhirError(403, "forbidden", message)


def receive(user: User, body: bytes) -> referral_service.Received:
    """Parse, check the role and the location, then one intake service call (atomic, audited)."""
    if not role_can(user.role, CAPABILITY):
        raise _refuse(user, "Your role may not send referrals (it does not triage consultation requests).", {})
    parsed = parse(body)
    location = user.locations.filter(pk=parsed.location_id, is_active=True).first()
    if location is None:
        raise _refuse(
            user,
            f"Location/{parsed.location_id} is not one of your locations: a referral goes to a location the token's "
            "user works at.",
            {"location": parsed.location_id},
        )
    try:
        return referral_service.receive_referral(by=user, location=location, referral=parsed.referral)
    except PermissionDenied as error:
        raise FhirError(403, "forbidden", error.message) from None
    except ValidationError as error:
        fields = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
        raise _bad(f"The referral was not accepted: {fields}") from None
