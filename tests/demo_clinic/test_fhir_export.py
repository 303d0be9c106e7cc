"""Issue 20 "Done when": the demo clinic bulk-exports; every emitted line validates against the R4B models, and every
exported type the reader's role reads gets its file (the demo has rows of each)."""

from __future__ import annotations

from django.test import Client

from ketaclinic.accounts.models import Clinic, Location
from ketaclinic.accounts.roles import role_can
from ketaclinic.fhir import registry
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
    visible = Patient.objects.filter(location__clinic=home, entered_in_error=False).count()
    assert len(files["Patient"]) == visible == ExportJob.objects.get().patient_count
