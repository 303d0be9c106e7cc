"""Patient and what the chart records about them: Condition, AllergyIntolerance, MedicationStatement, Consent."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from ketaclinic.fhir.registry.base import PATIENT_PARAM, ResourceType, Source, by_date, chart_source
from ketaclinic.fhir.resources import care, clinical
from ketaclinic.fhir.resources import patient as patient_map
from ketaclinic.fhir.resources.common import MRN_SYSTEM
from ketaclinic.fhir.search import token
from ketaclinic.patients.models import Allergy, Condition, Consent, Medication
from ketaclinic.patients.queries import patients_visible_to


def _patient_names(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
    """FHIR string search: case-insensitive, the start of any name part (R4 search.html "string")."""
    for value in values:
        match = Q()
        for part in value.split(","):
            text = part.strip()
            match |= Q(given_name__istartswith=text) | Q(family_name__istartswith=text)
            match |= Q(preferred_name__istartswith=text)
        rows = rows.filter(match)
    return rows


def _patient_identifier(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any] | None:
    for value in values:
        mrns = [code for system, code in map(token, value.split(",")) if system in (None, MRN_SYSTEM)]
        rows = rows.filter(mrn__in=mrns)
    return rows


CHART_TYPES = (
    ResourceType(
        name="Patient",
        versioned=True,
        capability="patient.view",
        params={
            "name": ("string", "Start of the given, family or preferred name, any case"),
            "birthdate": ("date", "Date of birth (prefixes eq, lt, gt, le, ge)"),
            "identifier": ("token", f"Medical record number ({MRN_SYSTEM}|<mrn>)"),
        },
        sources=(
            Source(
                rows=patients_visible_to,
                to_fhir=patient_map.to_fhir,
                patient_id=lambda row: row.pk,
                filters={
                    "name": _patient_names,
                    "birthdate": by_date("date_of_birth", as_date=True, name="birthdate"),
                    "identifier": _patient_identifier,
                },
                order=("family_name", "given_name", "pk"),
            ),
        ),
        profile="http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient",
    ),
    ResourceType(
        name="Condition",
        capability="clinical.view",
        params={"patient": PATIENT_PARAM},
        sources=(chart_source(Condition, clinical.condition_to_fhir),),
    ),
    ResourceType(
        name="AllergyIntolerance",
        capability="clinical.view",
        params={"patient": PATIENT_PARAM},
        sources=(chart_source(Allergy, clinical.allergy_to_fhir),),
    ),
    ResourceType(
        name="MedicationStatement",
        capability="clinical.view",
        params={"patient": PATIENT_PARAM},
        sources=(
            chart_source(
                Medication,
                lambda row: clinical.medication_to_fhir(row, today=timezone.localdate()),
            ),
        ),
    ),
    ResourceType(
        name="Consent",
        capability="patient.view",
        params={"patient": PATIENT_PARAM},
        sources=(chart_source(Consent, lambda row: care.consent_to_fhir(row, today=timezone.localdate())),),
    ),
)
