"""The patient chart: registration, edits, clinical entries, entered-in-error, search — through services and forms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.audit.models import AuditEvent
from ketaclinic.patients import services
from ketaclinic.patients.models import BodyMeasurement, Condition, Patient
from ketaclinic.patients.queries import patients_visible_to, search
from tests.conftest import make_patient, sign_in

VALID = {
    "given_name": "Maya",
    "family_name": "Lindqvist",
    "date_of_birth": "1988-02-29",
    "sex": "female",
    "phone": "(217) 555-0188",
    "email": "maya@example.org",
    "state": "IL",
    "postal_code": "62701",
}

CLINIC_ZONE = ZoneInfo("America/Chicago")  # tests/conftest.py: the test clinic's zone


def test_registering_a_patient_gives_an_mrn_and_is_audited(alice: Any, main_st: Any) -> None:
    patient = services.create_patient(
        by=alice,
        location=main_st,
        data={
            "given_name": " Maya ",
            "family_name": "Lindqvist",
            "date_of_birth": dt.date(1988, 2, 29),
            "sex": "female",
        },
    )
    assert patient.mrn.startswith("K") and len(patient.mrn) == 8
    assert patient.given_name == "Maya"
    assert AuditEvent.objects.filter(action="patient.create", patient_id=patient.pk, actor=alice).exists()


def test_a_location_the_user_does_not_work_at_is_refused(alice: Any, lakeside: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.create_patient(
            by=alice,
            location=lakeside,
            data={"given_name": "A", "family_name": "B", "date_of_birth": dt.date(1990, 1, 1), "sex": "male"},
        )
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"date_of_birth": "1850-01-01"}, "date_of_birth"),
        ({"given_name": ""}, "given_name"),
        ({"sex": "robot"}, "sex"),
        ({"email": "not-an-email"}, "email"),
        ({"state": "Illinois"}, "state"),
        ({"postal_code": "6270"}, "postal_code"),
        ({"phone": "call me maybe"}, "phone"),
    ],
)
def test_the_registration_form_shows_field_errors_and_writes_nothing(
    change: dict[str, str], field: str, alice: Any, main_st: Any, client: Any
) -> None:
    sign_in(client, alice)
    before = AuditEvent.objects.count()
    response = client.post(reverse("patients:create"), {**VALID, **change, "location": main_st.pk})
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Patient.objects.exists()
    assert AuditEvent.objects.count() == before


def test_the_registration_form_registers_and_opens_the_chart(alice: Any, main_st: Any, client: Any) -> None:
    sign_in(client, alice)
    response = client.post(reverse("patients:create"), {**VALID, "location": main_st.pk})
    patient = Patient.objects.get()
    assert response["Location"] == reverse("patients:chart", args=[patient.pk])


def test_editing_keeps_a_version_and_refuses_a_stale_save(alice: Any, bob: Any, pat: Any) -> None:
    services.update_patient(by=alice, patient=pat, changes={"phone": "(217) 555-0999"}, expected_version=1)
    with pytest.raises(ValidationError, match="Someone else changed this patient"):
        services.update_patient(by=bob, patient=pat, changes={"phone": "(217) 555-0000"}, expected_version=1)
    pat.refresh_from_db()
    assert (pat.phone, pat.version) == ("(217) 555-0999", 2)
    event = AuditEvent.objects.filter(action="patient.update").get()
    assert event.detail == {"fields": ["phone"]}


def test_recording_weight_shows_the_bmi_on_the_chart(alice: Any, pat: Any, client: Any) -> None:
    sign_in(client, alice)
    response = client.post(
        reverse("patients:measurement_create", args=[pat.pk]),
        # The form reads the time in the clinic's zone (the test clinic's: America/Chicago), whatever zone the test
        # process happens to have active.
        {
            "measured_at": timezone.localtime(timezone=CLINIC_ZONE).strftime("%Y-%m-%dT%H:%M"),
            "weight_kg": "80",
            "height_cm": "175",
        },
    )
    assert response.status_code == 302
    chart = client.get(reverse("patients:chart", args=[pat.pk])).content.decode()
    assert 'data-testid="latest-bmi">26.1<' in chart
    assert "BMI ≥ 30" not in chart


def test_bmi_of_30_or_more_shows_the_ideal_body_weight_note(alice: Any, pat: Any, client: Any) -> None:
    services.record_measurement(by=alice, patient=pat, weight_kg=Decimal("100"), height_cm=Decimal("170"))
    sign_in(client, alice)
    assert "BMI ≥ 30" in client.get(reverse("patients:chart", args=[pat.pk])).content.decode()


@pytest.mark.parametrize(("weight", "height"), [("7000", "175"), ("80", "17"), ("-5", "170"), ("abc", "170")])
def test_impossible_measurements_are_refused(weight: str, height: str, alice: Any, pat: Any, client: Any) -> None:
    sign_in(client, alice)
    response = client.post(
        reverse("patients:measurement_create", args=[pat.pk]),
        {"measured_at": "2026-01-01T10:00", "weight_kg": weight, "height_cm": height},
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert not BodyMeasurement.objects.exists()


def test_a_future_measurement_time_is_refused(alice: Any, pat: Any) -> None:
    with pytest.raises(ValidationError, match="future"):
        services.record_measurement(
            by=alice,
            patient=pat,
            weight_kg=Decimal(70),
            height_cm=Decimal(170),
            measured_at=timezone.now() + dt.timedelta(days=1),
        )


def test_front_desk_cannot_record_clinical_data(carol: Any, pat: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.record_measurement(by=carol, patient=pat, weight_kg=Decimal(70), height_cm=Decimal(170))


def test_front_desk_sees_demographics_but_not_clinical_sections(carol: Any, alice: Any, pat: Any, client: Any) -> None:
    services.add_medication(by=alice, patient=pat, generic_name="Sertraline", dose="100 mg", frequency="daily")
    sign_in(client, carol)
    page = client.get(reverse("patients:chart", args=[pat.pk])).content.decode()
    assert pat.phone in page and "sertraline" not in page and "Weight, height and BMI" not in page


def test_condition_codes_are_validated(alice: Any, pat: Any) -> None:
    with pytest.raises(ValidationError) as error:
        services.add_condition(by=alice, patient=pat, description="Depression", icd10_code="depression")
    assert "icd10_code" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.add_condition(by=alice, patient=pat, description="X", icd10_code="F33.2", rule_code="made_up")
    assert "rule_code" in error.value.message_dict
    condition = services.add_condition(
        by=alice, patient=pat, description="CRPS I", icd10_code="g90.52", rule_code="elevated_intraocular_pressure"
    )
    assert condition.icd10_code == "G90.52"


def test_medication_names_are_stored_as_lowercase_generic_names(alice: Any, pat: Any) -> None:
    medication = services.add_medication(
        by=alice, patient=pat, generic_name=" Sertraline ", dose="50 mg", frequency="once daily"
    )
    assert medication.generic_name == "sertraline"
    with pytest.raises(ValidationError, match="stop date"):
        services.add_medication(
            by=alice,
            patient=pat,
            generic_name="x",
            dose="1",
            frequency="1",
            started_on=dt.date(2026, 2, 1),
            stopped_on=dt.date(2026, 1, 1),
        )


def test_entered_in_error_keeps_the_row_struck_through(alice: Any, pat: Any, client: Any) -> None:
    condition = services.add_condition(
        by=alice, patient=pat, description="Wrong patient's diagnosis", icd10_code="F32.2"
    )
    sign_in(client, alice)
    url = reverse("patients:entered_in_error", args=[pat.pk, "condition", condition.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    response = client.post(url, {"reason": "Belongs to another patient"})
    assert response.status_code == 302
    condition.refresh_from_db()
    assert condition.entered_in_error and condition.entered_in_error_by == alice
    assert Condition.objects.filter(pk=condition.pk).exists()  # never deleted
    page = client.get(reverse("patients:chart", args=[pat.pk])).content.decode()
    assert 'class="eie"' in page and "Belongs to another patient" in page
    with pytest.raises(ValidationError, match="already"):
        services.mark_entered_in_error(by=alice, row=condition, reason="again")


def test_entered_in_error_rejects_unknown_kinds(alice: Any, pat: Any, client: Any) -> None:
    sign_in(client, alice)
    assert client.get(reverse("patients:entered_in_error", args=[pat.pk, "patient", pat.pk])).status_code == 404
    with pytest.raises(ValueError, match="Patient"):
        services.mark_entered_in_error(by=alice, row=pat, reason="x")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("rivera", ["Rivera"]),
        ("pat riv", ["Rivera"]),
        ("1980-04-30", ["Rivera"]),
        ("04/30/1980", ["Rivera"]),
        ("Okafor", ["Okafor"]),
        ("nobody", []),
        ("", ["Okafor", "Rivera"]),
    ],
)
def test_search_by_name_mrn_or_date_of_birth(
    query: str, expected: list[str], alice: Any, pat: Any, main_st: Any
) -> None:
    make_patient(main_st, given_name="Dana", family_name="Okafor", date_of_birth=dt.date(1990, 5, 5))
    found = search(patients_visible_to(alice), query).order_by("family_name")
    assert [patient.family_name for patient in found] == expected


def test_search_by_mrn(alice: Any, pat: Any) -> None:
    assert list(search(patients_visible_to(alice), pat.mrn.lower())) == [pat]


def test_the_list_answers_htmx_with_just_the_results(alice: Any, pat: Any, client: Any) -> None:
    sign_in(client, alice)
    response = client.get(reverse("patients:list"), {"q": "Rivera"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Rivera" in body and "<html" not in body


def test_consents_are_recorded_and_current(carol: Any, pat: Any) -> None:
    consent = services.record_consent(
        by=carol,
        patient=pat,
        kind="treatment",
        version="2026-01",
        signed_at=timezone.now(),
        signed_by_name="Pat Rivera",
        expires_on=dt.date.today() + dt.timedelta(days=365),
    )
    assert consent.is_current()
    assert not consent.is_current(dt.date.today() + dt.timedelta(days=400))
