"""Issue 15 "should" items on the chart: the primary clinician works at the patient's location (so safety alerts
reach them first), a consent cannot expire before it was signed, and an expired consent says so on every list."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketaclinic.outcomes.models import SafetyAlert
from ketaclinic.patients import services
from ketaclinic.patients.models import Consent, Patient
from tests.conftest import sign_in

CLINIC_ZONE = ZoneInfo("America/Chicago")  # tests/conftest.py: the test clinic's zone
DEMOGRAPHICS = {"given_name": "Noor", "family_name": "Haddad", "date_of_birth": dt.date(1979, 11, 3), "sex": "female"}


# --- Primary clinician -------------------------------------------------------------------------------------------


def test_a_primary_clinician_from_another_location_is_refused_at_registration(
    alice: Any, erin: Any, main_st: Any
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.create_patient(by=alice, location=main_st, data=DEMOGRAPHICS, primary_clinician=erin)
    assert refused.value.message_dict["primary_clinician"] == [
        "Erin Test, RN does not work at Main: the primary clinician must be assigned to the patient's location."
    ]
    assert not Patient.objects.exists()


def test_a_primary_clinician_from_another_location_is_refused_on_edit(alice: Any, erin: Any, pat: Any) -> None:
    with pytest.raises(ValidationError, match="does not work at Main"):
        services.update_patient(by=alice, patient=pat, changes={"primary_clinician": erin})
    pat.refresh_from_db()
    assert pat.primary_clinician is None and pat.version == 1


def test_front_desk_cannot_be_a_primary_clinician(alice: Any, carol: Any, main_st: Any) -> None:
    with pytest.raises(ValidationError, match="not an active clinician"):
        services.create_patient(by=alice, location=main_st, data=DEMOGRAPHICS, primary_clinician=carol)


def test_a_clinician_at_the_location_is_accepted_and_receives_the_safety_alert_first(
    alice: Any, bob: Any, pat: Any
) -> None:
    from tests.intake.factories import draft_intake

    services.update_patient(by=alice, patient=pat, changes={"primary_clinician": bob})
    draft_intake(patient=pat, clinician=alice, scales={"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 2]})
    alert = SafetyAlert.objects.get()
    assert (alert.assigned_to, alert.assignment) == (bob, "primary_clinician")  # not alice, who recorded it


def test_the_patient_form_shows_the_refusal_next_to_the_field(
    client: Any, alice: Any, erin: Any, pat: Any, lakeside: Any
) -> None:
    alice.locations.add(lakeside)  # she covers both, so the form offers erin; the service still refuses her for Main
    sign_in(client, alice)
    data = {
        "given_name": "Pat",
        "family_name": "Rivera",
        "date_of_birth": "1980-04-30",
        "sex": "female",
        "primary_clinician": erin.pk,
        "version": pat.version,
    }
    response = client.post(reverse("patients:edit", args=[pat.pk]), data)
    assert response.status_code == 200
    assert "does not work at Main" in str(response.context["form"].errors["primary_clinician"])


def test_a_consent_expiring_before_its_signature_is_refused(carol: Any, pat: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        services.record_consent(
            by=carol,
            patient=pat,
            kind="treatment",
            version="2026-01",
            signed_at=timezone.now() - dt.timedelta(days=3),
            signed_by_name="Pat Rivera",
            expires_on=timezone.now().astimezone(CLINIC_ZONE).date() - dt.timedelta(days=10),
        )
    assert "cannot expire" in refused.value.message_dict["expires_on"][0]
    assert not Consent.objects.exists()


def test_the_signature_day_is_the_clinics_not_utcs(carol: Any, pat: Any) -> None:
    """Signed at 23:30 in Chicago on 1 March is 05:30 UTC on 2 March: an expiry of 1 March is the same day, allowed."""
    signed = dt.datetime(2026, 3, 1, 23, 30, tzinfo=CLINIC_ZONE)
    with time_machine.travel(signed + dt.timedelta(hours=1)):
        consent = services.record_consent(
            by=carol,
            patient=pat,
            kind="communication",
            version="1",
            signed_at=signed,
            signed_by_name="Pat Rivera",
            expires_on=dt.date(2026, 3, 1),
        )
    assert consent.pk


def test_the_consent_form_says_why(client: Any, carol: Any, pat: Any) -> None:
    sign_in(client, carol)
    response = client.post(
        reverse("patients:consent_create", args=[pat.pk]),
        {
            "kind": "treatment",
            "version": "2026-01",
            "signed_at": "2026-01-10T10:00",
            "signed_by_name": "Pat Rivera",
            "expires_on": "2025-12-31",
        },
    )
    assert response.status_code == 200
    assert "cannot expire (2025-12-31) before it was signed (2026-01-10)" in str(
        response.context["form"].errors["expires_on"]
    )
    assert not Consent.objects.exists()


def _consent(pat: Any, by: Any, *, expires_on: dt.date | None, kind: str = "treatment") -> Consent:
    return services.record_consent(
        by=by,
        patient=pat,
        kind=kind,
        version="2025",
        signed_at=timezone.now() - dt.timedelta(days=400),
        signed_by_name="Pat Rivera",
        expires_on=expires_on,
    )


def test_the_chart_marks_an_expired_consent(client: Any, carol: Any, pat: Any) -> None:
    today = timezone.now().astimezone(CLINIC_ZONE).date()
    _consent(pat, carol, expires_on=today - dt.timedelta(days=1))
    _consent(pat, carol, expires_on=today, kind="privacy")  # last day: still current
    sign_in(client, carol)
    page = client.get(reverse("patients:chart", args=[pat.pk])).content.decode()
    assert page.count('data-testid="consent-expired">Expired<') == 1


def test_expiry_is_judged_on_the_clinics_calendar(carol: Any, pat: Any) -> None:
    """At 20:00 in Chicago on 1 March it is already 2 March in UTC: a consent expiring 1 March is not yet expired."""
    with time_machine.travel(dt.datetime(2026, 3, 1, 20, 0, tzinfo=CLINIC_ZONE)):
        consent = _consent(pat, carol, expires_on=dt.date(2026, 3, 1))
        with timezone.override(dt.UTC):
            assert not Consent.objects.get(pk=consent.pk).expired
    with time_machine.travel(dt.datetime(2026, 3, 2, 0, 30, tzinfo=CLINIC_ZONE)):
        assert Consent.objects.get(pk=consent.pk).expired
