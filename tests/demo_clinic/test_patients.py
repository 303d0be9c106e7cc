"""Issue 15: every demo patient's primary clinician works at the patient's location (so safety alerts reach them
first)."""

from __future__ import annotations

from ketaclinic.patients.models import Patient


def test_every_demo_patient_has_a_primary_clinician_at_their_location() -> None:
    patients = Patient.objects.select_related("primary_clinician").exclude(primary_clinician=None)
    assert patients.count() >= 60
    for patient in patients:
        assert patient.primary_clinician.locations.filter(pk=patient.location_id).exists(), patient
