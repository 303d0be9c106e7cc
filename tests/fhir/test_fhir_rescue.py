"""Issue 20: the rescue drugs given in a session are MedicationAdministration resources (``rescue-<id>``) next to the
ketamine given, which carries its product's NDC from the ledger. Withdrawn rescue doses are not served; a nurse at
another location sees none; search by patient and date and the Bulk Data export find them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ketaclinic.fhir import export_files, exporter
from ketaclinic.fhir.resources.common import NDC, UCUM
from ketaclinic.infusions import services
from ketaclinic.infusions.models import RescueMedication
from tests.fhir.conftest import search_ok, token_for, validate
from tests.fhir.test_fhir_bulk import Bulk
from tests.infusions.conftest import fresh, start_esk, start_iv

pytestmark = pytest.mark.django_db

ONDANSETRON = {"drug": "ondansetron", "dose": "4 mg", "route": "iv", "reason": "Nausea after 20 minutes"}
#: A range and an unnamed route: kept as typed, no quantity or route guessed.
MIDAZOLAM = {"drug": "midazolam", "dose": "1-2 mg", "route": "other", "reason": "Dysphoria"}


def _rescue(session: Any, nurse: Any, values: dict[str, Any]) -> RescueMedication:
    return services.record_rescue_medication(by=nurse, session=fresh(session), version=None, values=values)


@pytest.fixture
def infusing(session_with_vitals: Any, alice: Any, stock: Any) -> Any:
    return start_iv(session_with_vitals, alice, stock)


def test_rescue_doses_are_served_with_the_ketamine_given(fhir_get: Any, infusing: Any, alice: Any) -> None:
    token = token_for(alice)
    ondansetron = _rescue(infusing, alice, ONDANSETRON)
    midazolam = _rescue(infusing, alice, MIDAZOLAM)
    patient = infusing.patient_id
    found = search_ok(fhir_get, f"MedicationAdministration?patient=Patient/{patient}", token)
    assert found["total"] == 3
    by_id = {entry["resource"]["id"]: entry["resource"] for entry in found["entry"]}
    assert set(by_id) == {str(infusing.pk), f"rescue-{ondansetron.pk}", f"rescue-{midazolam.pk}"}

    ketamine = by_id[str(infusing.pk)]
    # The vial's product NDC, as the draw copied it from the ledger; ketamine's RxNorm code is still VERIFY.
    assert ketamine["medicationCodeableConcept"] == {
        "coding": [{"system": NDC, "code": "99999-010-20"}],
        "text": "ketamine",
    }

    given = by_id[f"rescue-{ondansetron.pk}"]
    assert given["status"] == "completed"
    # Text only: knowledge/interoperability.md has no RxNorm code for the rescue drugs.
    assert given["medicationCodeableConcept"] == {"text": "ondansetron"}
    assert given["subject"] == {"reference": f"Patient/{patient}"}
    assert given["context"] == {"reference": f"Encounter/{infusing.pk}"}
    assert given["effectiveDateTime"].endswith("Z")
    assert given["performer"] == [{"actor": {"reference": f"Practitioner/{alice.pk}"}}]
    assert given["dosage"] == {
        "text": "4 mg",
        "route": {"text": "IV"},
        "dose": {"value": 4.0, "unit": "mg", "system": UCUM, "code": "mg"},
    }
    assert given["reasonCode"] == [{"text": "Nausea after 20 minutes"}]
    assert given["meta"]["versionId"] == "1"

    unclear = by_id[f"rescue-{midazolam.pk}"]
    assert unclear["dosage"] == {"text": "1-2 mg"}

    read = fhir_get(f"MedicationAdministration/rescue-{ondansetron.pk}", token=token)
    assert read.status_code == 200 and read.json() == given
    assert read["ETag"] == 'W/"1"'
    assert fhir_get(f"MedicationAdministration/{infusing.pk}", token=token).json() == ketamine
    assert fhir_get("MedicationAdministration/rescue-999999", token=token).status_code == 404
    assert fhir_get(f"MedicationAdministration/rescue{ondansetron.pk}", token=token).status_code == 404

    only = search_ok(fhir_get, f"MedicationAdministration?_id=rescue-{ondansetron.pk},{infusing.pk}", token)
    assert {e["resource"]["id"] for e in only["entry"]} == {f"rescue-{ondansetron.pk}", str(infusing.pk)}
    today = timezone.localdate()
    assert (
        search_ok(fhir_get, f"MedicationAdministration?effective-time=ge{today - dt.timedelta(days=1)}", token)["total"]
        == 3
    )
    assert search_ok(fhir_get, "MedicationAdministration?effective-time=lt2000-01-01", token)["total"] == 0
    assert search_ok(fhir_get, "MedicationAdministration?patient=Patient/999999", token)["total"] == 0


def test_an_allergy_override_is_noted(fhir_get: Any, infusing: Any, alice: Any, bob: Any) -> None:
    from ketaclinic.patients import services as patients

    patients.add_allergy(by=bob, patient=infusing.patient, substance="ondansetron", reaction="hives")
    row = _rescue(infusing, bob, {**ONDANSETRON, "allergy_override_reason": "Mild rash only; benefit outweighs"})
    resource = fhir_get(f"MedicationAdministration/rescue-{row.pk}", token=token_for(alice)).json()
    validate(resource)
    assert resource["note"] == [{"text": "Given despite a recorded allergy: Mild rash only; benefit outweighs"}]
    assert resource["performer"] == [{"actor": {"reference": f"Practitioner/{bob.pk}"}}]


def test_a_rescue_dose_entered_in_error_is_not_served(fhir_get: Any, infusing: Any, alice: Any) -> None:
    token = token_for(alice)
    wrong = _rescue(infusing, alice, ONDANSETRON)
    kept = _rescue(infusing, alice, {**ONDANSETRON, "drug": "other", "drug_other": "Dimenhydrinate", "dose": "50mg"})
    assert fhir_get(f"MedicationAdministration/rescue-{wrong.pk}", token=token).status_code == 200
    services.mark_entered_in_error(
        by=alice, session=fresh(infusing), version=None, row=wrong, reason="Charted on the wrong patient"
    )
    assert fhir_get(f"MedicationAdministration/rescue-{wrong.pk}", token=token).status_code == 404
    found = search_ok(fhir_get, f"MedicationAdministration?patient={infusing.patient_id}", token)
    assert [e["resource"]["id"] for e in found["entry"]] == [str(infusing.pk), f"rescue-{kept.pk}"]
    other = found["entry"][1]["resource"]
    assert other["medicationCodeableConcept"] == {"text": "Dimenhydrinate"}
    assert other["dosage"]["dose"]["value"] == 50.0


def test_only_the_sessions_a_reader_may_see(
    fhir_get: Any, infusing: Any, alice: Any, erin: Any, carol: Any, lake: Any
) -> None:
    row = _rescue(infusing, alice, ONDANSETRON)
    elsewhere = token_for(erin)  # a nurse at Lakeside only
    assert fhir_get(f"MedicationAdministration/rescue-{row.pk}", token=elsewhere).status_code == 404
    assert search_ok(fhir_get, "MedicationAdministration", elsewhere)["total"] == 0
    assert search_ok(fhir_get, f"MedicationAdministration?patient={infusing.patient_id}", elsewhere)["total"] == 0
    front_desk = token_for(carol)  # no sessions.view
    assert fhir_get(f"MedicationAdministration/rescue-{row.pk}", token=front_desk).status_code == 403
    # A withdrawn patient's rescue doses go with the patient.
    type(infusing.patient).objects.filter(pk=infusing.patient_id).update(entered_in_error=True)
    assert fhir_get(f"MedicationAdministration/rescue-{row.pk}", token=token_for(alice)).status_code == 404


def test_esketamine_from_two_products_names_neither_ndc(
    fhir_get: Any, esk_order: Any, alice: Any, stock: Any, clinic: Any, main_st: Any
) -> None:
    """A medication concept codes one medication: devices from two different kits (two package NDCs) give none."""
    from ketaclinic.ledger import services as ledger
    from tests.infusions.conftest import check_in, complete_check_in
    from tests.ledger.conftest import PRODUCTS, receive

    kit3 = ledger.save_product(by=None, clinic=clinic, values={**PRODUCTS["esk"], "ndc": "99999-028-03"})
    other = receive(alice, main_st, kit3, stock["supplier"], count=1, lot_number="ESK8")
    session = complete_check_in(check_in(esk_order, alice), alice)
    session = start_esk(session, alice, {"devices": [stock["devices"][0], other[0]]})
    resource = fhir_get(f"MedicationAdministration/{session.pk}", token=token_for(alice)).json()
    validate(resource)
    assert resource["medicationCodeableConcept"]["coding"] == [
        {
            "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
            "code": "2201623",
            "display": "esketamine Nasal Spray",
        }
    ]


def test_esketamine_from_one_product_carries_its_ndc(fhir_get: Any, esk_order: Any, alice: Any, stock: Any) -> None:
    from tests.infusions.conftest import check_in, complete_check_in

    session = start_esk(complete_check_in(check_in(esk_order, alice), alice), alice, stock)
    resource = fhir_get(f"MedicationAdministration/{session.pk}", token=token_for(alice)).json()
    validate(resource)
    codes = [(c["system"], c["code"]) for c in resource["medicationCodeableConcept"]["coding"]]
    assert codes == [("http://www.nlm.nih.gov/research/umls/rxnorm", "2201623"), (NDC, "99999-028-02")]


def test_the_export_holds_the_rescue_doses(client: Client, infusing: Any, alice: Any, erin: Any) -> None:
    given = _rescue(infusing, alice, ONDANSETRON)
    wrong = _rescue(infusing, alice, MIDAZOLAM)
    services.mark_entered_in_error(by=alice, session=fresh(infusing), version=None, row=wrong, reason="Not given")
    bulk = Bulk(client, token_for(alice))
    _, files = bulk.export("$export", "_type=MedicationAdministration")
    exported = files["MedicationAdministration"]
    assert [r["id"] for r in exported] == [str(infusing.pk), f"rescue-{given.pk}"]
    for resource in exported:  # the same mapping as a read (the ketamine row comes as a light record)
        assert client.get(f"/fhir/r4/MedicationAdministration/{resource['id']}", **bulk.auth).json() == resource
    _, patient_level = bulk.export("Patient/$export", "_type=MedicationAdministration")
    assert [r["id"] for r in patient_level["MedicationAdministration"]] == [str(infusing.pk), f"rescue-{given.pk}"]
    # _since: rescue doses recorded after it only (the session is exported whole: it has no change time).
    later = (timezone.now() + dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _, since = bulk.export("$export", f"_type=MedicationAdministration&_since={later}")
    assert [r["id"] for r in since["MedicationAdministration"]] == [str(infusing.pk)]
    # Another location's nurse exports none of them.
    _, none = Bulk(client, token_for(erin)).export("$export", "_type=MedicationAdministration")
    assert "MedicationAdministration" not in none


def test_rescue_rows_add_no_queries_to_an_export(client: Client, infusing: Any, alice: Any, monkeypatch: Any) -> None:
    """The rescue mapping reads only its own row (and the annotated patient): one query per source and chunk."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(export_files, "HEARTBEAT_S", 3600.0)
    bulk = Bulk(client, token_for(alice))
    _rescue(infusing, alice, ONDANSETRON)

    def export_queries() -> int:
        bulk.start("$export", "_type=MedicationAdministration")
        with CaptureQueriesContext(connection) as captured:
            [job] = exporter.run_pending()
        assert job.status == "done"
        return len(captured)

    few = export_queries()
    for _ in range(4):
        _rescue(infusing, alice, ONDANSETRON)
    assert export_queries() == few


def test_an_id_names_one_source_of_its_type() -> None:
    """Plain ids stay with the type's first table (the ketamine given keeps the session's id); every other table of a
    type has its own prefix, so ``rescue-12`` and ``12`` never name the same resource."""
    from ketaclinic.fhir import registry

    for rt in registry.RESOURCE_TYPES.values():
        prefixes = [source.id_prefix for source in rt.sources]
        assert prefixes.count("") <= 1 and len(set(prefixes)) == len(prefixes), rt.name
    administrations = registry.RESOURCE_TYPES["MedicationAdministration"]
    assert registry.source_for_id(administrations, "rescue-12") == (administrations.sources[1], 12)
    assert registry.source_for_id(administrations, "12") == (administrations.sources[0], 12)
    assert registry.source_for_id(administrations, "bp-12") is None
