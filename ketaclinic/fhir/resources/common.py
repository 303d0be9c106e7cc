"""Small helpers the mappings share: references, instants, code systems.

Code system URIs are the ones FHIR R4 names (terminologies-systems.html): LOINC ``http://loinc.org``, SNOMED CT
``http://snomed.info/sct``, ICD-10-CM ``http://hl7.org/fhir/sid/icd-10-cm``, UCUM ``http://unitsofmeasure.org``, NDC
``http://hl7.org/fhir/sid/ndc``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
#: US National Drug Codes, written as the FDA lists them (with hyphens: 0409-2051-05).
NDC = "http://hl7.org/fhir/sid/ndc"
#: The clinic's medical record numbers; a URN because the number is only unique within this installation.
MRN_SYSTEM = "urn:ketaclinic:mrn"
#: Our own codes where no published one is verified (e.g. QIDS-SR16, MOAA/S): the instrument's id.
INSTRUMENT_SYSTEM = "urn:ketaclinic:instrument"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"


def instant(moment: dt.datetime) -> str:
    """An aware datetime as a FHIR instant in UTC, to the second."""
    # isoformat with timespec (no datetime copy): called a few million times by a bulk export.
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").removesuffix("+00:00") + "Z"


def patient_ref(patient_id: int) -> dict[str, str]:
    return {"reference": f"Patient/{patient_id}"}


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    found = {"system": system, "code": code}
    if display:
        found["display"] = display
    return found


def concept(*codings: dict[str, str], text: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if codings:
        found["coding"] = list(codings)
    if text:
        found["text"] = text
    return found


def meta(last_updated: dt.datetime | None, version: int | None = None) -> dict[str, str]:
    found: dict[str, str] = {}
    if version is not None:
        found["versionId"] = str(version)
    if last_updated is not None:
        found["lastUpdated"] = instant(last_updated)
    return found
