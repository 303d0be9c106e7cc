"""AuditEvent: the audit log (knowledge/security.md H4–H6), for clinic admins only, one resource per entry.

``type`` is FHIR's ``rest`` (audit-event-type) for the FHIR server's own reads and searches, otherwise the area of the
app in our system (``session``, ``plan`` …); ``subtype`` is always the entry's action (``session.sign``). ``action``
(FHIR R4 audit-event-action) is R for what displays or downloads a record, E for a search or a query, C for what
creates, U for what changes it (nothing is ever deleted: a withdrawn record is entered in error, an update), and E
otherwise (sign-in, sending). ``outcome``: 0 success, 4 a failure or a refusal (audit-event-outcome, "minor failure":
the request was refused, nothing was done). The agent is the user (a Practitioner reference for nurses and
prescribers, always the user id and name), the entities the patient and the object the entry is about.
"""

from __future__ import annotations

import json
from typing import Any

from ketaclinic.accounts.roles import CLINICAL_ROLES
from ketaclinic.fhir.resources.common import coding, instant, patient_ref

AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
AREA_SYSTEM = "urn:ketaclinic:audit-area"
ACTION_SYSTEM = "urn:ketaclinic:audit-action"
USER_SYSTEM = "urn:ketaclinic:user"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
OUTCOME = {"success": "0", "failure": "4", "denied": "4"}

_READ_WORDS = ("read", "view", "list", "download", "pdf", "print", "shown", "viewed", "chart", "export")
_QUERY_WORDS = ("search", "query", "board", "today")
_CREATE_WORDS = ("create", "add", "record", "book", "submit", "issue", "start", "enrol", "prescribe", "receive")
_CHANGE_WORDS = ("update", "edit", "amend", "change", "entered_in_error", "cancel", "move", "sign", "cosign", "save")


def action_code(action: str) -> str:
    """C, R, U or E from the last part of the action's name (``patient.view_chart`` → R)."""
    last = action.rsplit(".", 1)[-1]
    for code, words in (("E", _QUERY_WORDS), ("R", _READ_WORDS), ("C", _CREATE_WORDS), ("U", _CHANGE_WORDS)):
        if any(last == word or last.startswith(f"{word}_") or last.endswith(f"_{word}") for word in words):
            return code
    return "E"


def audit_event_to_fhir(event: Any) -> dict[str, Any]:
    area = event.action.split(".", 1)[0]
    kind = coding(AUDIT_EVENT_TYPE, "rest", "RESTful Operation") if area == "fhir" else coding(AREA_SYSTEM, area)
    agent: dict[str, Any] = {"requestor": True}
    who: dict[str, Any] = {"display": event.actor_username or "anonymous"}
    if event.actor_id is not None:
        who["identifier"] = {"system": USER_SYSTEM, "value": str(event.actor_id)}
        if event.actor is not None and event.actor.role in CLINICAL_ROLES:
            who["reference"] = f"Practitioner/{event.actor_id}"
    agent["who"] = who
    if event.ip_address:
        agent["network"] = {"address": event.ip_address, "type": "2"}
    entities: list[dict[str, Any]] = []
    if event.patient_id is not None:
        entities.append(
            {
                "what": patient_ref(event.patient_id),
                "type": coding(ENTITY_TYPE, "1", "Person"),
                "role": coding(OBJECT_ROLE, "1", "Patient"),
            }
        )
    if event.object_type or event.detail:
        entity: dict[str, Any] = {"type": coding(ENTITY_TYPE, "2", "System Object")}
        if event.object_type:
            entity["name"] = f"{event.object_type} {event.object_id}".strip()
        if event.detail:
            entity["detail"] = [
                {"type": "detail", "valueString": json.dumps(event.detail, sort_keys=True, default=str)}
            ]
        entities.append(entity)
    resource: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": str(event.pk),
        "meta": {"lastUpdated": instant(event.occurred_at)},
        "type": kind,
        "subtype": [coding(ACTION_SYSTEM, event.action)],
        "action": action_code(event.action),
        "recorded": instant(event.occurred_at),
        "outcome": OUTCOME.get(event.outcome, "4"),
        "agent": [agent],
        "source": {"observer": {"display": "ketaclinic"}},
    }
    if event.outcome != "success":
        resource["outcomeDesc"] = str(event.get_outcome_display())
    if entities:
        resource["entity"] = entities
    return resource
