"""Patient (US Core Patient: identifier, name, gender, birth date; telecom, address, contact where recorded)."""

from __future__ import annotations

from typing import Any

from ketaclinic.fhir.resources.common import MRN_SYSTEM, meta
from ketaclinic.patients.models import Patient

#: Our "sex assigned at birth" choices onto FHIR's administrative gender (R4 valueset-administrative-gender).
GENDER = {"female": "female", "male": "male", "unknown": "unknown"}


def to_fhir(patient: Patient) -> dict[str, Any]:
    names: list[dict[str, Any]] = [{"use": "official", "family": patient.family_name, "given": [patient.given_name]}]
    if patient.preferred_name:
        names.append({"use": "usual", "given": [patient.preferred_name]})
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "meta": meta(patient.updated_at, patient.version),
        "identifier": [
            {"use": "usual", "type": {"text": "Medical record number"}, "system": MRN_SYSTEM, "value": patient.mrn}
        ],
        "active": True,
        "name": names,
        "gender": GENDER.get(patient.sex, "unknown"),
        "birthDate": patient.date_of_birth.isoformat(),
    }
    telecom = []
    if patient.phone:
        telecom.append({"system": "phone", "value": patient.phone})
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    if telecom:
        resource["telecom"] = telecom
    lines = [line for line in (patient.address_line1, patient.address_line2) if line]
    if lines or patient.city or patient.state or patient.postal_code:
        address: dict[str, Any] = {"use": "home", "country": "US"}
        if lines:
            address["line"] = lines
        for key, value in (("city", patient.city), ("state", patient.state), ("postalCode", patient.postal_code)):
            if value:
                address[key] = value
        resource["address"] = [address]
    if patient.emergency_contact_name:
        contact: dict[str, Any] = {"name": {"text": patient.emergency_contact_name}}
        if patient.emergency_contact_relationship:
            contact["relationship"] = [{"text": patient.emergency_contact_relationship}]
        if patient.emergency_contact_phone:
            contact["telecom"] = [{"system": "phone", "value": patient.emergency_contact_phone}]
        resource["contact"] = [contact]
    return resource
