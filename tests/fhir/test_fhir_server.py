"""/fhir/r4/ read and search (issue 20, CONTRACTS.md §9): every answer validates against the R4B models, access
follows the token owner's role and locations, every read is audited, bad input is a 400 OperationOutcome."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ketaclinic.audit.models import AuditEvent
from tests.conftest import make_patient
from tests.fhir.conftest import FHIR_JSON, token_for, validate

pytestmark = pytest.mark.django_db


def _outcome(response: Any, status: int) -> str:
    assert response.status_code == status, response.content[:400]
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    validate(body)
    assert body["resourceType"] == "OperationOutcome"
    return str(body["issue"][0]["diagnostics"])


def test_metadata_is_public_and_tells_what_is_served(fhir_get: Any) -> None:
    response = fhir_get("metadata")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    validate(body)
    served = {entry["type"]: entry for entry in body["rest"][0]["resource"]}
    assert set(served) == {
        "Patient",
        "Observation",
        "Condition",
        "AllergyIntolerance",
        "MedicationStatement",
        "Encounter",
        "Appointment",
        "Consent",
        "CarePlan",
        "QuestionnaireResponse",
        "MedicationAdministration",
        "Practitioner",
        "Organization",
        "Location",
        "Composition",
        "Bundle",
        "PractitionerRole",
        "MedicationRequest",
        "ServiceRequest",
        "Questionnaire",
        "DocumentReference",
        "AdverseEvent",
        "Provenance",
        "AuditEvent",
        "Schedule",
        "Slot",
        "Group",
        "Binary",
    }
    assert [i["code"] for i in served["Binary"]["interaction"]] == ["read"]
    assert "Encounter:practitioner" in served["Encounter"]["searchInclude"]
    assert "_include" in {p["name"] for p in served["Encounter"]["searchParam"]}
    assert "_include" not in {p["name"] for p in served["Condition"]["searchParam"]}
    assert [i["code"] for i in served["Patient"]["interaction"]] == ["read", "search-type"]
    assert {p["name"] for p in served["Observation"]["searchParam"]} >= {"patient", "code", "category", "date"}
    assert body["format"] == ["json"]
    assert served["Patient"]["versioning"] == "versioned" and served["Condition"]["versioning"] == "no-version"


def test_no_token_or_a_bad_token_is_401(fhir_get: Any, pat: Any) -> None:
    assert "Bearer" in _outcome(fhir_get(f"Patient/{pat.pk}"), 401)
    _outcome(fhir_get(f"Patient/{pat.pk}", token="not-a-token"), 401)
    _outcome(fhir_get("Patient", token="not-a-token"), 401)


def test_writes_are_refused_with_405(client: Any, alice: Any) -> None:
    response = client.post(
        "/fhir/r4/Patient", data="{}", content_type=FHIR_JSON, HTTP_AUTHORIZATION=f"Bearer {token_for(alice)}"
    )
    _outcome(response, 405)


def test_patient_read_validates_with_etag_and_is_audited(fhir_get: Any, chart: Any, alice: Any) -> None:
    response = fhir_get(f"Patient/{chart.pk}", alice)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    validate(body)
    assert body["identifier"][0]["value"] == chart.mrn
    assert body["name"][0]["family"] == "Rivera"
    assert body["gender"] == "female"
    assert body["birthDate"] == "1980-04-30"
    assert response["ETag"] == f'W/"{chart.version}"'
    assert "Last-Modified" in response
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.filter(action="fhir.read").latest("seq")
    assert event.patient_id == chart.pk
    assert event.actor == alice
    again = fhir_get(f"Patient/{chart.pk}", alice, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_another_locations_patient_is_404(fhir_get: Any, lake: Any, alice: Any) -> None:
    assert "not known here" in _outcome(fhir_get(f"Patient/{lake.pk}", alice), 404)
    _outcome(fhir_get("Patient/999999", alice), 404)
    _outcome(fhir_get("Observation/bp-999999", alice), 404)
    _outcome(fhir_get("Observation/nonsense", alice), 404)


def test_another_locations_patient_is_not_found_by_search(fhir_get: Any, pat: Any, lake: Any, alice: Any) -> None:
    body = fhir_get("Patient", alice).json()
    assert [e["resource"]["id"] for e in body["entry"]] == [str(pat.pk)]
    assert fhir_get(f"Condition?patient=Patient/{lake.pk}", alice).json()["total"] == 0


def test_front_desk_reads_patients_but_not_clinical_resources(fhir_get: Any, chart: Any, carol: Any) -> None:
    assert fhir_get(f"Patient/{chart.pk}", carol).status_code == 200
    assert "may not read Condition" in _outcome(fhir_get(f"Condition?patient={chart.pk}", carol), 403)
    assert AuditEvent.objects.filter(action="fhir.denied", outcome="denied").exists()


def test_patient_search_by_name_birthdate_and_identifier(fhir_get: Any, main_st: Any, chart: Any, alice: Any) -> None:
    make_patient(
        main_st, given_name="Morgan", family_name="Ames", date_of_birth=dt.date(1990, 1, 15), email="m@example.org"
    )
    token = token_for(alice)

    def ids(query: str) -> list[str]:
        response = fhir_get(f"Patient?{query}", token=token)
        assert response.status_code == 200, response.content
        body = response.json()
        validate(body)
        assert body["type"] == "searchset"
        return [entry["resource"]["id"] for entry in body.get("entry", [])]

    assert ids("name=riv") == [str(chart.pk)]
    assert ids("name=MOR") != [str(chart.pk)] and len(ids("name=mor")) == 1
    assert ids("birthdate=1980-04-30") == [str(chart.pk)]
    assert ids("birthdate=1980") == [str(chart.pk)]
    assert len(ids("birthdate=ge1985-01-01")) == 1
    assert ids("birthdate=le1980-04-30&name=riv") == [str(chart.pk)]
    assert ids("birthdate=gt1980-04-30&name=riv") == []
    assert ids("birthdate=eq1980-04&name=riv") == [str(chart.pk)]
    assert ids("name=riv,nobody") == [str(chart.pk)]
    assert ids("birthdate=lt1985-01-01&name=riv") == [str(chart.pk)]
    assert ids(f"identifier=urn:ketaclinic:mrn|{chart.mrn}") == [str(chart.pk)]
    assert ids(f"identifier={chart.mrn}") == [str(chart.pk)]
    assert ids(f"identifier=http://other.example|{chart.mrn}") == []
    assert ids(f"_id={chart.pk}") == [str(chart.pk)]


def test_search_is_audited_per_patient_shown(fhir_get: Any, chart: Any, alice: Any) -> None:
    fhir_get("Patient?name=riv", alice)
    summary = AuditEvent.objects.filter(action="fhir.search").latest("seq")
    assert summary.detail["resource_type"] == "Patient"
    assert summary.detail["total"] == 1
    assert AuditEvent.objects.filter(action="fhir.search.patient", patient_id=chart.pk).count() == 1


def test_paging_with_next_links_and_a_capped_count(fhir_get: Any, main_st: Any, alice: Any) -> None:
    for number in range(5):
        make_patient(main_st, given_name=f"Pat{number}", email=f"p{number}@example.org")
    token = token_for(alice)
    seen: list[str] = []
    url = "Patient?_count=2"
    pages = 0
    while url:
        body = fhir_get(url, token=token).json()
        validate(body)
        assert body["total"] == 5
        seen += [entry["resource"]["id"] for entry in body.get("entry", [])]
        following = [link["url"] for link in body["link"] if link["relation"] == "next"]
        url = following[0].split("/fhir/r4/", 1)[1] if following else ""
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 5
    capped = fhir_get("Patient?_count=1000000", token=token).json()
    assert len(capped["entry"]) == 5
    assert "_count=100&" in capped["link"][0]["url"]
    only_total = fhir_get("Patient?_count=0", token=token).json()
    assert only_total["total"] == 5 and "entry" not in only_total


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("Spaceship", "Unknown or unsupported resource type"),
        ("Spaceship/1", "Unknown or unsupported resource type"),
        ("Patient?colour=blue", "Unknown search parameter for Patient: colour"),
        ("Patient?name:exact=Pat", "modifiers are not supported"),
        ("Patient?birthdate=yesterday", "not a FHIR date"),
        ("Patient?birthdate=2020-02-30", "not a real date"),
        ("Patient?birthdate=sa2020-01-01", "prefix sa is not supported"),
        ("Patient?_count=-1", "expected a whole number"),
        ("Patient?_count=ten", "expected a whole number"),
        ("Patient?_format=xml", "only JSON"),
        ("Observation?patient=Practitioner/1", "expected Patient/<id>"),
        ("Observation?date=2024-13", "not a real date"),
        ("Patient/1/_history", "is not supported"),
        ("", "is not supported"),
        ("MedicationRequest?colour=blue", "Unknown search parameter for MedicationRequest: colour"),
        ("DocumentReference?date=yesterday", "not a FHIR date"),
        ("AdverseEvent?subject=Practitioner/1", "expected Patient/<id>"),
        ("Questionnaire?publisher=x", "Unknown search parameter for Questionnaire"),
        ("PractitionerRole?location=Patient/1", "expected Location/<id>"),
        ("Provenance?target=nothing", "expected <type>/<id>"),
        ("Observation?_include=Observation:patient", "is not supported for Observation"),
        ("Encounter/1/$export", "is not supported"),
    ],
)
def test_bad_input_is_a_400_operation_outcome(fhir_get: Any, alice: Any, query: str, words: str) -> None:
    before = AuditEvent.objects.filter(action__startswith="fhir.search").count()
    assert words in _outcome(fhir_get(query, alice), 400)
    assert AuditEvent.objects.filter(action__startswith="fhir.search").count() == before


def test_conditions_allergies_medications_validate(fhir_get: Any, chart: Any, lake: Any, alice: Any) -> None:
    token = token_for(alice)
    for name in ("Condition", "AllergyIntolerance", "MedicationStatement"):
        body = fhir_get(f"{name}?patient={chart.pk}", token=token).json()
        validate(body)
        assert body["total"] == 1, name
        resource = body["entry"][0]["resource"]
        read = fhir_get(f"{name}/{resource['id']}", token=token)
        assert read.status_code == 200
        assert read.json() == resource
    condition = fhir_get(f"Condition?patient=Patient/{chart.pk}", token=token).json()["entry"][0]["resource"]
    assert {c["code"] for c in condition["code"]["coding"]} == {"F33.2", "370143000"}
    medication = fhir_get(f"MedicationStatement?patient={chart.pk}", token=token).json()["entry"][0]["resource"]
    assert medication["status"] == "active" and medication["dosage"][0]["text"] == "100 mg once daily"


def test_observations_vital_signs_and_scores(fhir_get: Any, session_with_vitals: Any, alice: Any) -> None:
    patient_id = session_with_vitals.patient_id
    token = token_for(alice)
    everything = fhir_get(f"Observation?patient={patient_id}&_count=100", token=token).json()
    validate(everything)
    codes = {c["code"] for e in everything["entry"] for c in e["resource"]["code"]["coding"]}
    assert {"85354-9", "8867-4", "59408-5", "2708-6", "44261-6"} <= codes
    assert everything["total"] == len(everything["entry"])

    bp = fhir_get(f"Observation?patient={patient_id}&code=http://loinc.org|85354-9", token=token).json()
    validate(bp)
    assert bp["total"] == 1
    components = {
        c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in bp["entry"][0]["resource"]["component"]
    }
    assert components == {"8480-6": 124, "8462-4": 78}

    survey = fhir_get(f"Observation?patient={patient_id}&category=survey", token=token).json()
    assert survey["total"] >= 1
    assert all(e["resource"]["category"][0]["coding"][0]["code"] == "survey" for e in survey["entry"])
    by_code = fhir_get(f"Observation?patient={patient_id}&code=44261-6&_count=100", token=token).json()
    phq9 = by_code["entry"][-1]["resource"]  # the session's, the latest
    assert phq9["valueQuantity"]["value"] == 8 and phq9["interpretation"][0]["text"] == "mild"
    local = f"Observation?patient={patient_id}&code=urn:ketaclinic:instrument|phq9"
    assert fhir_get(local, token=token).json()["total"] == by_code["total"]
    assert fhir_get(f"Observation?patient={patient_id}&code=http://other|44261-6", token=token).json()["total"] == 0
    vitals = fhir_get(f"Observation?patient={patient_id}&category=vital-signs", token=token).json()
    assert vitals["total"] == everything["total"] - survey["total"]
    assert (
        fhir_get(f"Observation?patient={patient_id}&date=ge2000-01-01&date=lt2000-02-01", token=token).json()["total"]
        == 0
    )
    read = fhir_get(f"Observation/{phq9['id']}", token=token)
    assert read.status_code == 200 and read.json() == phq9

    # The total is derived from the answers, served as a QuestionnaireResponse with the items' LOINC codes.
    response_ref = phq9["derivedFrom"][0]["reference"]
    answers = fhir_get(response_ref, token=token)
    assert answers.status_code == 200
    response = answers.json()
    validate(response)
    group = response["item"][0]
    assert group["linkId"] == "phq9"
    assert [item["linkId"] for item in group["item"]][:2] == ["44250-9", "44255-8"]
    assert [item["answer"][0]["valueInteger"] for item in group["item"][:9]] == [1, 1, 1, 1, 1, 1, 1, 1, 0]
    listed = fhir_get(f"QuestionnaireResponse?patient={patient_id}&_count=100", token=token).json()
    validate(listed)
    totals = [e for e in survey["entry"] if e["resource"]["id"].startswith("score-")]
    assert listed["total"] == len(totals)


def test_observation_paging_crosses_sources(fhir_get: Any, session_with_vitals: Any, alice: Any) -> None:
    token = token_for(alice)
    patient_id = session_with_vitals.patient_id
    total = fhir_get(f"Observation?patient={patient_id}", token=token).json()["total"]
    seen = []
    for offset in range(0, total, 2):
        page = fhir_get(f"Observation?patient={patient_id}&_count=2&_offset={offset}", token=token).json()
        seen += [entry["resource"]["id"] for entry in page["entry"]]
    assert len(seen) == len(set(seen)) == total


def test_body_measurements_are_vital_signs(fhir_get: Any, chart: Any, alice: Any) -> None:
    body = fhir_get(f"Observation?patient={chart.pk}&code=29463-7", alice).json()
    validate(body)
    assert body["entry"][0]["resource"]["valueQuantity"] == {
        "value": 70.5,
        "unit": "kg",
        "system": "http://unitsofmeasure.org",
        "code": "kg",
    }


def test_a_deactivated_users_token_is_401(fhir_get: Any, pat: Any, alice: Any) -> None:
    token = token_for(alice)
    type(alice).objects.filter(pk=alice.pk).update(is_active=False)
    _outcome(fhir_get(f"Patient/{pat.pk}", token=token), 401)


def test_clinic_admin_reads_demographics_not_clinical_data(fhir_get: Any, chart: Any, dave: Any) -> None:
    token = token_for(dave)
    assert fhir_get(f"Patient/{chart.pk}", token=token).status_code == 200
    for name in ("Observation", "Condition", "QuestionnaireResponse", "Encounter", "CarePlan"):
        _outcome(fhir_get(f"{name}?patient={chart.pk}", token=token), 403)


def test_every_clinical_read_is_audited_with_its_patient(fhir_get: Any, chart: Any, alice: Any) -> None:
    token = token_for(alice)
    for name in ("Condition", "AllergyIntolerance", "MedicationStatement"):
        resource = fhir_get(f"{name}?patient={chart.pk}", token=token).json()["entry"][0]["resource"]
        fhir_get(f"{name}/{resource['id']}", token=token)
        event = AuditEvent.objects.filter(action="fhir.read").latest("seq")
        assert event.patient_id == chart.pk
        assert event.detail == {"resource_type": name, "id": resource["id"]}


def test_a_search_reads_one_page_not_every_row(
    fhir_get: Any, main_st: Any, alice: Any, django_assert_max_num_queries: Any
) -> None:
    for number in range(30):
        make_patient(main_st, given_name=f"Many{number}", email=f"m{number}@example.org")
    token = token_for(alice)
    with django_assert_max_num_queries(40) as queries:
        body = fhir_get("Patient?_count=2", token=token).json()
    assert body["total"] == 30 and len(body["entry"]) == 2
    patient_reads = [
        q["sql"] for q in queries.captured_queries if 'FROM "patients_patient"' in q["sql"].split(" WHERE ")[0]
    ]
    assert patient_reads and all("LIMIT" in sql or "COUNT(" in sql for sql in patient_reads), patient_reads
