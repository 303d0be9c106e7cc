"""MedicationRequest: the ketamine (or esketamine) order of one treatment plan version — drug, route, dose per session,
how often and how many sessions (US Core MedicationRequest: status, intent, medication, subject, authoredOn,
requester). Ids are the plan version's, so ``MedicationRequest/7`` and ``CarePlan/7`` are the same version
(``basedOn`` says so).

Status (FHIR R4 medicationrequest-status): a draft version is ``draft``; the signed version of an active plan is
``active``; a superseded version, or the signed version of a stopped plan, is ``stopped`` (dosing ended before every
planned session, or was replaced by the amended version named in ``priorPrescription`` of the next one). Intent is
always ``order``: a signed plan version is the prescriber's order (a draft is an order not yet signed).

Medication: RxNorm only where knowledge/interoperability.md gives a code that is not marked VERIFY (esketamine nasal
spray SCDF 2201623); ketamine (6130, VERIFY there) is sent as text.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ketaclinic.fhir.resources.care import ESKETAMINE_NASAL_SPRAY, RXNORM
from ketaclinic.fhir.resources.common import UCUM, coding, concept, instant, meta, patient_ref

STATUS_SYSTEM = "http://hl7.org/fhir/CodeSystem/medicationrequest-status"
INTENT_SYSTEM = "http://hl7.org/fhir/CodeSystem/medicationrequest-intent"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
#: Every code of FHIR R4's medicationrequest-status value set (what ``status=`` may ask for).
STATUSES = ("active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped", "draft", "unknown")
INTENTS = ("proposal", "plan", "order", "original-order", "reflex-order", "filler-order", "instance-order", "option")


def status_of(version: Any) -> str:
    if version.status == "draft":
        return "draft"
    if version.status == "signed" and version.plan.status == "active":
        return "active"
    return "stopped"


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def medication_request_to_fhir(version: Any, *, route_label: str, esketamine: bool) -> dict[str, Any]:
    if esketamine:
        medication = concept(coding(RXNORM, *ESKETAMINE_NASAL_SPRAY), text="esketamine nasal spray")
    else:
        medication = concept(text="ketamine")
    dose = _number(version.dose_mg)
    text = f"{dose} mg {route_label} per session"
    if version.infusion_duration_min:
        text += f" over {version.infusion_duration_min} min"
    if version.sessions_per_week:
        text += f", {version.sessions_per_week} session(s) a week"
    text += f", {version.sessions_planned} sessions planned from {version.start_date.isoformat()}"
    dosage: dict[str, Any] = {
        "sequence": 1,
        "text": text,
        "route": concept(text=route_label),
        "doseAndRate": [{"doseQuantity": {"value": dose, "unit": "mg", "system": UCUM, "code": "mg"}}],
    }
    timing: dict[str, Any] = {
        "boundsPeriod": {"start": version.start_date.isoformat()},
        "count": version.sessions_planned,
    }
    if version.sessions_per_week:
        timing.update(frequency=version.sessions_per_week, period=1, periodUnit="wk")
    dosage["timing"] = {"repeat": timing}
    if version.first_dose_mg is not None and version.first_dose_mg != version.dose_mg:
        dosage["additionalInstruction"] = [concept(text=f"First dose {_number(version.first_dose_mg)} mg")]
    requester = version.signed_by_id or version.created_by_id
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": str(version.pk),
        "meta": {
            "profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-medicationrequest"],
            **meta(version.signed_at or version.created_at),
        },
        "status": status_of(version),
        "intent": "order",
        "category": [concept(coding(CATEGORY_SYSTEM, "outpatient", "Outpatient"))],
        "reportedBoolean": False,
        "medicationCodeableConcept": medication,
        "subject": patient_ref(version.plan.patient_id),
        "authoredOn": instant(version.signed_at or version.created_at),
        "requester": {"reference": f"Practitioner/{requester}"},
        "reasonCode": [concept(text=version.indication)],
        "basedOn": [{"reference": f"CarePlan/{version.pk}"}],
        "groupIdentifier": {"system": "urn:ketaclinic:treatment-plan", "value": str(version.plan_id)},
        "note": [{"text": f"Protocol {version.protocol_id}, plan version {version.version}"}],
        "dosageInstruction": [dosage],
    }
    if version.supersedes_id:
        resource["priorPrescription"] = {"reference": f"MedicationRequest/{version.supersedes_id}"}
    return resource
