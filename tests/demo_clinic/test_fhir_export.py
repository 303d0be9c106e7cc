"""Issue 20 "Done when": the demo clinic bulk-exports; every emitted line validates against the R4B models, and every
exported type the reader's role reads gets its file (the demo has rows of each)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from django.test import Client

from ketaclinic.accounts.models import Clinic, Location
from ketaclinic.accounts.roles import role_can
from ketaclinic.fhir import export_files, registry
from ketaclinic.fhir.bulk import exportable
from ketaclinic.fhir.models import ExportJob
from ketaclinic.patients.models import Patient
from tests.conftest import make_user
from tests.fhir.conftest import token_for
from tests.fhir.test_fhir_bulk import Bulk


def test_the_demo_clinic_exports_and_every_line_validates(client: Client) -> None:
    home = Clinic.objects.order_by("pk").first()
    reader = make_user("bulkreader", "prescriber", home, list(Location.objects.filter(clinic=home)))
    manifest, files = Bulk(client, token_for(reader)).export()
    expected = {
        rt.name for rt in registry.RESOURCE_TYPES.values() if exportable(rt) and role_can("prescriber", rt.capability)
    }
    assert set(files) == expected
    assert {"Patient", "Observation", "MedicationRequest", "DocumentReference", "Provenance", "Composition"} <= expected
    assert "Slot" not in files and "Questionnaire" not in files and "AuditEvent" not in files
    assert manifest["error"] == []
    assert "Observation.ndjson" in {entry["url"].rsplit("/", 1)[1] for entry in manifest["output"]}  # one file
    visible = Patient.objects.filter(location__clinic=home, entered_in_error=False).count()
    assert len(files["Patient"]) == visible == ExportJob.objects.get().patient_count


def _as_json(resource: dict[str, Any]) -> dict[str, Any]:
    return dict(orjson.loads(orjson.dumps(resource)))


def test_the_observation_export_is_exactly_what_search_serves(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """The export reads each score once and writes its total with its items (``Source.fan_out``); search serves them
    from one source per item position, from model instances. Both give the same Observations, to the byte of their
    JSON, here with the scores split over several files by key range (one file: the test above)."""
    monkeypatch.setattr(export_files, "PART_ROWS", 40)
    home = Clinic.objects.order_by("pk").first()
    reader = make_user("obsreader", "prescriber", home, list(Location.objects.filter(clinic=home)))
    manifest, files = Bulk(client, token_for(reader)).export("$export", "_type=Observation")
    served: dict[str, dict[str, Any]] = {}
    for source in registry.RESOURCE_TYPES["Observation"].sources:
        for row in source.rows(reader):
            resource = source.to_fhir(row)
            served[resource["id"]] = _as_json(resource)
    exported = {resource["id"]: resource for resource in files["Observation"]}
    assert len(exported) == len(files["Observation"])  # no resource twice
    assert exported == served
    assert sum(1 for key in served if key.startswith("item")) > 100  # the demo's scales have items
    names = [entry["url"].rsplit("/", 1)[1] for entry in manifest["output"]]
    assert len(names) > 2 and names[:2] == ["Observation-1.ndjson", "Observation-2.ndjson"]
