"""Progress letters out as FHIR (issue 20): Composition read and search, and ``Composition/{id}/$document`` — a
document Bundle that validates against the R4B models, Composition first, every reference inside it resolvable."""

from __future__ import annotations

from typing import Any

import pytest

from ketaclinic.audit.models import AuditEvent
from ketaclinic.followup.services import letters
from tests.fhir.conftest import FHIR_JSON, validate
from tests.followup.letter_factories import treated_patient
from tests.followup.test_letters import DATA

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(main_st: Any, bob: Any, alice: Any) -> Any:
    patient = treated_patient(main_st, bob, alice)
    return letters.sign_letter(by=bob, letter=letters.start_letter(by=bob, patient=patient, data=DATA))


def test_the_document_bundle_validates_and_holds_what_it_references(fhir_get: Any, signed: Any, bob: Any) -> None:
    response = fhir_get(f"Composition/{signed.pk}/$document", bob)
    assert response.status_code == 200 and response["Content-Type"].startswith(FHIR_JSON)
    bundle = response.json()
    parsed = validate(bundle)
    assert parsed.type == "document" and bundle["identifier"]["value"].startswith(f"document-{signed.pk}-")
    resources = [entry["resource"] for entry in bundle["entry"]]
    composition = resources[0]
    assert composition["resourceType"] == "Composition" and composition["status"] == "final"
    assert composition["type"]["coding"][0]["code"] == "11506-3"
    assert composition["attester"][0]["mode"] == "legal"
    assert composition["attester"][0]["party"]["reference"] == f"Practitioner/{bob.pk}"
    titles = [section["title"] for section in composition["section"]]
    assert titles == [
        "Indication",
        "Treatment given",
        "Response to treatment",
        "Side effects and adverse events",
        "Plan going forward",
    ]
    kinds = [r["resourceType"] for r in resources]
    assert kinds.count("MedicationAdministration") == 6 and kinds.count("Observation") >= 7
    assert {"Patient", "Practitioner", "Organization"} <= set(kinds)
    present = {f"{r['resourceType']}/{r['id']}" for r in resources}
    referenced = [e["reference"] for s in composition["section"] for e in s.get("entry", [])]
    referenced += [composition["subject"]["reference"], composition["author"][0]["reference"]]
    referenced.append(composition["custodian"]["reference"])
    assert set(referenced) <= present
    assert "Nausea" in composition["section"][3]["text"]["div"]
    assert "Maintenance infusions" in composition["section"][4]["text"]["div"]
    assert AuditEvent.objects.filter(action="fhir.document", patient_id=signed.patient_id).exists()


def test_composition_read_and_search_by_patient(fhir_get: Any, signed: Any, alice: Any) -> None:
    read = fhir_get(f"Composition/{signed.pk}", alice)
    assert read.status_code == 200
    validate(read.json())
    found = fhir_get(f"Composition?patient=Patient/{signed.patient_id}", alice).json()
    validate(found)
    assert found["total"] == 1 and found["entry"][0]["resource"]["id"] == str(signed.pk)
    assert fhir_get("Composition?patient=999999", alice).json()["total"] == 0


def test_drafts_other_locations_and_other_roles_see_no_document(
    fhir_get: Any, signed: Any, bob: Any, carol: Any, erin: Any
) -> None:
    draft = letters.start_letter(by=bob, patient=signed.patient, data=DATA)
    assert fhir_get(f"Composition/{draft.pk}/$document", bob).status_code == 404
    assert fhir_get(f"Composition/{signed.pk}/$document", erin).status_code == 404  # another location
    assert fhir_get(f"Composition/{signed.pk}/$document", carol).status_code == 403  # front desk
    withdrawn = letters.mark_entered_in_error(by=bob, letter=signed, reason="Wrong recipient")
    body = fhir_get(f"Composition/{withdrawn.pk}", bob).json()
    assert body["status"] == "entered-in-error"
