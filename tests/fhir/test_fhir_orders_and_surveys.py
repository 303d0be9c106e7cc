"""MedicationRequest (the plan's order), PractitionerRole, Questionnaire, scale items as survey Observations and
``_include`` over /fhir/r4/: every answer validates against the R4B models, access follows role and location."""

from __future__ import annotations

from typing import Any

import pytest

from ketaclinic.audit.models import AuditEvent
from ketaclinic.domain import instruments
from tests.fhir.conftest import FHIR_JSON, token_for, validate

pytestmark = pytest.mark.django_db


def _search(fhir_get: Any, query: str, token: str) -> dict[str, Any]:
    response = fhir_get(query, token=token)
    assert response.status_code == 200, response.content[:400]
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    validate(body)
    return dict(body)


def _refused(fhir_get: Any, query: str, token: str, status: int = 400) -> str:
    response = fhir_get(query, token=token)
    assert response.status_code == status, response.content[:400]
    body = response.json()
    validate(body)
    assert body["resourceType"] == "OperationOutcome"
    return str(body["issue"][0]["diagnostics"])


def test_medication_request_is_the_signed_plans_order(
    fhir_get: Any, session_with_vitals: Any, alice: Any, bob: Any, carol: Any, erin: Any
) -> None:
    token = token_for(alice)
    patient_id = session_with_vitals.patient_id
    version = session_with_vitals.order.plan_version
    found = _search(fhir_get, f"MedicationRequest?patient={patient_id}", token)
    assert found["total"] == 1
    request = found["entry"][0]["resource"]
    assert request["id"] == str(version.pk)
    assert request["status"] == "active" and request["intent"] == "order"
    assert request["medicationCodeableConcept"] == {"text": "ketamine"}  # RxNorm 6130 is VERIFY
    assert request["requester"] == {"reference": f"Practitioner/{bob.pk}"}
    assert request["basedOn"] == [{"reference": f"CarePlan/{version.pk}"}]
    dosage = request["dosageInstruction"][0]
    assert dosage["doseAndRate"][0]["doseQuantity"]["value"] == float(version.dose_mg)
    assert dosage["route"]["text"] == "IV infusion"
    assert dosage["timing"]["repeat"]["count"] == version.sessions_planned
    assert request["meta"]["profile"] == ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-medicationrequest"]
    read = fhir_get(f"MedicationRequest/{version.pk}", token=token)
    assert read.status_code == 200 and read.json() == request
    assert AuditEvent.objects.filter(action="fhir.read", patient_id=patient_id).exists()

    assert _search(fhir_get, f"MedicationRequest?patient={patient_id}&status=active", token)["total"] == 1
    assert _search(fhir_get, "MedicationRequest?status=draft,stopped", token)["total"] == 0
    assert _search(fhir_get, "MedicationRequest?status=completed", token)["total"] == 0
    assert _search(fhir_get, "MedicationRequest?intent=order", token)["total"] == 1
    assert _search(fhir_get, "MedicationRequest?intent=plan", token)["total"] == 0
    assert "not a MedicationRequest status" in _refused(fhir_get, "MedicationRequest?status=bogus", token)

    # _include the prescriber; a nurse at another location sees nothing; front desk may not read orders.
    included = _search(fhir_get, f"MedicationRequest?patient={patient_id}&_include=MedicationRequest:requester", token)
    modes = {(e["resource"]["resourceType"], e["search"]["mode"]) for e in included["entry"]}
    assert modes == {("MedicationRequest", "match"), ("Practitioner", "include")}
    assert included["total"] == 1  # included resources are not counted
    assert _search(fhir_get, "MedicationRequest", token_for(erin))["total"] == 0
    assert fhir_get(f"MedicationRequest/{version.pk}", token=token_for(erin)).status_code == 404
    _refused(fhir_get, "MedicationRequest", token_for(carol), 403)


def test_include_is_checked_and_never_widens_access(fhir_get: Any, session_with_vitals: Any, alice: Any) -> None:
    token = token_for(alice)
    patient_id = session_with_vitals.patient_id
    for query, words in (
        ("Encounter?_include=Encounter:subject", "_include=Encounter:subject is not supported for Encounter"),
        ("Encounter?_include=Observation:patient", "not supported"),
        ("Condition?_include=Condition:patient", "Supported: none"),
        ("Encounter?_include=Encounter:practitioner:Location", "not supported"),
        ("Encounter?_include:iterate=Encounter:practitioner", "modifiers are not supported"),
    ):
        assert words in _refused(fhir_get, query, token), query
    body = _search(
        fhir_get, f"Encounter?patient={patient_id}&_include=Encounter:practitioner&_include=Encounter:patient", token
    )
    kinds = [(e["resource"]["resourceType"], e["search"]["mode"]) for e in body["entry"]]
    assert kinds[0] == ("Encounter", "match")
    assert ("Practitioner", "include") in kinds and ("Patient", "include") in kinds
    assert len({(e["resource"]["resourceType"], e["resource"]["id"]) for e in body["entry"]}) == len(kinds)
    encounter = body["entry"][0]["resource"]
    assert encounter["participant"][0]["individual"] == {"reference": f"Practitioner/{alice.pk}"}
    assert AuditEvent.objects.filter(action="fhir.search.patient", patient_id=patient_id).exists()


def test_practitioner_role_links_clinicians_to_their_shared_locations(
    fhir_get: Any, alice: Any, bob: Any, erin: Any, main_st: Any, lakeside: Any
) -> None:
    bob.locations.add(lakeside)  # bob also works at Lakeside, which alice cannot see
    token = token_for(alice)
    body = _search(fhir_get, "PractitionerRole", token)
    assert {e["resource"]["id"] for e in body["entry"]} == {str(alice.pk), str(bob.pk)}  # not Lakeside's nurse
    role = next(e["resource"] for e in body["entry"] if e["resource"]["id"] == str(bob.pk))
    assert role["practitioner"]["reference"] == f"Practitioner/{bob.pk}"
    assert role["code"][0]["coding"][0]["code"] == "prescriber"
    assert [loc["reference"] for loc in role["location"]] == [f"Location/{main_st.pk}"]
    assert role["organization"]["reference"] == f"Organization/{main_st.clinic_id}"
    assert _search(fhir_get, f"PractitionerRole?practitioner=Practitioner/{bob.pk}", token)["total"] == 1
    assert _search(fhir_get, f"PractitionerRole?location={main_st.pk}", token)["total"] == 2
    assert _search(fhir_get, f"PractitionerRole?location=Location/{lakeside.pk}", token)["total"] == 0
    assert _search(fhir_get, f"PractitionerRole?location={lakeside.pk},{main_st.pk}", token)["total"] == 2
    assert fhir_get(f"PractitionerRole/{erin.pk}", token=token).status_code == 404
    with_people = _search(
        fhir_get,
        f"PractitionerRole?practitioner={bob.pk}&_include=PractitionerRole:practitioner"
        "&_include=PractitionerRole:location",
        token,
    )
    assert sorted(e["resource"]["resourceType"] for e in with_people["entry"]) == [
        "Location",
        "Practitioner",
        "PractitionerRole",
    ]
    assert "expected Practitioner/<id>" in _refused(fhir_get, "PractitionerRole?practitioner=Patient/1", token)


def test_questionnaires_are_the_scales_with_licensed_text_withheld(fhir_get: Any, carol: Any) -> None:
    token = token_for(carol)  # not patient data: every role reads them
    every = _search(fhir_get, "Questionnaire?_count=100", token)
    assert every["total"] == len(instruments.ids())
    phq9 = _search(fhir_get, "Questionnaire?url=urn:ketaclinic:questionnaire:phq9", token)["entry"][0]["resource"]
    assert phq9["id"] == "phq9" and phq9["code"] == [{"system": "http://loinc.org", "code": "44249-1"}]
    items = [item for item in phq9["item"][0]["item"] if item["type"] != "display"]
    assert items[0]["linkId"] == "44250-9" and items[0]["text"] == "Little interest or pleasure in doing things"
    assert [option["valueInteger"] for option in items[0]["answerOption"]] == [0, 1, 2, 3]
    # GAD-7's panel code is VERIFY in the knowledge file: not sent.
    gad7 = fhir_get("Questionnaire/gad7", token=token).json()
    assert "code" not in gad7
    # MADRS and C-SSRS item text needs the owner's permission: short labels only.
    madrs = fhir_get("Questionnaire/madrs", token=token).json()
    labels = [item.label for item in instruments.get("madrs").items]
    assert [item["text"] for item in madrs["item"][0]["item"]] == labels
    cssrs = fhir_get("Questionnaire/cssrs-screener", token=token).json()
    validate(cssrs)
    assert [item["text"] for item in cssrs["item"][0]["item"]] == [
        i.label for i in instruments.get("cssrs_screener").items
    ]
    assert {item["type"] for item in cssrs["item"][0]["item"]} == {"boolean"}
    assert _search(fhir_get, "Questionnaire?code=http://loinc.org|44249-1", token)["total"] == 1
    assert _search(fhir_get, "Questionnaire?name=gad", token)["total"] == 1
    assert _search(fhir_get, "Questionnaire?_id=qids-sr16", token)["total"] == 1
    assert fhir_get("Questionnaire/qids_sr16", token=token).status_code == 400  # "_" is no FHIR id character
    assert fhir_get("Questionnaire/nothing", token=token).status_code == 404
    assert AuditEvent.objects.filter(action="fhir.read", detail__resource_type="Questionnaire").exists()


def test_every_scale_item_is_a_survey_observation_from_the_response(
    fhir_get: Any, session_with_vitals: Any, alice: Any
) -> None:
    token = token_for(alice)
    patient_id = session_with_vitals.patient_id
    totals = _search(fhir_get, f"Observation?patient={patient_id}&code=44261-6&_count=100", token)
    total = totals["entry"][-1]["resource"]
    pk = total["id"].removeprefix("score-")
    assert [m["reference"] for m in total["hasMember"]] == [f"Observation/item{n}-{pk}" for n in range(1, 10)]
    values = []
    for member in total["hasMember"]:
        item = fhir_get(member["reference"], token=token)
        assert item.status_code == 200, member
        resource = item.json()
        validate(resource)
        assert resource["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{pk}"}]
        assert resource["category"][0]["coding"][0]["code"] == "survey"
        values.append(resource["valueInteger"])
    assert values == [1, 1, 1, 1, 1, 1, 1, 1, 0]
    first = _search(fhir_get, f"Observation?patient={patient_id}&code=http://loinc.org|44250-9", token)
    assert {e["resource"]["id"] for e in first["entry"]} >= {f"item1-{pk}"}
    local = _search(fhir_get, f"Observation?patient={patient_id}&code=urn:ketaclinic:instrument|phq9.self_harm", token)
    assert f"item9-{pk}" in {e["resource"]["id"] for e in local["entry"]}
    response = fhir_get(f"QuestionnaireResponse/{pk}", token=token).json()
    assert response["questionnaire"] == "urn:ketaclinic:questionnaire:phq9"
    questionnaire = fhir_get("Questionnaire/phq9", token=token).json()
    asked = {item["linkId"] for item in questionnaire["item"][0]["item"]}
    assert {item["linkId"] for item in response["item"][0]["item"]} <= asked
