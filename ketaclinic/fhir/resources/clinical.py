"""Condition, AllergyIntolerance and MedicationStatement from the chart (US Core where it has a profile).

Diagnoses carry the ICD-10-CM and SNOMED CT codes recorded on the chart (knowledge/interoperability.md: MDD
F32.x/F33.x, SNOMED 370143000; fibromyalgia M79.7 …); the chart's own wording is the text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ketaclinic.fhir.resources.common import (
    ALLERGY_CLINICAL,
    ALLERGY_VERIFICATION,
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    ICD10CM,
    SNOMED,
    coding,
    concept,
    instant,
    meta,
    patient_ref,
)
from ketaclinic.patients.models import Allergy, Condition, Medication

#: Chart status → FHIR condition-clinical. "History of" is a past problem: resolved.
CLINICAL_STATUS = {"active": "active", "resolved": "resolved", "history": "resolved"}


def condition_to_fhir(condition: Condition) -> dict[str, Any]:
    codes = []
    if condition.icd10_code:
        codes.append(coding(ICD10CM, condition.icd10_code))
    if condition.snomed_code:
        codes.append(coding(SNOMED, condition.snomed_code))
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": str(condition.pk),
        "meta": meta(condition.recorded_at),
        "clinicalStatus": concept(coding(CONDITION_CLINICAL, CLINICAL_STATUS.get(condition.status, "active"))),
        "verificationStatus": concept(coding(CONDITION_VERIFICATION, "confirmed")),
        "category": [concept(coding(CONDITION_CATEGORY, "problem-list-item", "Problem List Item"))],
        "code": concept(*codes, text=condition.description),
        "subject": patient_ref(condition.patient_id),
        "recordedDate": instant(condition.recorded_at),
    }
    if condition.onset_date:
        resource["onsetDateTime"] = condition.onset_date.isoformat()
    return resource


def allergy_to_fhir(allergy: Allergy) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "AllergyIntolerance",
        "id": str(allergy.pk),
        "meta": meta(allergy.recorded_at),
        "clinicalStatus": concept(coding(ALLERGY_CLINICAL, "active")),
        "verificationStatus": concept(coding(ALLERGY_VERIFICATION, "confirmed")),
        "code": concept(text=allergy.substance),
        "patient": patient_ref(allergy.patient_id),
        "recordedDate": instant(allergy.recorded_at),
    }
    if allergy.reaction or allergy.severity:
        reaction: dict[str, Any] = {"manifestation": [concept(text=allergy.reaction or "Reaction not described")]}
        if allergy.severity:
            reaction["severity"] = allergy.severity
        resource["reaction"] = [reaction]
    return resource


def medication_to_fhir(medication: Medication, *, today: dt.date) -> dict[str, Any]:
    """A home medication from the reconciliation: stopped once its stop date has come, active before."""
    stopped = medication.stopped_on is not None and medication.stopped_on <= today
    resource: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": str(medication.pk),
        "meta": meta(medication.recorded_at),
        "status": "stopped" if stopped else "active",
        "medicationCodeableConcept": concept(text=medication.generic_name),
        "subject": patient_ref(medication.patient_id),
        "dateAsserted": instant(medication.recorded_at),
    }
    period = {}
    if medication.started_on:
        period["start"] = medication.started_on.isoformat()
    if medication.stopped_on:
        period["end"] = medication.stopped_on.isoformat()
    if period:
        resource["effectivePeriod"] = period
    dosage = " ".join(part for part in (medication.dose, medication.frequency) if part)
    if dosage:
        resource["dosage"] = [{"text": dosage}]
    return resource
