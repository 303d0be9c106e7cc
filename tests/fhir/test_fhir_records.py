"""DocumentReference (+ Binary), AdverseEvent, Provenance and AuditEvent over /fhir/r4/: every answer validates against
the R4B models, access follows role and location, reads are audited, bad input is a 400."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from ketaclinic.audit.models import AuditEvent
from ketaclinic.infusions import services as infusions
from ketaclinic.patients import uploads
from tests.conftest import tiny_pdf
from tests.fhir.conftest import search_ok, token_for, validate
from tests.infusions.conftest import fresh
from tests.infusions.test_discharge import clock, discharge, observed_iv  # noqa: F401  (fixtures used by name)

pytestmark = pytest.mark.django_db

PDF = tiny_pdf("referral letter from Dr Lee")


@pytest.fixture(autouse=True)
def documents_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "documents"
    settings.KETACLINIC_DOCUMENTS_DIR = folder
    return folder


def _ids(body: dict[str, Any]) -> list[str]:
    return [entry["resource"]["id"] for entry in body.get("entry", [])]


def _refused(fhir_get: Any, query: str, token: str, status: int = 400) -> str:
    response = fhir_get(query, token=token)
    assert response.status_code == status, response.content[:400]
    body = response.json()
    validate(body)
    return str(body["issue"][0]["diagnostics"])


def _upload(by: Any, patient: Any, kind: str, title: str) -> Any:
    return uploads.upload_by_staff(by=by, patient=patient, content=PDF, kind=kind, title=title, document_date=None)


def test_documents_with_their_files_and_entered_in_error(
    fhir_get: Any, pat: Any, lake: Any, alice: Any, carol: Any, erin: Any
) -> None:
    letter = _upload(alice, pat, "referral_letter", "Referral from Dr Lee")
    card = _upload(carol, pat, "insurance_card", "Insurance card")
    token = token_for(alice)
    found = search_ok(fhir_get, f"DocumentReference?patient={pat.pk}", token)
    assert _ids(found) == [f"doc-{letter.pk}", f"doc-{card.pk}"]
    resource = found["entry"][0]["resource"]
    assert resource["status"] == "current" and resource["description"] == "Referral from Dr Lee"
    attachment = resource["content"][0]["attachment"]
    assert attachment["contentType"] == "application/pdf" and attachment["url"] == f"Binary/doc-{letter.pk}"
    assert attachment["size"] == len(PDF)
    assert resource["author"] == [{"reference": f"Practitioner/{alice.pk}"}]
    read = fhir_get(f"DocumentReference/doc-{letter.pk}", token=token)
    assert read.status_code == 200 and read.json() == resource
    assert _ids(search_ok(fhir_get, "DocumentReference?category=referral_letter", token)) == [f"doc-{letter.pk}"]
    assert search_ok(fhir_get, "DocumentReference?category=clinical-note", token)["total"] == 0
    assert search_ok(fhir_get, "DocumentReference?date=lt2000-01-01", token)["total"] == 0

    # The file itself, access-checked and audited; as FHIR JSON when asked.
    raw = fhir_get(f"Binary/doc-{letter.pk}", token=token)
    assert raw.status_code == 200 and raw.content == PDF
    assert raw["Content-Type"] == "application/pdf" and raw["X-Content-Type-Options"] == "nosniff"
    assert raw["ETag"] == f'"{letter.sha256}"' and "Last-Modified" in raw
    assert fhir_get(f"Binary/doc-{letter.pk}", token=token, HTTP_IF_NONE_MATCH=raw["ETag"]).status_code == 304
    event = AuditEvent.objects.filter(action="fhir.read", detail__resource_type="Binary").latest("seq")
    assert event.patient_id == pat.pk and event.detail["intact"] is True
    wrapped = fhir_get(f"Binary/doc-{letter.pk}", token=token, HTTP_ACCEPT="application/fhir+json")
    binary = wrapped.json()
    validate(binary)
    assert base64.b64decode(binary["data"]) == PDF

    # Front desk sees the insurance card, not the clinical letter; Lakeside's nurse sees neither.
    desk = token_for(carol)
    assert _ids(search_ok(fhir_get, f"DocumentReference?patient={pat.pk}", desk)) == [f"doc-{card.pk}"]
    assert fhir_get(f"Binary/doc-{letter.pk}", token=desk).status_code == 404
    assert fhir_get(f"Binary/doc-{card.pk}", token=desk).status_code == 200
    other = token_for(erin)
    assert search_ok(fhir_get, "DocumentReference", other)["total"] == 0
    assert fhir_get(f"Binary/doc-{letter.pk}", token=other).status_code == 404
    assert fhir_get("Binary/doc-999999", token=token).status_code == 404
    assert fhir_get("Binary/other-1", token=token).status_code == 404
    assert "Unknown or unsupported resource type" in _refused(fhir_get, "Binary", token)

    # Never deleted: a wrong upload stays, entered in error.
    uploads.mark_entered_in_error(by=alice, document=letter, reason="Wrong patient")
    withdrawn = fhir_get(f"DocumentReference/doc-{letter.pk}", token=token).json()
    validate(withdrawn)
    assert withdrawn["status"] == "entered-in-error"


def test_signed_note_adverse_events_and_provenance(
    fhir_get: Any,
    observed_iv: Any,  # noqa: F811
    alice: Any,
    bob: Any,
    erin: Any,
    carol: Any,
) -> None:
    effect = infusions.record_side_effect(
        by=alice,
        session=fresh(observed_iv),
        version=None,
        values={"effect": "nausea", "severity": "moderate", "adverse_event": True, "outcome": "resolved"},
    )
    session = discharge(observed_iv, alice)
    session = infusions.sign_note(by=bob, session=session, version=session.version)
    token = token_for(alice)
    patient_id = session.patient_id

    notes = search_ok(fhir_get, f"DocumentReference?patient={patient_id}&category=clinical-note", token)
    assert _ids(notes) == [f"note-{session.pk}"]
    note = notes["entry"][0]["resource"]
    assert note["docStatus"] == "final" and note["author"] == [{"reference": f"Practitioner/{bob.pk}"}]
    assert note["context"]["encounter"] == [{"reference": f"Encounter/{session.pk}"}]
    text = fhir_get(f"Binary/note-{session.pk}", token=token)
    assert text.status_code == 200 and text.content.decode() == session.note_text
    assert fhir_get(f"Binary/note-{session.pk}", token=token_for(carol)).status_code == 404  # no clinical sight

    events = search_ok(fhir_get, f"AdverseEvent?subject=Patient/{patient_id}", token)
    assert _ids(events) == [str(effect.pk)]
    event = events["entry"][0]["resource"]
    assert event["severity"]["coding"][0]["code"] == "moderate"
    assert event["outcome"]["coding"][0]["code"] == "resolved"
    assert event["encounter"] == {"reference": f"Encounter/{session.pk}"}
    assert "seriousness" in event
    assert search_ok(fhir_get, f"AdverseEvent?patient={patient_id}&date=lt2000-01-01", token)["total"] == 0
    assert search_ok(fhir_get, "AdverseEvent", token_for(erin))["total"] == 0
    _refused(fhir_get, "AdverseEvent", token_for(carol), 403)

    version = session.order.plan_version
    plan = search_ok(fhir_get, f"Provenance?target=CarePlan/{version.pk}", token)
    assert _ids(plan) == [f"plan-{version.pk}"]
    agents = {a["type"]["coding"][0]["code"]: a["who"]["reference"] for a in plan["entry"][0]["resource"]["agent"]}
    assert agents["attester"] == f"Practitioner/{bob.pk}"
    signed = search_ok(
        fhir_get, f"Provenance?target=DocumentReference/note-{session.pk}&_include=Provenance:target", token
    )
    assert [e["search"]["mode"] for e in signed["entry"]] == ["match"] + ["include"] * (len(signed["entry"]) - 1)
    included = {(e["resource"]["resourceType"], e["resource"]["id"]) for e in signed["entry"][1:]}
    assert ("Encounter", str(session.pk)) in included and ("DocumentReference", f"note-{session.pk}") in included
    provenance = signed["entry"][0]["resource"]
    assert provenance["meta"]["profile"] == ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-provenance"]
    assert all("onBehalfOf" in agent for agent in provenance["agent"])
    by_patient = search_ok(fhir_get, f"Provenance?patient={patient_id}", token)
    assert set(_ids(by_patient)) == {f"plan-{version.pk}", f"session-{session.pk}"}
    assert search_ok(fhir_get, "Provenance?target=Patient/1", token)["total"] == 0
    assert "expected <type>/<id>" in _refused(fhir_get, "Provenance?target=12", token)
    assert fhir_get(f"Provenance/session-{session.pk}", token=token_for(erin)).status_code == 404


def test_audit_events_for_clinic_admins_only(fhir_get: Any, chart: Any, alice: Any, dave: Any) -> None:
    fhir_get(f"Patient/{chart.pk}", alice)
    token = token_for(dave)
    body = search_ok(fhir_get, f"AuditEvent?patient={chart.pk}&_count=100", token)
    assert body["total"] >= 1
    read = next(e["resource"] for e in body["entry"] if e["resource"]["subtype"][0]["code"] == "fhir.read")
    assert read["type"]["code"] == "rest" and read["action"] == "R" and read["outcome"] == "0"
    assert read["agent"][0]["who"]["reference"] == f"Practitioner/{alice.pk}"
    assert read["entity"][0]["what"] == {"reference": f"Patient/{chart.pk}"}
    by_alice = search_ok(fhir_get, f"AuditEvent?agent=Practitioner/{alice.pk}&_count=100", token)
    assert by_alice["total"] >= 1
    assert all(e["resource"]["agent"][0]["who"]["identifier"]["value"] == str(alice.pk) for e in by_alice["entry"])
    assert search_ok(fhir_get, "AuditEvent?date=lt2000-01-01", token)["total"] == 0
    denied = _refused(fhir_get, "AuditEvent", token_for(alice), 403)
    assert "may not read AuditEvent" in denied
    refusal = search_ok(fhir_get, "AuditEvent?_count=1", token)["entry"][0]["resource"]
    validate(refusal)
    assert "expected Practitioner/<id>" in _refused(fhir_get, "AuditEvent?agent=Patient/1", token)
    assert "Unknown search parameter" in _refused(fhir_get, "AuditEvent?action=R", token)


@pytest.mark.parametrize(
    ("action", "code"),
    [
        ("fhir.read", "R"),
        ("patient.view_chart", "R"),
        ("chart_document.download", "R"),
        ("session.note.pdf", "R"),
        ("fhir.search", "E"),
        ("patient.create", "C"),
        ("measurement.record", "C"),
        ("schedule.book", "C"),
        ("session.sign", "U"),
        ("record.entered_in_error", "U"),
        ("patient.update", "U"),
        ("auth.login_failed", "E"),
    ],
)
def test_audit_actions_map_to_fhir_audit_event_actions(action: str, code: str) -> None:
    from ketaclinic.fhir.resources.audit import action_code

    assert action_code(action) == code
