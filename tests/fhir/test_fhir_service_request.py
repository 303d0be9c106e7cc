"""ServiceRequest (issue 20): the triage queue's consultation requests over /fhir/r4/ — the mapping validates against
the R4B models, access is the triage queue's (role and location; another location's request is 404), the search
parameters, the front desk's narrower view, and the Patient-level export leaving unlinked requests out."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ketaclinic.audit.models import AuditEvent
from ketaclinic.intake.models import ConsultationRequest
from ketaclinic.intake.services import consultation
from ketaclinic.patients.models import ChartDocument
from tests.fhir.conftest import token_for, validate
from tests.fhir.test_fhir_bulk import Bulk
from tests.fhir.test_fhir_referral import post, referral_bundle
from tests.intake.factories import consultation_request

pytestmark = pytest.mark.django_db


def _search(fhir_get: Any, query: str, user: Any) -> dict[str, Any]:
    response = fhir_get(query, user)
    assert response.status_code == 200, response.content[:400]
    body = response.json()
    validate(body)
    return dict(body)


def _ids(body: dict[str, Any]) -> list[str]:
    return [entry["resource"]["id"] for entry in body.get("entry", [])]


def _refused(fhir_get: Any, query: str, user: Any, status: int = 400) -> str:
    response = fhir_get(query, user)
    assert response.status_code == status, response.content[:400]
    body = response.json()
    validate(body)
    return str(body["issue"][0]["diagnostics"])


def _referral(client: Client, by: Any, location: Any) -> ConsultationRequest:
    before = set(ConsultationRequest.objects.values_list("pk", flat=True))
    assert post(client, by, referral_bundle(location.pk)).status_code == 201
    return ConsultationRequest.objects.exclude(pk__in=before).get()


def test_a_public_form_request_not_yet_linked(fhir_get: Any, main_st: Any, carol: Any) -> None:
    item = consultation_request(main_st)
    response = fhir_get(f"ServiceRequest/{item.pk}", carol)
    assert response.status_code == 200
    resource = response.json()
    validate(resource)
    assert resource["status"] == "active" and resource["intent"] == "proposal"
    assert resource["subject"] == {"display": "Jordan Avery"}  # no Patient yet: display only
    assert resource["requester"] == {"display": "Jordan Avery"}  # the person asked for themselves
    assert resource["identifier"][0] == {"system": "urn:ketaclinic:consultation-request", "value": item.reference}
    assert resource["reasonCode"] == [{"text": "Depression"}]
    assert resource["note"] == [{"text": "Three antidepressants have not helped."}]
    assert resource["locationReference"] == [{"reference": f"Location/{main_st.pk}", "display": main_st.name}]
    assert resource["meta"]["versionId"] == "1" and response["ETag"] == 'W/"1"'
    assert resource["authoredOn"].endswith("Z")
    assert "contained" not in resource and "supportingInfo" not in resource
    event = AuditEvent.objects.get(action="fhir.read", actor=carol)
    assert event.patient_id is None and event.detail == {"resource_type": "ServiceRequest", "id": str(item.pk)}


def test_a_referral_for_the_clinical_team_and_the_front_desk(
    client: Client, fhir_get: Any, main_st: Any, carol: Any, bob: Any, pat: Any
) -> None:
    item = _referral(client, carol, main_st)
    resource = _search(fhir_get, f"ServiceRequest?_id={item.pk}", bob)["entry"][0]["resource"]
    assert resource["intent"] == "order"
    assert resource["contained"] == [
        {
            "resourceType": "Practitioner",
            "id": "referrer",
            "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}],
            "name": [{"text": "Dr. Priya Shah"}],
            "telecom": [{"system": "phone", "value": "(217) 555-0100"}],
        }
    ]
    assert resource["requester"] == {"reference": "#referrer", "display": "Dr. Priya Shah"}
    reasons = [reason["text"] for reason in resource["reasonCode"]]
    assert reasons == ["Depression", "Treatment-resistant depression after three antidepressant trials"]
    assert resource["identifier"][1] == {"value": "REF-778", "assigner": {"display": "Dr. Priya Shah"}}
    assert "supportingInfo" not in resource  # its letter is not on a chart yet

    # Linking files the letter on the chart: the request is completed, its subject the Patient, the letter supporting.
    consultation.link_to_patient(by=carol, request=item, patient=pat)
    letter = ChartDocument.objects.get(patient=pat, kind="referral_letter")
    resource = _search(fhir_get, f"ServiceRequest?patient=Patient/{pat.pk}", bob)["entry"][0]["resource"]
    assert resource["status"] == "completed" and resource["subject"] == {"reference": f"Patient/{pat.pk}"}
    assert resource["supportingInfo"] == [{"reference": f"DocumentReference/doc-{letter.pk}"}]
    assert fhir_get(f"DocumentReference/doc-{letter.pk}", bob).status_code == 200
    # The front desk: the referrer and the concern, not the referral's reason or documents (as on the triage page).
    front = _search(fhir_get, f"ServiceRequest/?_id={item.pk}", carol)["entry"][0]["resource"]
    assert front["reasonCode"] == [{"text": "Depression"}] and "supportingInfo" not in front
    assert front["requester"]["display"] == "Dr. Priya Shah"
    # _include follows the subject to the Patient.
    bundle = _search(fhir_get, f"ServiceRequest?_id={item.pk}&_include=ServiceRequest:patient", bob)
    assert [(e["resource"]["resourceType"], e["search"]["mode"]) for e in bundle["entry"]] == [
        ("ServiceRequest", "match"),
        ("Patient", "include"),
    ]
    assert AuditEvent.objects.filter(action="fhir.search.patient", actor=bob, patient_id=pat.pk).exists()


def test_an_organisation_referrer_is_a_contained_organization(
    client: Client, fhir_get: Any, main_st: Any, bob: Any
) -> None:
    bundle = referral_bundle(main_st.pk)
    bundle["entry"][1] = {
        "fullUrl": "urn:uuid:org-1",
        "resource": {"resourceType": "Organization", "name": "Prairie Family Practice"},
    }
    bundle["entry"][2]["resource"]["requester"] = {"reference": "urn:uuid:org-1"}
    assert post(Client(), bob, bundle).status_code == 201
    item = ConsultationRequest.objects.get()
    resource = _search(fhir_get, f"ServiceRequest?_id={item.pk}", bob)["entry"][0]["resource"]
    assert resource["contained"] == [
        {"resourceType": "Organization", "id": "referrer", "name": "Prairie Family Practice"}
    ]


def test_access_is_the_triage_queues(
    fhir_get: Any, main_st: Any, lakeside: Any, carol: Any, alice: Any, erin: Any, dave: Any
) -> None:
    here = consultation_request(main_st)
    there = consultation_request(lakeside, given_name="Lee", client_ip="203.0.113.8")
    assert _ids(_search(fhir_get, "ServiceRequest", alice)) == [str(here.pk)]
    assert _ids(_search(fhir_get, "ServiceRequest", erin)) == [str(there.pk)]
    assert fhir_get(f"ServiceRequest/{here.pk}", erin).status_code == 404  # another location: not 403
    assert _search(fhir_get, f"ServiceRequest?_id={here.pk}", erin)["total"] == 0
    assert fhir_get("ServiceRequest/99999", carol).status_code == 404
    assert "ServiceRequest" in _refused(fhir_get, "ServiceRequest", dave, 403)  # an admin does not triage


def test_search_parameters(fhir_get: Any, main_st: Any, carol: Any, pat: Any) -> None:
    new = consultation_request(main_st)
    declined = consultation_request(main_st, given_name="Sam", client_ip="203.0.113.9")
    consultation.change_status(by=carol, request=declined, to_status="declined", decline_reason="withdrew")
    linked = consultation_request(main_st, given_name="Pat", client_ip="203.0.113.10")
    consultation.link_to_patient(by=carol, request=linked, patient=pat)
    ConsultationRequest.objects.filter(pk=new.pk).update(submitted_at=dt.datetime(2024, 3, 5, 9, 0, tzinfo=dt.UTC))

    def ids(query: str) -> set[str]:
        return set(_ids(_search(fhir_get, f"ServiceRequest?{query}", carol)))

    assert ids("status=active") == {str(new.pk)}
    assert ids("status=revoked") == {str(declined.pk)}
    assert ids("status=http://hl7.org/fhir/request-status|completed") == {str(linked.pk)}
    assert ids("status=active,revoked") == {str(new.pk), str(declined.pk)}
    assert ids("status=on-hold") == set()
    assert "not a ServiceRequest status" in _refused(fhir_get, "ServiceRequest?status=booked", carol)
    assert ids(f"patient={pat.pk}") == {str(linked.pk)}
    assert ids("authored=2024-03") == {str(new.pk)}
    assert ids("authored=ge2025-01-01") == {str(declined.pk), str(linked.pk)}
    assert ids(f"_id={new.pk},{linked.pk}") == {str(new.pk), str(linked.pk)}
    assert ids("intent=proposal") == {str(new.pk), str(declined.pk), str(linked.pk)}
    assert ids("intent=order") == ids("intent=plan") == set()
    assert "not a ServiceRequest intent" in _refused(fhir_get, "ServiceRequest?intent=referral", carol)
    assert "not a FHIR date" in _refused(fhir_get, "ServiceRequest?authored=March", carol)
    assert "Unknown search parameter" in _refused(fhir_get, "ServiceRequest?code=x", carol)
    revoked = _search(fhir_get, f"ServiceRequest/?_id={declined.pk}", carol)["entry"][0]["resource"]
    assert {"text": "Declined: The person withdrew"} in revoked["note"]
    assert revoked["meta"]["versionId"] == "2"


def test_booked_consultation_is_the_occurrence(fhir_get: Any, main_st: Any, carol: Any) -> None:
    item = consultation_request(main_st)
    consultation.change_status(by=carol, request=item, to_status="contacted")
    at = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    consultation.change_status(by=carol, request=item, to_status="booked", consultation_at=at)
    resource = fhir_get(f"ServiceRequest/{item.pk}", carol).json()
    validate(resource)
    assert resource["status"] == "active"
    assert resource["occurrenceDateTime"] == at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_exports_unlinked_requests_at_system_level_only(
    client: Client, main_st: Any, carol: Any, alice: Any, pat: Any
) -> None:
    unlinked = consultation_request(main_st)
    linked = consultation_request(main_st, given_name="Pat", client_ip="203.0.113.10")
    consultation.link_to_patient(by=carol, request=linked, patient=pat)
    bulk = Bulk(client, token_for(alice))
    _, files = bulk.export("$export", "_type=ServiceRequest")
    assert {r["id"] for r in files["ServiceRequest"]} == {str(unlinked.pk), str(linked.pk)}
    exported = next(r for r in files["ServiceRequest"] if r["id"] == str(linked.pk))
    assert client.get(f"/fhir/r4/ServiceRequest/{linked.pk}", **bulk.auth).json() == exported
    _, files = bulk.export("Patient/$export", "_type=ServiceRequest")
    assert [r["id"] for r in files["ServiceRequest"]] == [str(linked.pk)]


def test_capability_statement_lists_service_request(client: Client) -> None:
    statement = client.get("/fhir/r4/metadata").json()
    validate(statement)
    entry = next(r for r in statement["rest"][0]["resource"] if r["type"] == "ServiceRequest")
    assert {p["name"] for p in entry["searchParam"]} >= {"patient", "status", "authored", "_id", "intent"}
    assert entry["searchInclude"] == ["ServiceRequest:patient"] and "searchRevInclude" not in entry
    assert "_revinclude" not in {p["name"] for p in entry["searchParam"]}
    assert "supportedProfile" not in entry and entry["versioning"] == "versioned"


def test_the_number_of_queries_does_not_grow_with_the_requests(
    client: Client, fhir_get: Any, main_st: Any, carol: Any, bob: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import make_patient

    def linked_referral(n: int) -> None:
        patient = make_patient(main_st, given_name=f"Kim{n}", email=f"k{n}@example.org")
        consultation.link_to_patient(by=carol, request=_referral(client, carol, main_st), patient=patient)

    token = token_for(bob)

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            body = fhir_get("ServiceRequest?_count=50", token=token).json()
        assert all(len(e["resource"]["supportingInfo"]) == 1 for e in body["entry"])
        # The reads, not the audit rows (one per patient on the page) nor the token's bookkeeping.
        reads = [
            q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT") and "audit_" not in q["sql"]
        ]
        return len(reads), body["total"]

    linked_referral(0)
    few, one = queries()
    for n in range(1, 4):
        linked_referral(n)
    many, four = queries()
    assert (one, four) == (1, 4)
    assert many == few  # the referral files and their chart documents: one query each, not one per request
