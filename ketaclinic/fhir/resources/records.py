"""DocumentReference (the chart's documents and the signed session notes), AdverseEvent (side effects and adverse
events recorded in sessions) and Provenance (who wrote and signed a plan version, a session and its note, a document).

Code systems are FHIR R4's own: document-reference-status, composition-status (``docStatus``), adverse-event-actuality,
adverse-event-severity, adverse-event-outcome, provenance-participant-type; the signed note's category is US Core's
``clinical-note``. Chart document kinds and side-effect types are our own codes (no code in the knowledge files), with
their labels as text. A document's file is at ``Binary/doc-<id>``, a note's text at ``Binary/note-<session id>``
(relative to the server's base): both are read through the FHIR server with the same token, access check and audit
as every other read.
"""

from __future__ import annotations

from typing import Any

from ketaclinic.fhir.resources.common import coding, concept, instant, meta, patient_ref

US_CORE_DOCUMENT_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
DOCUMENT_KIND_SYSTEM = "urn:ketaclinic:document-kind"
NOTE_CATEGORY = "clinical-note"
SIDE_EFFECT_SYSTEM = "urn:ketaclinic:side-effect"
SEVERITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
OUTCOME_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
PARTICIPANT_SYSTEM = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
#: Side-effect outcome → FHIR R4 adverse-event-outcome; a transfer to emergency care is still ongoing when it leaves us.
OUTCOME = {"ongoing": "ongoing", "resolved": "resolved", "transferred": "ongoing"}


def _user_ref(user_id: int | None) -> dict[str, str] | None:
    return {"reference": f"Practitioner/{user_id}"} if user_id is not None else None


# --- DocumentReference -----------------------------------------------------------------------------------------------


def document_to_fhir(document: Any) -> dict[str, Any]:
    """A file on the chart; one marked entered in error stays, with status ``entered-in-error``."""
    kind_label = str(document.get_kind_display())
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": f"doc-{document.pk}",
        "meta": meta(document.entered_in_error_at or document.filed_at or document.uploaded_at),
        "status": "entered-in-error" if document.entered_in_error else "current",
        "type": concept(coding(DOCUMENT_KIND_SYSTEM, document.kind, kind_label), text=kind_label),
        "category": [concept(coding(DOCUMENT_KIND_SYSTEM, document.kind, kind_label))],
        "subject": patient_ref(document.patient_id),
        "date": instant(document.uploaded_at),
        "description": document.title,
        "content": [
            {
                "attachment": {
                    "contentType": document.content_type,
                    "url": f"Binary/doc-{document.pk}",
                    "size": document.size_bytes,
                    "title": document.title,
                    "creation": instant(document.uploaded_at),
                }
            }
        ],
    }
    if document.uploaded_by_id is not None:
        resource["author"] = [{"reference": f"Practitioner/{document.uploaded_by_id}"}]
    else:
        resource["author"] = [patient_ref(document.patient_id)]
    if document.document_date:
        resource["context"] = {"period": {"start": document.document_date.isoformat()}}
    return resource


def note_to_fhir(session: Any) -> dict[str, Any]:
    """The signed note of a treatment session (plain text, locked once signed)."""
    return {
        "resourceType": "DocumentReference",
        "id": f"note-{session.pk}",
        "meta": meta(session.note_signed_at),
        "status": "current",
        "docStatus": "final",
        "type": concept(text="Ketamine treatment session note"),
        "category": [concept(coding(US_CORE_DOCUMENT_CATEGORY, NOTE_CATEGORY, "Clinical Note"))],
        "subject": patient_ref(session.patient_id),
        "date": instant(session.note_signed_at),
        "author": [{"reference": f"Practitioner/{session.note_signed_by_id}"}],
        "authenticator": {"reference": f"Practitioner/{session.note_signed_by_id}"},
        "description": f"Session note, {session.route}",
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "url": f"Binary/note-{session.pk}",
                    "size": len(session.note_text.encode("utf-8")),
                    "title": "Session note",
                    "creation": instant(session.note_signed_at),
                }
            }
        ],
        "context": {
            "encounter": [{"reference": f"Encounter/{session.pk}"}],
            "period": {"start": instant(session.checked_in_at)},
        },
    }


# --- AdverseEvent ----------------------------------------------------------------------------------------------------


def adverse_event_to_fhir(effect: Any) -> dict[str, Any]:
    """A side effect recorded in a session. Those the nurse or prescriber flagged as an adverse event (serious or
    unexpected, to be reviewed and reported) say so in ``seriousness``."""
    session = effect.session
    label = effect.label
    resource: dict[str, Any] = {
        "resourceType": "AdverseEvent",
        "id": str(effect.pk),
        "meta": meta(effect.recorded_at),
        "actuality": "actual",
        "event": concept(coding(SIDE_EFFECT_SYSTEM, effect.effect, str(effect.get_effect_display())), text=label),
        "subject": patient_ref(session.patient_id),
        "encounter": {"reference": f"Encounter/{session.pk}"},
        "date": instant(effect.started_at),
        "recordedDate": instant(effect.recorded_at),
        "recorder": {"reference": f"Practitioner/{effect.recorded_by_id}"},
        "severity": concept(coding(SEVERITY_SYSTEM, effect.severity, str(effect.get_severity_display()))),
        "outcome": concept(
            coding(OUTCOME_SYSTEM, OUTCOME.get(effect.outcome, "ongoing")), text=str(effect.get_outcome_display())
        ),
    }
    if effect.adverse_event:
        resource["seriousness"] = concept(text="Flagged as an adverse event: serious or unexpected, to be reported")
    if session.started_at is not None:
        resource["suspectEntity"] = [{"instance": {"reference": f"MedicationAdministration/{session.pk}"}}]
    return resource


# --- Provenance ------------------------------------------------------------------------------------------------------


def _agent(kind: str, display: str, user_id: int, clinic_id: int | None) -> dict[str, Any]:
    agent: dict[str, Any] = {
        "type": concept(coding(PARTICIPANT_SYSTEM, kind, display)),
        "who": {"reference": f"Practitioner/{user_id}"},
    }
    if clinic_id is not None:  # US Core Provenance: onBehalfOf when the agent is a practitioner
        agent["onBehalfOf"] = {"reference": f"Organization/{clinic_id}"}
    return agent


def _provenance(pid: str, targets: list[str], recorded: Any, agents: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Provenance",
        "id": pid,
        "meta": {"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-provenance"], **meta(recorded)},
        "target": [{"reference": target} for target in targets],
        "recorded": instant(recorded),
        "agent": agents,
    }


def plan_provenance(version: Any, *, clinic_id: int | None) -> dict[str, Any]:
    """Who wrote a plan version, who signed it and who co-signed it (above the protocol's range)."""
    agents = [_agent("author", "Author", version.created_by_id, clinic_id)]
    if version.signed_by_id:
        agents.append(_agent("attester", "Attester", version.signed_by_id, clinic_id))
    if version.cosigned_by_id:
        agents.append(_agent("verifier", "Verifier", version.cosigned_by_id, clinic_id))
    targets = [f"CarePlan/{version.pk}", f"MedicationRequest/{version.pk}"]
    return _provenance(f"plan-{version.pk}", targets, version.signed_at or version.created_at, agents)


def session_provenance(session: Any, *, clinic_id: int | None) -> dict[str, Any]:
    """Who checked the patient in, started dosing, discharged and signed the note of a session."""
    agents = [_agent("enterer", "Enterer", session.checked_in_by_id, clinic_id)]
    for user_id in (session.started_by_id, session.discharged_by_id):
        if user_id is not None:
            agents.append(_agent("performer", "Performer", user_id, clinic_id))
    targets = [f"Encounter/{session.pk}"]
    if session.started_at is not None:
        targets.append(f"MedicationAdministration/{session.pk}")
    if session.note_signed_by_id is not None:
        agents.append(_agent("attester", "Attester", session.note_signed_by_id, clinic_id))
        targets.append(f"DocumentReference/note-{session.pk}")
    recorded = session.note_signed_at or session.updated_at
    return _provenance(f"session-{session.pk}", targets, recorded, agents)


def document_provenance(document: Any, *, clinic_id: int | None) -> dict[str, Any]:
    """Who put a document on the chart (a staff member, or the patient in the portal) and who filed it."""
    if document.uploaded_by_id is not None:
        agents = [_agent("author", "Author", document.uploaded_by_id, clinic_id)]
    else:
        informant = concept(coding(PARTICIPANT_SYSTEM, "informant", "Informant"))
        agents = [{"type": informant, "who": patient_ref(document.patient_id)}]
    if document.filed_by_id is not None:
        agents.append(_agent("custodian", "Custodian", document.filed_by_id, clinic_id))
    recorded = document.filed_at or document.uploaded_at
    return _provenance(f"doc-{document.pk}", [f"DocumentReference/doc-{document.pk}"], recorded, agents)
