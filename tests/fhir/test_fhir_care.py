"""Encounter (sessions), Appointment (calendar), Consent and CarePlan (treatment plans) over /fhir/r4/."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.fhir.conftest import search_ok, token_for

pytestmark = pytest.mark.django_db


def _read_back(fhir_get: Any, name: str, resource: dict[str, Any], token: str) -> None:
    read = fhir_get(f"{name}/{resource['id']}", token=token)
    assert read.status_code == 200
    assert read.json() == resource


def test_encounter_and_careplan_from_a_session(fhir_get: Any, session_with_vitals: Any, alice: Any, erin: Any) -> None:
    token = token_for(alice)
    patient_id = session_with_vitals.patient_id
    encounters = search_ok(fhir_get, f"Encounter?patient={patient_id}", token)
    assert encounters["total"] == 1
    encounter = encounters["entry"][0]["resource"]
    assert encounter["status"] == "arrived" and encounter["class"]["code"] == "AMB"
    _read_back(fhir_get, "Encounter", encounter, token)
    today = timezone.now().date()
    assert search_ok(fhir_get, f"Encounter?date=ge{today - dt.timedelta(days=2)}", token)["total"] == 1
    assert search_ok(fhir_get, "Encounter?date=lt2000-01-01", token)["total"] == 0

    plans = search_ok(fhir_get, f"CarePlan?patient=Patient/{patient_id}", token)
    assert plans["total"] == 1
    plan = plans["entry"][0]["resource"]
    assert plan["status"] == "active" and plan["intent"] == "plan"
    _read_back(fhir_get, "CarePlan", plan, token)
    # A nurse at another location sees neither.
    other = token_for(erin)
    assert fhir_get(f"Encounter/{encounter['id']}", token=other).status_code == 404
    assert search_ok(fhir_get, "CarePlan", other)["total"] == 0


def test_front_desk_sees_appointments_and_consents_not_sessions(
    fhir_get: Any, carol: Any, dave: Any, alice: Any, pat: Any, main_st: Any
) -> None:
    from ketaclinic.patients import services as patients
    from ketaclinic.scheduling import services
    from tests.scheduling.conftest import a_future_day, local, set_up_location

    set_up_location(dave, main_st)
    day = a_future_day()
    services.add_shift(by=dave, user=alice, location=main_st, starts_at=local(day, 7), ends_at=local(day, 19))
    appointment = services.book(by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 9))
    patients.record_consent(
        by=carol,
        patient=pat,
        kind="treatment",
        version="2026-01",
        signed_at=timezone.now() - dt.timedelta(days=1),
        signed_by_name="Pat Rivera",
    )
    token = token_for(carol)
    appointments = search_ok(fhir_get, f"Appointment?patient={pat.pk}&date={day.isoformat()}", token)
    assert appointments["total"] == 1
    resource = appointments["entry"][0]["resource"]
    assert resource["id"] == str(appointment.pk) and resource["status"] == "booked"
    assert resource["participant"][0]["actor"]["reference"] == f"Patient/{pat.pk}"
    _read_back(fhir_get, "Appointment", resource, token)
    assert fhir_get(f"Appointment/{appointment.pk}", token=token)["ETag"] == f'W/"{appointment.version}"'
    assert search_ok(fhir_get, f"Appointment?patient={pat.pk}&date=lt{day.isoformat()}", token)["total"] == 0

    consents = search_ok(fhir_get, f"Consent?patient={pat.pk}", token)
    assert consents["total"] == 1
    consent = consents["entry"][0]["resource"]
    assert consent["status"] == "active" and consent["scope"]["coding"][0]["code"] == "treatment"
    _read_back(fhir_get, "Consent", consent, token)

    assert fhir_get("Encounter", token=token).status_code == 403
    assert fhir_get("CarePlan", token=token).status_code == 403


def test_medication_administration_once_dosing_starts(
    fhir_get: Any, session_with_vitals: Any, alice: Any, stock: Any
) -> None:
    from tests.infusions.conftest import start_iv

    token = token_for(alice)
    patient_id = session_with_vitals.patient_id
    assert search_ok(fhir_get, f"MedicationAdministration?patient={patient_id}", token)["total"] == 0
    start_iv(session_with_vitals, alice, stock)
    given = search_ok(fhir_get, f"MedicationAdministration?patient={patient_id}", token)
    assert given["total"] == 1
    resource = given["entry"][0]["resource"]
    assert resource["status"] == "in-progress"
    # RxNorm 6130 is still VERIFY; the NDC is the drawn vial's product's, from the ledger.
    assert resource["medicationCodeableConcept"] == {
        "coding": [{"system": "http://hl7.org/fhir/sid/ndc", "code": "99999-010-20"}],
        "text": "ketamine",
    }
    assert resource["context"]["reference"] == f"Encounter/{session_with_vitals.pk}"
    assert resource["dosage"]["route"]["text"] == "IV infusion"
    _read_back(fhir_get, "MedicationAdministration", resource, token)
    assert search_ok(fhir_get, "MedicationAdministration?effective-time=lt2000-01-01", token)["total"] == 0
