"""Group (issue 20): the patients seen at each location, ``Group/location-<pk>``, and the Group-level Bulk Data export
``Group/<id>/$export``. Groups validate against the R4B models; a token sees only the groups of its user's locations,
and only the members it may see; the export holds exactly the members' Patient-compartment resources."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from ketaclinic.audit.models import AuditEvent
from ketaclinic.fhir import bulk, exporter, registry
from ketaclinic.fhir.models import ExportJob
from ketaclinic.fhir.registry.groups import patient_path
from ketaclinic.patients.models import Patient
from tests.conftest import make_patient, make_user
from tests.fhir.conftest import validate
from tests.fhir.test_fhir_bulk import Bulk, _outcome

pytestmark = pytest.mark.django_db


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content[:400]
    body: dict[str, Any] = response.json()
    validate(body)
    return body


@pytest.fixture
def nina(clinic: Any, main_st: Any, lakeside: Any) -> Any:
    """A prescriber who works at both locations."""
    return make_user("nina", "prescriber", clinic, [main_st, lakeside], title="MD")


@pytest.fixture
def two_charts(chart: Any, lake: Any, nina: Any) -> tuple[Any, Any]:
    """Main's patient with a chart; Lakeside's with a condition of its own."""
    from ketaclinic.patients import services

    services.add_condition(
        by=nina, patient=lake, description="Generalized anxiety disorder", onset_date=dt.date(2020, 1, 1)
    )
    return chart, lake


def _members(group: dict[str, Any]) -> set[str]:
    return {m["entity"]["reference"] for m in group.get("member", [])}


def test_group_read_is_the_locations_visible_patients(
    fhir_get: Any, alice: Any, pat: Any, main_st: Any, clinic: Any
) -> None:
    gone = make_patient(main_st, given_name="Gone", family_name="Error")
    Patient.objects.filter(pk=gone.pk).update(entered_in_error=True)
    group = _ok(fhir_get(f"Group/location-{main_st.pk}", alice))
    assert group["id"] == f"location-{main_st.pk}"
    assert group["type"] == "person" and group["actual"] is True and group["active"] is True
    assert group["name"] == "Patients at Main"
    assert group["managingEntity"]["reference"] == f"Organization/{clinic.pk}"
    assert group["quantity"] == 1 and _members(group) == {f"Patient/{pat.pk}"}  # never the one entered in error
    event = AuditEvent.objects.filter(action="fhir.read").latest("seq")
    assert event.patient_id is None and event.detail == {"resource_type": "Group", "id": f"location-{main_st.pk}"}


def test_a_group_of_another_location_or_a_bad_id_is_404(fhir_get: Any, alice: Any, lake: Any, lakeside: Any) -> None:
    for group_id in (f"location-{lakeside.pk}", str(lakeside.pk), "location-x", "location-999999", "team-1"):
        assert _outcome(fhir_get(f"Group/{group_id}", alice), 404)


def test_group_search_by_name_and_id(
    fhir_get: Any, nina: Any, alice: Any, pat: Any, lake: Any, main_st: Any, lakeside: Any
) -> None:
    bundle = _ok(fhir_get("Group", nina))
    groups = {e["resource"]["name"]: e["resource"] for e in bundle["entry"]}
    assert set(groups) == {"Patients at Lakeside", "Patients at Main"}
    assert _members(groups["Patients at Main"]) == {f"Patient/{pat.pk}"}
    assert _members(groups["Patients at Lakeside"]) == {f"Patient/{lake.pk}"}

    def names(query: str, user: Any = nina) -> set[str]:
        return {e["resource"]["name"] for e in _ok(fhir_get(f"Group?{query}", user)).get("entry", [])}

    assert names("name=patients") == {"Patients at Lakeside", "Patients at Main"}
    assert names("name=Patients%20at%20ma") == {"Patients at Main"}
    assert names("name=lake") == {"Patients at Lakeside"}
    assert names("name=nowhere") == set()
    assert names(f"_id=location-{lakeside.pk}") == {"Patients at Lakeside"}
    assert names(f"_id={lakeside.pk}") == set()
    # Alice works at Main only: Lakeside's group is not hers to find.
    assert names("name=lake", alice) == set()
    assert names("", alice) == {"Patients at Main"}
    assert AuditEvent.objects.filter(action="fhir.search", detail__resource_type="Group").exists()


def test_metadata_lists_group_with_its_export(fhir_get: Any) -> None:
    served = {e["type"]: e for e in _ok(fhir_get("metadata"))["rest"][0]["resource"]}
    group = served["Group"]
    assert [i["code"] for i in group["interaction"]] == ["read", "search-type"]
    assert {p["name"] for p in group["searchParam"]} >= {"name", "_id"}
    assert group["operation"][0]["definition"].endswith("/group-export")


def test_every_exported_compartment_type_can_be_narrowed_to_a_group() -> None:
    """A source without a patient filter would contribute nothing to a Group export: none may exist silently."""
    for rt in registry.RESOURCE_TYPES.values():
        if not bulk.exportable(rt) or rt.name in bulk.NOT_IN_PATIENT_COMPARTMENT or rt.name == "Patient":
            continue
        for source in rt.sources_for_export():
            assert patient_path(source), f"{rt.name} {source.id_prefix}: no patient filter"


def test_group_export_holds_only_the_members_resources(
    client: Client, two_charts: tuple[Any, Any], nina: Any, main_st: Any, lakeside: Any
) -> None:
    from tests.fhir.conftest import token_for

    main_patient, lake_patient = two_charts
    client_bulk = Bulk(client, token_for(nina))
    manifest, files = client_bulk.export(f"Group/location-{main_st.pk}/$export")
    assert manifest["request"] == f"http://testserver/fhir/r4/Group/location-{main_st.pk}/$export"
    assert manifest["error"] == []
    assert {"Patient", "Condition", "AllergyIntolerance", "MedicationStatement", "Observation"} <= set(files)
    assert "Group" not in files and "Location" not in files and "Practitioner" not in files
    assert [r["id"] for r in files["Patient"]] == [str(main_patient.pk)]
    for name, resources in files.items():
        if name != "Patient":
            assert {r["subject"]["reference"] if "subject" in r else r["patient"]["reference"] for r in resources} == {
                f"Patient/{main_patient.pk}"
            }, name
    job = ExportJob.objects.get()
    assert job.level == ExportJob.Level.GROUP and job.group_location_id == main_st.pk and job.patient_count == 1
    requested = AuditEvent.objects.get(action="fhir.export.requested")
    assert requested.detail["level"] == "group" and requested.detail["group_location"] == main_st.pk

    # The other location's group, with _type: its patient and condition only.
    _, files = client_bulk.export(f"Group/location-{lakeside.pk}/$export", "_type=Patient,Condition")
    assert set(files) == {"Patient", "Condition"}
    assert [r["id"] for r in files["Patient"]] == [str(lake_patient.pk)]
    assert [r["code"]["text"] for r in files["Condition"]] == ["Generalized anxiety disorder"]


def test_group_export_refusals_write_nothing(
    client: Client, alice: Any, lake: Any, main_st: Any, lakeside: Any
) -> None:
    from tests.fhir.conftest import token_for

    client_bulk = Bulk(client, token_for(alice))
    assert "not known here" in _outcome(client_bulk.kick(f"Group/location-{lakeside.pk}/$export"), 404)
    assert _outcome(client_bulk.kick("Group/nothing/$export"), 404)
    assert "not in the Patient compartment" in _outcome(
        client_bulk.kick(f"Group/location-{main_st.pk}/$export", "_type=Group"), 400
    )
    assert "not in the Patient compartment" in _outcome(
        client_bulk.kick(f"Group/location-{main_st.pk}/$export", "_type=Practitioner"), 400
    )
    assert "respond-async" in _outcome(client_bulk.kick(f"Group/location-{main_st.pk}/$export", prefer=False), 400)
    assert "_bogus" in _outcome(client_bulk.kick(f"Group/location-{main_st.pk}/$export", "_bogus=1"), 400)
    assert not ExportJob.objects.exists()
    assert not AuditEvent.objects.filter(action="fhir.export.requested").exists()
    # One export at a time per token, Group-level ones included.
    client_bulk.start(f"Group/location-{main_st.pk}/$export")
    assert _outcome(client_bulk.kick("Patient/$export"), 429)


def test_group_export_fails_when_the_user_left_the_location(
    client: Client, nina: Any, lake: Any, lakeside: Any
) -> None:
    from tests.fhir.conftest import token_for

    client_bulk = Bulk(client, token_for(nina))
    status_url = client_bulk.start(f"Group/location-{lakeside.pk}/$export")
    nina.locations.remove(lakeside)
    [job] = exporter.run_pending()
    assert job.status == ExportJob.Status.FAILED and "no longer works" in job.error
    assert "no longer works" in _outcome(client_bulk.poll(status_url), 500)


def test_system_export_includes_the_groups(client: Client, alice: Any, pat: Any, main_st: Any) -> None:
    from tests.fhir.conftest import token_for

    _, files = Bulk(client, token_for(alice)).export("$export", "_type=Group")
    assert [(g["id"], _members(g)) for g in files["Group"]] == [(f"location-{main_st.pk}", {f"Patient/{pat.pk}"})]
