"""A signed letter's FHIR document is frozen at signing (``Bundle/letter-<id>`` and ``$document`` answer the same
stored Bundle, unchanged by later chart edits and addenda); an addendum is its own Composition that ``appends`` the
letter's (issue 20)."""

from __future__ import annotations

from typing import Any

import pytest

from ketaclinic.audit.models import AuditEvent
from ketaclinic.followup import hooks
from ketaclinic.followup.services import addenda, letters
from ketaclinic.patients import services as patients
from tests.fhir.conftest import FHIR_JSON, validate
from tests.followup.letter_factories import treated_patient
from tests.followup.test_letters import DATA

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(main_st: Any, bob: Any, alice: Any) -> Any:
    patient = treated_patient(main_st, bob, alice)
    return letters.sign_letter(by=bob, letter=letters.start_letter(by=bob, patient=patient, data=DATA))


def _patient_name(bundle: dict[str, Any]) -> str:
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    return str(patient["name"][0]["family"])


def test_the_bundle_is_frozen_at_signing_and_read_as_bundle_and_document(fhir_get: Any, signed: Any, bob: Any) -> None:
    assert signed.document_bundle["id"] == f"letter-{signed.pk}"
    response = fhir_get(f"Bundle/letter-{signed.pk}", bob)
    assert response.status_code == 200 and response["Content-Type"].startswith(FHIR_JSON)
    bundle = response.json()
    parsed = validate(bundle)
    assert parsed.type == "document" and bundle == signed.document_bundle
    assert bundle["entry"][0]["resource"]["resourceType"] == "Composition"
    assert bundle["entry"][0]["fullUrl"] == f"http://127.0.0.1:8000/fhir/r4/Composition/{signed.pk}"
    assert fhir_get(f"Composition/{signed.pk}/$document", bob).json() == bundle
    events = AuditEvent.objects.filter(action="fhir.document", patient_id=signed.patient_id)
    assert {e.detail["resource_type"] for e in events} == {"Bundle", "Composition"}
    assert all(e.detail["frozen"] for e in events)


def test_editing_the_patient_does_not_change_the_signed_document(
    fhir_get: Any, signed: Any, bob: Any, dave: Any
) -> None:
    before = fhir_get(f"Bundle/letter-{signed.pk}", bob).json()
    assert _patient_name(before) == "Ortiz"
    patients.update_patient(by=bob, patient=signed.patient, changes={"family_name": "Ortiz-Baker"})
    assert fhir_get(f"Patient/{signed.patient_id}", bob).json()["name"][0]["family"] == "Ortiz-Baker"
    after = fhir_get(f"Bundle/letter-{signed.pk}", bob).json()
    assert after == before and _patient_name(after) == "Ortiz"
    assert fhir_get(f"Composition/{signed.pk}/$document", bob).json() == before


def test_a_letter_signed_before_freezing_is_still_assembled_on_the_fly(
    fhir_get: Any, main_st: Any, bob: Any, alice: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(hooks, "_freezers", {})  # as before this change: nothing frozen at signing
    patient = treated_patient(main_st, bob, alice)
    old = letters.sign_letter(by=bob, letter=letters.start_letter(by=bob, patient=patient, data=DATA))
    assert old.document_bundle is None
    patients.update_patient(by=bob, patient=patient, changes={"family_name": "Ortiz-Baker"})
    document = fhir_get(f"Composition/{old.pk}/$document", bob).json()
    validate(document)
    assert _patient_name(document) == "Ortiz-Baker"
    assert fhir_get(f"Bundle/letter-{old.pk}", bob).json() == document


def test_an_addendum_is_its_own_composition_appending_the_letter(
    fhir_get: Any, signed: Any, bob: Any, alice: Any
) -> None:
    document = fhir_get(f"Composition/{signed.pk}/$document", bob).json()
    addendum = addenda.add_addendum(by=bob, letter=signed, text="New address: 12 Elm Street.", reason="Moved")
    read = fhir_get(f"Composition/addendum-{addendum.pk}", alice)
    assert read.status_code == 200
    composition = read.json()
    validate(composition)
    assert composition["status"] == "final" and composition["meta"]["versionId"] == "1"
    assert composition["relatesTo"] == [
        {"code": "appends", "targetReference": {"reference": f"Composition/{signed.pk}"}}
    ]
    assert composition["attester"][0]["party"]["reference"] == f"Practitioner/{bob.pk}"
    assert "12 Elm Street" in composition["section"][0]["text"]["div"]
    found = fhir_get(f"Composition?patient=Patient/{signed.patient_id}", alice).json()
    validate(found)
    assert [e["resource"]["id"] for e in found["entry"]] == [str(signed.pk), f"addendum-{addendum.pk}"]
    # The signed document does not change: an addendum is not part of it.
    assert fhir_get(f"Composition/{signed.pk}/$document", bob).json() == document
    addenda.mark_entered_in_error(by=bob, addendum=addendum, reason="Wrong address")
    withdrawn = fhir_get(f"Composition/addendum-{addendum.pk}", alice).json()
    assert withdrawn["status"] == "entered-in-error" and withdrawn["meta"]["versionId"] == "2"


def test_bundle_access_is_composition_access(fhir_get: Any, signed: Any, bob: Any, carol: Any, erin: Any) -> None:
    assert fhir_get(f"Bundle/letter-{signed.pk}", carol).status_code == 403  # front desk
    assert fhir_get(f"Bundle/letter-{signed.pk}", erin).status_code == 404  # another location
    draft = letters.start_letter(by=bob, patient=signed.patient, data=DATA)
    assert fhir_get(f"Bundle/letter-{draft.pk}", bob).status_code == 404  # a draft is no document
    missing = fhir_get("Bundle/referral-1", bob)
    assert missing.status_code == 404 and missing.json()["resourceType"] == "OperationOutcome"
    assert fhir_get(f"Bundle/letter-{signed.pk}").status_code == 401


def test_the_capability_statement_says_bundle_read_only(fhir_get: Any) -> None:
    statement = fhir_get("metadata").json()
    validate(statement)
    bundle = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Bundle")
    assert {i["code"] for i in bundle["interaction"]} == {"create", "read"}
    assert "Bundle/letter-<id>" in bundle["documentation"]
