"""What this server serves: each resource type, the capability its reader needs, its search parameters and the
access-scoped rows behind it (the apps' own ``*_visible_to(user)`` queries, so a token sees what its user sees).

One module per group of types (``chart``, ``observations``, ``treatment``, ``requests``, ``directory`` …); the shapes
and shared filters are in ``base``. ``RESOURCE_TYPES`` puts them together in the order the CapabilityStatement lists
them.
"""

from __future__ import annotations

from ketaclinic.fhir.http import FhirError
from ketaclinic.fhir.registry.base import (
    Catalogue,
    Computed,
    Filter,
    Include,
    ResourceType,
    RevInclude,
    Source,
    filtered,
    source_for_id,
)
from ketaclinic.fhir.registry.calendar import CALENDAR_TYPES
from ketaclinic.fhir.registry.chart import CHART_TYPES
from ketaclinic.fhir.registry.directory import DIRECTORY_TYPES
from ketaclinic.fhir.registry.groups import GROUP_TYPES
from ketaclinic.fhir.registry.letters import LETTER_TYPES
from ketaclinic.fhir.registry.observations import OBSERVATION_TYPES
from ketaclinic.fhir.registry.records import RECORD_TYPES, BinaryContent, binary
from ketaclinic.fhir.registry.requests import REQUEST_TYPES
from ketaclinic.fhir.registry.treatment import TREATMENT_TYPES

__all__ = [
    "RESOURCE_TYPES",
    "BinaryContent",
    "Catalogue",
    "Computed",
    "Filter",
    "Include",
    "ResourceType",
    "RevInclude",
    "Source",
    "binary",
    "filtered",
    "resource_type",
    "source_for_id",
]

_ORDER = (
    "Patient",
    "Observation",
    "QuestionnaireResponse",
    "Condition",
    "AllergyIntolerance",
    "MedicationStatement",
    "Encounter",
    "MedicationAdministration",
    "Appointment",
    "Consent",
    "CarePlan",
    "MedicationRequest",
    "ServiceRequest",
    "Questionnaire",
    "DocumentReference",
    "AdverseEvent",
    "Provenance",
    "AuditEvent",
    "Schedule",
    "Slot",
    "Composition",
)
_GROUPS = (
    CHART_TYPES,
    OBSERVATION_TYPES,
    TREATMENT_TYPES,
    REQUEST_TYPES,
    RECORD_TYPES,
    CALENDAR_TYPES,
    LETTER_TYPES,
)
_ALL = {rt.name: rt for group in _GROUPS for rt in group}

RESOURCE_TYPES: dict[str, ResourceType] = {
    **{name: _ALL[name] for name in _ORDER},
    **{rt.name: rt for rt in DIRECTORY_TYPES},
    **{rt.name: rt for rt in GROUP_TYPES},
}


def resource_type(name: str) -> ResourceType:
    found = RESOURCE_TYPES.get(name)
    if found is None:
        raise FhirError(
            400,
            "not-supported",
            f"Unknown or unsupported resource type: {name}. This server serves "
            f"{', '.join(sorted(RESOURCE_TYPES))} (see /fhir/r4/metadata).",
        )
    return found
