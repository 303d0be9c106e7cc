"""Registration and chart forms (issue 15 "should"): a replayed POST saves once and says so; a name longer than its
field is refused, not cut; weight in lb and height in ft/in are accepted (stored metric, shown in both); a patient
under 18 registers with a visible warning citing the adult-only rule's published source."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts.errors import ALREADY_SAVED
from ketaclinic.intake.services import assessment as intake
from ketaclinic.patients import services
from ketaclinic.patients.forms import MeasurementForm, PatientForm
from ketaclinic.patients.models import Allergy, BodyMeasurement, Patient
from tests.conftest import sign_in

CLINIC_ZONE = ZoneInfo("America/Chicago")  # tests/conftest.py: the test clinic's zone
VALID = {"given_name": "Robin", "family_name": "Hale", "date_of_birth": "1979-02-11", "sex": "male"}


def _now() -> str:
    return timezone.localtime(timezone=CLINIC_ZONE).strftime("%Y-%m-%dT%H:%M")


def _messages(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- one-time token ------------------------------------------------------------------------------------------------


def test_a_resubmitted_registration_registers_once(alice: Any, main_st: Any, client: Any) -> None:
    sign_in(client, alice)
    url = reverse("patients:create")
    token = str(client.get(url).context["form"]["token"].value())
    post = {**VALID, "location": main_st.pk, "token": token}
    first = client.post(url, post)
    again = client.post(url, post)
    assert Patient.objects.filter(given_name="Robin").count() == 1
    assert again.status_code == 302 and again.url == first.url
    assert ALREADY_SAVED in _messages(again)


@pytest.mark.parametrize(
    ("kind", "post", "model"),
    [
        ("allergy", {"substance": "Penicillin", "reaction": "Rash", "severity": "mild"}, Allergy),
        ("measurement", {"weight_kg": "80", "height_cm": "175"}, BodyMeasurement),
    ],
)
def test_a_resubmitted_chart_entry_is_saved_once(
    kind: str, post: dict[str, str], model: Any, alice: Any, pat: Any, client: Any
) -> None:
    sign_in(client, alice)
    url = reverse(f"patients:{kind}_create", args=[pat.pk])
    token = str(client.get(url).context["form"]["token"].value())
    data = {**post, "measured_at": _now(), "token": token}
    client.post(url, data)
    again = client.post(url, data)
    assert model.objects.filter(patient=pat).count() == 1
    assert ALREADY_SAVED in _messages(again)


def test_each_showing_of_a_form_gets_a_new_token(alice: Any, main_st: Any) -> None:
    assert PatientForm(user=alice).initial["token"] != PatientForm(user=alice).initial["token"]


# --- names longer than their field ---------------------------------------------------------------------------------


def test_a_name_longer_than_its_field_is_refused_with_a_message(alice: Any, main_st: Any, client: Any) -> None:
    sign_in(client, alice)
    page = client.get(reverse("patients:create")).content.decode()
    assert 'name="given_name" maxlength="100"' in page and 'name="family_name" maxlength="100"' in page
    long_name = "Wolfeschlegelsteinhausenbergerdorff" * 3  # 105 characters
    response = client.post(reverse("patients:create"), {**VALID, "family_name": long_name, "location": main_st.pk})
    assert response.status_code == 200
    assert "at most 100 characters (it has 105)" in str(response.context["form"].errors["family_name"])
    assert not Patient.objects.exists()


# --- US units ------------------------------------------------------------------------------------------------------


def test_weight_in_pounds_and_height_in_feet_and_inches_are_stored_metric(alice: Any, pat: Any, client: Any) -> None:
    sign_in(client, alice)
    url = reverse("patients:measurement_create", args=[pat.pk])
    response = client.post(url, {"measured_at": _now(), "weight_lb": "180", "height_ft": "5", "height_in": "9"})
    assert response.status_code == 302, response.context["form"].errors
    row = BodyMeasurement.objects.get(patient=pat)
    assert (row.weight_kg, row.height_cm) == (Decimal("81.6"), Decimal("175.3"))
    chart = client.get(reverse("patients:chart", args=[pat.pk])).content.decode()
    assert "81.6</strong> kg" in chart and "(179.9 lb)" in chart
    assert "175.3</strong> cm" in chart and "(5 ft 9 in)" in chart
    assert '81.6 kg <span class="muted nowrap">(179.9 lb)' in chart  # the history table too


@pytest.mark.parametrize(
    ("post", "field", "words"),
    [
        ({"weight_kg": "70", "weight_lb": "180", "height_cm": "175"}, "weight_lb", "disagree"),
        ({"weight_lb": "1000", "height_cm": "175"}, "weight_lb", "That is 453.6 kg"),
        ({"weight_lb": "150", "height_ft": "0", "height_in": "0"}, "height_ft", "not a height"),
        ({"weight_lb": "150", "height_ft": "5", "height_in": "12"}, "height_in", "11.9"),
        ({"weight_lb": "150"}, "height_cm", "Give the height"),
        ({"height_cm": "170"}, "weight_kg", "Give the weight"),
    ],
)
def test_us_units_that_cannot_be_stored_are_refused_next_to_the_field(
    post: dict[str, str], field: str, words: str, alice: Any, pat: Any
) -> None:
    form = MeasurementForm({"measured_at": _now(), **post})
    assert not form.is_valid()
    assert words in " ".join(form.errors[field]), form.errors


def test_the_form_shows_both_unit_systems_in_reading_order(alice: Any, pat: Any) -> None:
    names = [name for name in MeasurementForm().fields if name != "token"]
    assert names == ["measured_at", "weight_kg", "weight_lb", "height_cm", "height_ft", "height_in"]


def test_the_intake_vitals_take_pounds_and_feet(alice: Any, pat: Any, client: Any) -> None:
    draft = intake.start_assessment(by=alice, patient=pat)
    sign_in(client, alice)
    response = client.post(
        reverse("intake:assessment_vitals", args=[draft.pk]),
        {"weight_lb": "154", "height_ft": "5", "height_in": "7", "version": draft.version},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.weight_kg, draft.height_cm) == (Decimal("69.9"), Decimal("170.2"))
    page = client.get(reverse("intake:assessment", args=[draft.pk])).content.decode()
    assert "(154.1 lb)" in page and "(5 ft 7 in)" in page


# --- under 18 ------------------------------------------------------------------------------------------------------


def test_a_patient_under_18_is_registered_with_a_visible_warning_and_its_source(
    alice: Any, main_st: Any, client: Any
) -> None:
    sign_in(client, alice)
    born = timezone.localdate() - dt.timedelta(days=16 * 365 + 30)
    response = client.post(
        reverse("patients:create"), {**VALID, "date_of_birth": born.isoformat(), "location": main_st.pk}
    )
    assert response.status_code == 302  # registration is allowed
    patient = Patient.objects.get()
    chart = client.get(response.url).content.decode()
    assert "Robin Hale is 16: this service treats adults (18 and over)" in chart
    assert "Spravato (esketamine) US prescribing information, §8.4 Pediatric Use" in chart
    assert ".md" not in chart
    assert services.registration_warnings(patient)


def test_an_adult_is_registered_without_the_warning(alice: Any, main_st: Any, client: Any) -> None:
    sign_in(client, alice)
    response = client.post(reverse("patients:create"), {**VALID, "location": main_st.pk})
    assert not any("treats adults" in text for text in _messages(response))
    today = timezone.localdate()
    born_18_today = dt.date(today.year - 18, today.month, min(today.day, 28))
    assert services.registration_warnings(Patient(given_name="A", family_name="B", date_of_birth=born_18_today)) == []


def test_the_registration_form_says_the_service_is_for_adults(alice: Any, client: Any) -> None:
    sign_in(client, alice)
    assert "This service treats adults (18 and over)" in client.get(reverse("patients:create")).content.decode()
