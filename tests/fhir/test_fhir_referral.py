"""Referrals in (issue 20, CONTRACTS §9): ``POST /fhir/r4/Bundle`` → a consultation request in the triage queue, with
the referrer, reason, medications, allergies and documents; bad Bundles and other locations are refused with an
OperationOutcome and nothing written."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
from typing import Any

import pytest

from ketaclinic.audit.models import AuditEvent
from ketaclinic.documents import files
from ketaclinic.intake.models import ConsultationDocument, ConsultationRequest
from tests.conftest import make_patient, tiny_pdf
from tests.fhir.conftest import FHIR_JSON, token_for, validate

pytestmark = pytest.mark.django_db

PDF = tiny_pdf("a referral letter")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def referral_bundle(location_id: int, **changes: Any) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:patient-1",
                "resource": {
                    "resourceType": "Patient",
                    "name": [{"use": "official", "given": ["Jordan"], "family": "Avery"}],
                    "birthDate": "1984-06-02",
                    "telecom": [
                        {"system": "phone", "value": "(217) 555-0188"},
                        {"system": "email", "value": "jordan@example.org"},
                    ],
                    "extension": [
                        {"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex", "valueCode": "M"}
                    ],
                },
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "fullUrl": "urn:uuid:practitioner-1",
                "resource": {
                    "resourceType": "Practitioner",
                    "name": [{"prefix": ["Dr."], "given": ["Priya"], "family": "Shah"}],
                    "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}],
                    "telecom": [{"system": "phone", "value": "(217) 555-0100"}],
                },
                "request": {"method": "POST", "url": "Practitioner"},
            },
            {
                "fullUrl": "urn:uuid:sr-1",
                "resource": {
                    "resourceType": "ServiceRequest",
                    "status": "active",
                    "intent": "order",
                    "identifier": [{"system": "urn:example:referrals", "value": "REF-778"}],
                    "subject": {"reference": "urn:uuid:patient-1"},
                    "requester": {"reference": "urn:uuid:practitioner-1"},
                    "reasonCode": [
                        {
                            "coding": [{"system": "http://snomed.info/sct", "code": "370143000"}],
                            "text": "Treatment-resistant depression after three antidepressant trials",
                        }
                    ],
                    "locationReference": [{"reference": f"Location/{location_id}"}],
                    "note": [{"text": "Please assess for IV ketamine."}],
                },
                "request": {"method": "POST", "url": "ServiceRequest"},
            },
            {
                "resource": {
                    "resourceType": "MedicationStatement",
                    "status": "active",
                    "medicationCodeableConcept": {"text": "sertraline"},
                    "subject": {"reference": "urn:uuid:patient-1"},
                    "dosage": [{"text": "100 mg once daily"}],
                },
                "request": {"method": "POST", "url": "MedicationStatement"},
            },
            {
                "resource": {
                    "resourceType": "AllergyIntolerance",
                    "patient": {"reference": "urn:uuid:patient-1"},
                    "code": {"text": "penicillin"},
                    "criticality": "high",
                    "reaction": [{"manifestation": [{"text": "hives"}]}],
                },
                "request": {"method": "POST", "url": "AllergyIntolerance"},
            },
            {
                "resource": {
                    "resourceType": "DocumentReference",
                    "status": "current",
                    "subject": {"reference": "urn:uuid:patient-1"},
                    "content": [
                        {
                            "attachment": {
                                "contentType": "application/pdf",
                                "data": base64.b64encode(PDF).decode(),
                                "title": "Referral letter",
                            }
                        }
                    ],
                },
                "request": {"method": "POST", "url": "DocumentReference"},
            },
        ],
    }
    bundle.update(changes)
    return bundle


def post(client: Any, user: Any, body: Any) -> Any:
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(
        "/fhir/r4/Bundle",
        data=data,
        content_type=FHIR_JSON,
        HTTP_AUTHORIZATION=f"Bearer {token_for(user)}",
    )


def _outcome(response: Any, status: int) -> str:
    assert response.status_code == status, response.content[:600]
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    validate(body)
    assert body["resourceType"] == "OperationOutcome"
    return " ".join(issue["diagnostics"] for issue in body["issue"])


def test_a_referral_lands_in_triage_with_everything_the_referrer_sent(client: Any, carol: Any, main_st: Any) -> None:
    response = post(client, carol, referral_bundle(main_st.pk))
    text = _outcome(response, 201)
    item = ConsultationRequest.objects.get()
    assert item.reference in text
    assert response["Location"].endswith(f"/intake/requests/{item.pk}/")
    assert item.source == "fhir" and item.location == main_st and item.status == "new"
    assert (item.given_name, item.family_name, item.date_of_birth) == ("Jordan", "Avery", dt.date(1984, 6, 2))
    assert item.sex == "male" and item.pregnancy == "no" and item.concern == "depression"
    assert item.phone == "(217) 555-0188" and item.preferred_contact_method == "phone"
    assert item.referrer == {"name": "Dr. Priya Shah", "npi": "1234567893", "phone": "(217) 555-0100"}
    assert item.referral_reason == "Treatment-resistant depression after three antidepressant trials"
    assert item.details == "Please assess for IV ketamine."
    assert item.referral_identifier == "REF-778"
    assert item.referral_medications == [{"name": "sertraline", "dose": "100 mg once daily", "status": "active"}]
    assert item.referral_allergies == [{"substance": "penicillin", "reaction": "hives", "criticality": "high"}]
    document = ConsultationDocument.objects.get()
    assert document.request == item and document.title == "Referral letter"
    assert document.content_type == "application/pdf" and files.read(document.file_name) == PDF
    assert list(item.events.values_list("action", flat=True)) == ["referred"]
    event = AuditEvent.objects.get(action="consultation.referral")
    assert event.actor == carol and event.detail["documents"] == 1 and event.detail["referrer_npi"] == "1234567893"


def test_a_possible_existing_patient_is_flagged_not_refused(client: Any, carol: Any, main_st: Any) -> None:
    make_patient(main_st, given_name="Jordan", family_name="Avery", date_of_birth=dt.date(1984, 6, 2), sex="male")
    text = _outcome(post(client, carol, referral_bundle(main_st.pk)), 201)
    assert "Possible existing patient (1 match)" in text
    item = ConsultationRequest.objects.get()
    assert "Possible existing patient: 1 match" in item.events.get().note


def test_a_referral_without_birth_sex_is_reviewed_by_a_clinician(client: Any, alice: Any, main_st: Any) -> None:
    bundle = referral_bundle(main_st.pk)
    bundle["entry"][0]["resource"].pop("extension")
    text = _outcome(post(client, alice, bundle), 201)
    item = ConsultationRequest.objects.get()
    assert item.pregnancy == "unsure" and item.needs_clinical_review
    assert "A clinician reviews this referral first (pregnancy)" in text


def test_pain_codes_set_the_concern(client: Any, bob: Any, main_st: Any) -> None:
    bundle = referral_bundle(main_st.pk)
    service_request = bundle["entry"][2]["resource"]
    service_request["reasonCode"] = [
        {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "G90.511"}], "text": "CRPS I right arm"}
    ]
    _outcome(post(client, bob, bundle), 201)
    item = ConsultationRequest.objects.get()
    assert (item.concern, item.pain_type) == ("pain", "crps")


def _mutated(location_id: int, change: Any) -> dict[str, Any]:
    bundle = copy.deepcopy(referral_bundle(location_id))
    change(bundle)
    return bundle


BAD = [
    ("not json", lambda b: None, "not valid JSON"),
    ("patient", lambda b: b.update(resourceType="Patient"), "POST a Bundle"),
    ("searchset", lambda b: b.update(type="searchset"), "transaction or collection"),
    ("no entries", lambda b: b.update(entry=[]), "no entry"),
    ("no patient", lambda b: b["entry"].pop(0), "exactly one Patient"),
    ("no service request", lambda b: b["entry"].pop(2), "exactly one ServiceRequest"),
    (
        "unsupported type",
        lambda b: b["entry"].append({"resource": {"resourceType": "Observation", "status": "final"}}),
        "'Observation' is not part of a referral",
    ),
    ("invalid fhir", lambda b: b["entry"][2]["resource"].pop("status"), "entry.2.resource.status"),
    ("no requester", lambda b: b["entry"][2]["resource"].pop("requester"), "ServiceRequest.requester"),
    ("no location", lambda b: b["entry"][2]["resource"].pop("locationReference"), "locationReference"),
    ("no birth date", lambda b: b["entry"][0]["resource"].pop("birthDate"), "Patient.birthDate"),
    ("no contact", lambda b: b["entry"][0]["resource"].pop("telecom"), "Patient.telecom"),
    (
        "wrong subject",
        lambda b: b["entry"][2]["resource"].update(subject={"reference": "Patient/999"}),
        "ServiceRequest.subject",
    ),
    (
        "document by url",
        lambda b: b["entry"][5]["resource"]["content"][0]["attachment"].update(data=None, url="https://x/y.pdf"),
        "inline",
    ),
    (
        "word document",
        lambda b: b["entry"][5]["resource"]["content"][0]["attachment"].update(contentType="application/msword"),
        "not accepted",
    ),
    (
        "pdf that is not a pdf",
        lambda b: b["entry"][5]["resource"]["content"][0]["attachment"].update(
            data=base64.b64encode(b"MZ\x90 an executable").decode()
        ),
        "not a PDF, JPEG or PNG",
    ),
]


@pytest.mark.parametrize(("label", "change", "message"), BAD, ids=[case[0] for case in BAD])
def test_bad_bundles_are_400_and_write_nothing(
    client: Any, carol: Any, main_st: Any, label: str, change: Any, message: str
) -> None:
    body: Any = "{not json" if label == "not json" else _mutated(main_st.pk, change)
    text = _outcome(post(client, carol, body), 400)
    assert message in text
    assert not ConsultationRequest.objects.exists() and not ConsultationDocument.objects.exists()
    assert not AuditEvent.objects.filter(action="consultation.referral").exists()


def test_an_oversize_bundle_is_refused(client: Any, carol: Any, main_st: Any, settings: Any) -> None:
    settings.KETACLINIC_SCAN_MAX_MB = 1
    bundle = referral_bundle(main_st.pk)
    bundle["entry"][5]["resource"]["content"][0]["attachment"]["data"] = base64.b64encode(
        PNG + b"\x00" * (2 * 1024 * 1024)
    ).decode()
    assert "larger than" in _outcome(post(client, carol, bundle), 413)
    assert not ConsultationRequest.objects.exists()


def test_a_document_over_the_scan_limit_is_refused(client: Any, carol: Any, main_st: Any, settings: Any) -> None:
    settings.KETACLINIC_SCAN_MAX_MB = 1
    bundle = referral_bundle(main_st.pk)
    attachment = bundle["entry"][5]["resource"]["content"][0]["attachment"]
    attachment.update(contentType="image/png", data=base64.b64encode(PNG + b"\x00" * (1024 * 1024 + 10)).decode())
    assert "larger than 1 MB" in _outcome(post(client, carol, bundle), 400)
    assert not ConsultationRequest.objects.exists() and not ConsultationDocument.objects.exists()


def test_a_location_the_token_cannot_see_is_403(client: Any, carol: Any, lakeside: Any) -> None:
    text = _outcome(post(client, carol, referral_bundle(lakeside.pk)), 403)
    assert f"Location/{lakeside.pk} is not one of your locations" in text
    assert not ConsultationRequest.objects.exists()
    assert AuditEvent.objects.filter(action="fhir.referral.denied", outcome="denied").exists()


def test_a_role_that_does_not_triage_is_403(client: Any, dave: Any, main_st: Any) -> None:
    assert "may not send referrals" in _outcome(post(client, dave, referral_bundle(main_st.pk)), 403)
    assert not ConsultationRequest.objects.exists()


def test_no_token_is_401_and_get_is_405(client: Any, carol: Any, main_st: Any) -> None:
    response = client.post("/fhir/r4/Bundle", data=json.dumps(referral_bundle(main_st.pk)), content_type=FHIR_JSON)
    _outcome(response, 401)
    response = client.get("/fhir/r4/Bundle", HTTP_AUTHORIZATION=f"Bearer {token_for(carol)}")
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert not ConsultationRequest.objects.exists()


def test_the_triage_queue_and_page_show_the_referral(
    client_as: Any, client: Any, carol: Any, bob: Any, main_st: Any
) -> None:
    post(client, carol, referral_bundle(main_st.pk))
    item = ConsultationRequest.objects.get()
    document = item.documents.get()
    front_desk = client_as(carol)
    listing = front_desk.get("/intake/requests/").content.decode()
    assert "FHIR referral from Dr. Priya Shah" in listing and "Avery, Jordan" in listing
    page = front_desk.get(f"/intake/requests/{item.pk}/").content.decode()
    assert "Came in by FHIR from Dr. Priya Shah" in page and "NPI 1234567893" in page
    assert "penicillin" not in page and "for the clinical team" in page
    assert front_desk.get(f"/intake/requests/{item.pk}/documents/{document.pk}/").status_code == 403
    prescriber = client_as(bob)
    page = prescriber.get(f"/intake/requests/{item.pk}/").content.decode()
    assert "penicillin" in page and "sertraline" in page and "Treatment-resistant depression" in page
    download = prescriber.get(f"/intake/requests/{item.pk}/documents/{document.pk}/")
    assert download.status_code == 200 and download.content == PDF
    assert download["Content-Disposition"].startswith("attachment;")
    assert AuditEvent.objects.filter(action="consultation.document", actor=bob).exists()


def test_linking_or_converting_files_the_referral_documents_on_the_chart(
    client: Any, carol: Any, main_st: Any, pat: Any
) -> None:
    from ketaclinic.intake.services import consultation
    from ketaclinic.patients.models import ChartDocument

    post(client, carol, referral_bundle(main_st.pk))
    item = ConsultationRequest.objects.get()
    consultation.link_to_patient(by=carol, request=item, patient=pat)
    filed = ChartDocument.objects.get(patient=pat)
    assert filed.kind == "referral_letter" and filed.title == "Referral letter"
    assert files.read(filed.file_name) == PDF and filed.uploaded_by == carol

    post(client, carol, referral_bundle(main_st.pk))
    second = ConsultationRequest.objects.exclude(pk=item.pk).get()
    consultation.change_status(by=carol, request=second, to_status="contacted")
    patient = consultation.convert_request(
        by=carol,
        request=second,
        location=main_st,
        data=consultation.patient_data_from(second),
        acknowledge_duplicates=True,
    )
    assert ChartDocument.objects.filter(patient=patient, kind="referral_letter").count() == 1
