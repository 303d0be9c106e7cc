"""The CapabilityStatement: exactly what this server does — JSON only, read and search-type for the types in
``registry`` with their search parameters, bearer-token security; the one write is a referral (``POST Bundle``); a
signed letter's document is also read as ``Bundle/letter-<id>`` (read only, no Bundle search); the operations are a
signed progress letter's ``$document`` and Bulk Data ``$export`` at system, Patient and Group level (NDJSON; ``_type``,
``_since`` with its ``deleted`` list, ``_typeFilter``, ``_outputFormat``). No history."""

from __future__ import annotations

from typing import Any

from ketaclinic.fhir import registry
from ketaclinic.fhir.search import COMMON_PARAMS

SOFTWARE = "ketaclinic"
#: Fixed so two answers compare equal; the content changes only with the code.
RELEASE_DATE = "2026-12-07"
#: FHIR Bulk Data Access IG (v2.0.0) operation definitions and the capability it defines.
BULK_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"
BULK_PATIENT_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"
BULK_GROUP_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"
BULK_CAPABILITY = "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"
_EXPORT_DOCS = (
    "Asynchronous (Prefer: respond-async): 202 and a status URL to poll; NDJSON files for the token owner only, "
    "deleted after the clinic's retention window. Parameters: _type, _since (with a manifest 'deleted' list of the "
    "resources marked entered in error since), _typeFilter (search queries per type, OR within a type; no _include, "
    "_revinclude, _count or _sort inside), _outputFormat (NDJSON only)."
)

_COMMON_DOCS = {
    "_id": ("token", "The resource id"),
    "_count": ("number", "Page size, at most 100 (larger values are capped); 0 answers with the total only"),
    "_offset": ("number", "Start of the page (written by this server into its next/previous links)"),
    "_format": ("token", "json or application/fhir+json only"),
    "_include": ("special", "The resources a match points at (the values in searchInclude); others are refused"),
    "_revinclude": (
        "special",
        "The Provenance of the matches (Provenance:target, as in searchRevInclude); other values are refused",
    ),
}


#: Referrals in: ``POST Bundle`` (a transaction or collection Bundle holding the referral) creates a consultation
#: request in the triage queue; nothing else is written through FHIR.
#: A signed progress letter's document is also read as ``Bundle/letter-<id>`` (the Bundle frozen at signing); there
#: is no Bundle search.
REFERRAL: dict[str, Any] = {
    "type": "Bundle",
    "interaction": [{"code": "create"}, {"code": "read"}],
    "documentation": "Create: POST a referral: a transaction or collection Bundle with one Patient, one ServiceRequest "
    "(requester, locationReference Location/<id>) and optionally Practitioner, Organization, Condition, "
    "MedicationStatement, AllergyIntolerance and DocumentReference (PDF, JPEG or PNG inline as base64 data). Answers "
    "201 with an OperationOutcome and Location; the role must triage consultation requests at that location. "
    "Read only (no search): Bundle/letter-<id> is a signed progress letter's FHIR document, frozen when it was "
    "signed (the same Bundle as Composition/<id>/$document); access as for Composition.",
    "versioning": "no-version",
    "readHistory": False,
    "updateCreate": False,
    "conditionalCreate": False,
    "conditionalRead": "not-supported",
    "conditionalUpdate": False,
    "conditionalDelete": "not-supported",
}


def statement(base: str) -> dict[str, Any]:
    resources = []
    for rt in registry.RESOURCE_TYPES.values():
        common = sorted(
            name
            for name in COMMON_PARAMS
            if (name != "_include" or rt.includes) and (name != "_revinclude" or rt.revincludes)
        )
        params = {**rt.params, **{name: _COMMON_DOCS[name] for name in common}}
        entry: dict[str, Any] = {
            "type": rt.name,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "versioning": "versioned" if rt.versioned else "no-version",
            "readHistory": False,
            "updateCreate": False,
            "conditionalCreate": False,
            "conditionalRead": "not-supported",
            "conditionalUpdate": False,
            "conditionalDelete": "not-supported",
            "searchParam": [
                {"name": name, "type": kind, "documentation": docs} for name, (kind, docs) in params.items()
            ],
        }
        if rt.profile:
            entry["supportedProfile"] = [rt.profile]
        if rt.includes:
            entry["searchInclude"] = list(rt.includes)
        if rt.revincludes:
            entry["searchRevInclude"] = list(rt.revincludes)
        if rt.name == "Composition":
            entry["operation"] = [
                {
                    "name": "document",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Composition-document",
                    "documentation": "A signed progress letter as a FHIR document Bundle (GET only): the Bundle "
                    "frozen when the letter was signed (also Bundle/letter-<id>); later chart changes and addenda "
                    "do not change it. An addendum is its own Composition (addendum-<id>) that appends the letter.",
                }
            ]
        elif rt.name == "Patient":
            entry["operation"] = [{"name": "export", "definition": BULK_PATIENT_EXPORT, "documentation": _EXPORT_DOCS}]
        elif rt.name == "Group":
            entry["documentation"] = (
                "The patients seen at each location the token's user works at: Group/location-<id>, type person, "
                "actual, members limited to the patients the token sees."
            )
            entry["operation"] = [
                {
                    "name": "export",
                    "definition": BULK_GROUP_EXPORT,
                    "documentation": f"{_EXPORT_DOCS} The Patient-compartment resources of the group's members only.",
                }
            ]
        resources.append(entry)
    resources.append(REFERRAL)
    resources.append(
        {
            "type": "Binary",
            "documentation": "Read only: the file behind a DocumentReference (Binary/doc-<id>) or a signed session "
            "note (Binary/note-<id>), as its own content type, or as a Binary resource when application/fhir+json "
            "is asked for. Access as for the DocumentReference.",
            "interaction": [{"code": "read"}],
            "versioning": "no-version",
            "readHistory": False,
            "updateCreate": False,
            "conditionalCreate": False,
            "conditionalRead": "not-supported",
            "conditionalUpdate": False,
            "conditionalDelete": "not-supported",
        }
    )
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": RELEASE_DATE,
        "kind": "instance",
        "instantiates": [BULK_CAPABILITY],
        "software": {"name": SOFTWARE},
        "implementation": {
            "description": "ketaclinic FHIR R4 read, search, bulk export, referrals in and progress letters out",
            "url": base,
        },
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Read, search and bulk export ($export); POST Bundle for referrals; "
                "Composition/{id}/$document (or Bundle/letter-<id>) for progress letters. Errors are "
                "OperationOutcome resources; unknown search and export parameters, and _include or _revinclude values "
                "not listed in a type's searchInclude or searchRevInclude, are refused (400).",
                "security": {
                    "cors": False,
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "OAuth",
                                }
                            ],
                            "text": "Authorization: Bearer <API token> issued by the clinic; the token owner's role "
                            "and locations decide what is visible.",
                        }
                    ],
                },
                "resource": resources,
                "operation": [{"name": "export", "definition": BULK_EXPORT, "documentation": _EXPORT_DOCS}],
            }
        ],
    }
