"""/api/v1/patients: auth, roles, scoping, validation, pagination, methods (CONTRACTS §3)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ketaclinic.accounts import services as accounts
from ketaclinic.audit.models import AuditEvent
from ketaclinic.patients.models import Patient
from tests.conftest import sign_in

URL = "/api/v1/patients/"
NEW = {"given_name": "Noor", "family_name": "Haddad", "date_of_birth": "1979-11-03", "sex": "female"}


def bearer(user: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {accounts.create_api_token(by=None, user=user)}"}


def test_no_credentials_is_401_with_a_detail(db: Any) -> None:
    response = Client().get(URL)
    assert response.status_code == 401 and "detail" in response.json()


def test_a_bad_token_is_401(db: Any) -> None:
    assert Client().get(URL, HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_a_token_lists_patients_at_the_users_locations_only(alice: Any, pat: Any, lake: Any) -> None:
    response = Client().get(URL, **bearer(alice))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["items"][0]["mrn"] == pat.mrn


def test_search_and_pagination(alice: Any, main_st: Any) -> None:
    from tests.conftest import make_patient

    for number in range(5):
        make_patient(main_st, family_name=f"Family{number}")
    headers = bearer(alice)
    page = Client().get(URL, {"limit": 2, "offset": 2}, **headers).json()
    assert page["count"] == 5 and [p["family_name"] for p in page["items"]] == ["Family2", "Family3"]
    assert Client().get(URL, {"q": "family4"}, **headers).json()["count"] == 1


def test_reading_a_patient_is_audited(alice: Any, pat: Any) -> None:
    response = Client().get(f"{URL}{pat.pk}", **bearer(alice))
    assert response.status_code == 200 and response.json()["given_name"] == "Pat"
    assert AuditEvent.objects.filter(action="api.patient.read", patient_id=pat.pk, actor=alice).exists()


def test_a_patient_at_another_location_is_404(alice: Any, lake: Any) -> None:
    response = Client().get(f"{URL}{lake.pk}", **bearer(alice))
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


def test_create_then_read_back(alice: Any, main_st: Any) -> None:
    response = Client().post(URL, {**NEW, "location_id": main_st.pk}, content_type="application/json", **bearer(alice))
    assert response.status_code == 201
    created = response.json()
    assert Patient.objects.get(pk=created["id"]).family_name == "Haddad"


def test_clinic_admin_may_not_register_patients(dave: Any, main_st: Any) -> None:
    response = Client().post(URL, {**NEW, "location_id": main_st.pk}, content_type="application/json", **bearer(dave))
    assert response.status_code == 403
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"date_of_birth": "yesterday"}, "date_of_birth"),
        ({"sex": "robot"}, "sex"),
        ({"given_name": ""}, "given_name"),
        ({"email": "nope"}, "email"),
        ({"state": "XYZ"}, "state"),
        ({"location_id": 999999}, "location_id"),
    ],
)
def test_invalid_input_is_422_naming_the_field_and_writes_nothing(
    change: dict[str, Any], field: str, alice: Any, main_st: Any
) -> None:
    headers = bearer(alice)
    before = AuditEvent.objects.count()
    response = Client().post(
        URL, {**NEW, "location_id": main_st.pk, **change}, content_type="application/json", **headers
    )
    assert response.status_code == 422
    assert field in str(response.json()["detail"])
    assert not Patient.objects.exists()
    assert AuditEvent.objects.count() == before


def test_malformed_json_is_a_client_error(alice: Any) -> None:
    response = Client().post(URL, "{not json", content_type="application/json", **bearer(alice))
    assert 400 <= response.status_code < 500


def test_patch_changes_fields_and_checks_the_version(alice: Any, pat: Any) -> None:
    headers = bearer(alice)
    response = Client().patch(
        f"{URL}{pat.pk}", {"city": "Springfield", "expected_version": 1}, content_type="application/json", **headers
    )
    assert response.status_code == 200 and response.json()["version"] == 2
    stale = Client().patch(
        f"{URL}{pat.pk}", {"city": "Chicago", "expected_version": 1}, content_type="application/json", **headers
    )
    assert stale.status_code == 409
    assert (
        Client().patch(f"{URL}{pat.pk}", {"given_name": None}, content_type="application/json", **headers).status_code
        == 422
    )


def test_undeclared_methods_answer_405(alice: Any, pat: Any) -> None:
    assert Client().delete(f"{URL}{pat.pk}", **bearer(alice)).status_code == 405
    assert Client().put(URL, {}, content_type="application/json", **bearer(alice)).status_code == 405


def test_a_session_counts_only_after_the_second_factor(alice: Any, pat: Any) -> None:
    client = Client()
    client.force_login(alice)
    assert client.get(URL).status_code == 401
    sign_in(client, alice)
    assert client.get(URL).status_code == 200


def test_the_openapi_document_declares_every_operation(db: Any) -> None:
    document = Client().get("/api/v1/openapi.json").json()
    operations = {(path, method) for path, item in document["paths"].items() for method in item}
    assert ("/api/v1/patients/", "get") in operations and ("/api/v1/patients/", "post") in operations
    assert ("/api/v1/patients/{patient_id}", "patch") in operations
    assert Client().get("/api/v1/docs").status_code == 200
