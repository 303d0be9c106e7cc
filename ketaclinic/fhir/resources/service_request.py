"""ServiceRequest: a consultation request in the triage queue (knowledge/interoperability.md: "consultation request →
ServiceRequest"), from the public form or a referring clinician's FHIR referral (``fhir/referral.py``).

Choices, each written down because FHIR leaves them to the server:

- **status** (FHIR R4 request-status) follows the triage state: a request still being worked on (new, contacted,
  consultation booked) is ``active``; one converted to a patient (or linked to an existing one) is ``completed``: the
  request was fulfilled by taking the person on; a declined one is ``revoked`` (the clinic will not act on it; the
  reason is in ``note``). Nothing is ``entered-in-error``: the app has no such mark for a request.
- **intent** (request-intent): a referral from a clinician's system is an ``order``; a request from the public form
  is the person asking for themselves, a ``proposal`` (no one with authority ordered it).
- **subject**: a request becomes linked to a patient only when triage converts it (or links it to an existing chart).
  Until then there is no Patient resource to point at, yet the request is the triage queue's work and a referrer's
  system follows its referral from active to completed or revoked: so every request the reader may triage is served,
  and an unlinked one has a ``display``-only subject (the name as written on the request; ``identifier`` carries the
  request's own reference). Only a linked one answers ``patient=`` searches or appears in a Patient-level export.
- **requester**: the referring clinician as a contained Practitioner (name, NPI, phone, e-mail, as sent) or, when the
  referral named only an organisation, a contained Organization; for a self-referral the person themselves (the
  Patient once linked, otherwise by name).
- **code** and **reasonCode** are text only: the knowledge files give no code for "consultation for ketamine therapy",
  and the referrer's reason is kept as its text (the codes it arrived with set the request's concern, not a column).

What each reader gets mirrors the triage page (intake/views/triage.py, "minimum necessary"): a referral's reason and
its documents are for the clinical team (``consultation.review``); the front desk gets the concern the person chose
and no ``supportingInfo``. ``clinical_sight`` says which.

``supportingInfo``: a referral's documents once they are on a chart (conversion or linking files each one as a
referral letter with the same content): the chart's DocumentReference with the same SHA-256, found by the registry
(``referral_files``). Before that they have no DocumentReference and are not listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ketaclinic.fhir.resources.common import concept, instant, meta, patient_ref
from ketaclinic.fhir.resources.directory import NPI_SYSTEM

STATUS_SYSTEM = "http://hl7.org/fhir/request-status"
INTENT_SYSTEM = "http://hl7.org/fhir/request-intent"
#: Every code of FHIR R4's request-status value set (what ``status=`` may ask for).
STATUSES = ("draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown")
#: Every code of FHIR R4's request-intent value set (what ``intent=`` may ask for).
INTENTS = (
    "proposal",
    "plan",
    "directive",
    "order",
    "original-order",
    "reflex-order",
    "filler-order",
    "instance-order",
    "option",
)
#: Triage state → FHIR status (module docstring).
STATUS_OF = {
    "new": "active",
    "contacted": "active",
    "booked": "active",
    "converted": "completed",
    "declined": "revoked",
}
#: The request's own reference (``KC-…``), unique within this installation.
REFERENCE_SYSTEM = "urn:ketaclinic:consultation-request"
CODE_TEXT = "Consultation for ketamine therapy"


def status_of(request: Any) -> str:
    return STATUS_OF.get(request.status, "unknown")


def intent_of(request: Any) -> str:
    return "order" if request.source == "fhir" else "proposal"


def _subject(request: Any) -> dict[str, Any]:
    if request.patient_id is not None and not request.patient.entered_in_error:
        return patient_ref(request.patient_id)
    return {"display": request.full_name}


def _contained_referrer(referrer: dict[str, str]) -> dict[str, Any]:
    telecom = [{"system": system, "value": referrer[system]} for system in ("phone", "email") if referrer.get(system)]
    if referrer.get("npi") or referrer.get("name") != referrer.get("organization"):
        practitioner: dict[str, Any] = {"resourceType": "Practitioner", "id": "referrer"}
        if referrer.get("npi"):
            practitioner["identifier"] = [{"system": NPI_SYSTEM, "value": referrer["npi"]}]
        practitioner["name"] = [{"text": referrer.get("name", "")}]
        if telecom:
            practitioner["telecom"] = telecom
        return practitioner
    organization: dict[str, Any] = {"resourceType": "Organization", "id": "referrer", "name": referrer["organization"]}
    if telecom:
        organization["telecom"] = telecom
    return organization


def _concern(request: Any) -> str:
    text = str(request.get_concern_display())
    return f"{text}: {request.get_pain_type_display()}" if request.pain_type else text


def _reasons(request: Any, clinical_sight: bool) -> list[dict[str, Any]]:
    reasons = [concept(text=_concern(request))]
    if clinical_sight and request.referral_reason:
        reasons.append(concept(text=request.referral_reason))
    return reasons


def _notes(request: Any) -> list[dict[str, str]]:
    notes = []
    if request.details:
        notes.append({"text": request.details})
    if request.decline_reason:
        notes.append({"text": f"Declined: {request.get_decline_reason_display()}"})
    return notes


def _identifiers(request: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [{"system": REFERENCE_SYSTEM, "value": request.reference}]
    if request.referral_identifier:
        # The referrer's own id of the referral; the system it came with is not kept, so none is claimed.
        theirs: dict[str, Any] = {"value": request.referral_identifier}
        assigner = request.referrer.get("organization") or request.referrer.get("name")
        if assigner:
            theirs["assigner"] = {"display": assigner}
        found.append(theirs)
    return found


def service_request_to_fhir(request: Any, *, clinical_sight: bool, documents: Iterable[int] = ()) -> dict[str, Any]:
    """``documents``: the chart document ids of the referral's files (only read with ``clinical_sight``)."""
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(request.pk),
        "meta": meta(request.updated_at, request.version),
        "identifier": _identifiers(request),
        "status": status_of(request),
        "intent": intent_of(request),
        "code": concept(text=CODE_TEXT),
        "subject": _subject(request),
        "authoredOn": instant(request.submitted_at),
        "reasonCode": _reasons(request, clinical_sight),
        "locationReference": [{"reference": f"Location/{request.location_id}", "display": request.location.name}],
    }
    if request.source == "fhir" and request.referrer:
        resource["contained"] = [_contained_referrer(request.referrer)]
        resource["requester"] = {"reference": "#referrer", "display": request.referrer.get("name", "")}
    else:
        resource["requester"] = _subject(request)
    if request.consultation_at is not None:
        resource["occurrenceDateTime"] = instant(request.consultation_at)
    if clinical_sight:
        supporting = [{"reference": f"DocumentReference/doc-{pk}"} for pk in documents]
        if supporting:
            resource["supportingInfo"] = supporting
    notes = _notes(request)
    if notes:
        resource["note"] = notes
    return resource
