"""The API keeps the contract its OpenAPI document states (issue 13, defects 3 and 9).

- a bearer-token write is not subject to the session's CSRF check; a cookie-session write still is;
- an unhandled error answers JSON, not the staff pages' HTML;
- ids out of the 64-bit range, dates given as numbers and bodies that are not objects are 422, not 500 or stored;
- the document has one component per schema class, patterns for decimal text, every error status an operation can
  answer, and no nullable field the API refuses.
"""

from __future__ import annotations

import decimal
import logging
import typing
from typing import Any

import pytest
from django.test import Client
from ninja import Schema

from ketaclinic.accounts import services as accounts
from ketaclinic.patients.models import Patient
from tests.conftest import sign_in

URL = "/api/v1/patients/"
NEW = {"given_name": "Noor", "family_name": "Haddad", "date_of_birth": "1979-11-03", "sex": "female"}
TOO_BIG = 2**63  # one past the largest 64-bit id


def bearer(user: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {accounts.create_api_token(by=None, user=user)}"}


def document() -> dict[str, Any]:
    from ketaclinic.api_v1 import api

    return typing.cast(dict[str, Any], api.get_openapi_schema())


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, item in document()["paths"].items() for method, op in item.items()]


# --- CSRF: tokens are exempt, sessions are not (defect 3) -------------------------------------------------------------


def test_a_token_write_skips_csrf_and_a_session_write_needs_it(alice: Any, main_st: Any, pat: Any) -> None:
    token_client = Client(enforce_csrf_checks=True)
    headers = bearer(alice)
    created = token_client.post(URL, {**NEW, "location_id": main_st.pk}, content_type="application/json", **headers)
    assert created.status_code == 201, created.content
    changed = token_client.patch(f"{URL}{pat.pk}", {"city": "Springfield"}, content_type="application/json", **headers)
    assert changed.status_code == 200 and changed.json()["city"] == "Springfield"

    session_client = sign_in(Client(enforce_csrf_checks=True), alice)
    body = {**NEW, "family_name": "Session", "location_id": main_st.pk}
    refused = session_client.post(URL, body, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert not Patient.objects.filter(family_name="Session").exists()
    session_client.get("/consultation/")  # any page with a form sets the CSRF cookie
    csrf_token = session_client.cookies["csrftoken"].value
    accepted = session_client.post(URL, body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf_token)
    assert accepted.status_code == 201, accepted.content


def test_a_bad_token_does_not_fall_back_to_the_session_without_csrf(alice: Any, main_st: Any) -> None:
    client = sign_in(Client(enforce_csrf_checks=True), alice)
    response = client.post(
        URL, {**NEW, "location_id": main_st.pk}, content_type="application/json", HTTP_AUTHORIZATION="Bearer nope"
    )
    assert response.status_code == 401
    assert not Patient.objects.exists()


# --- A bug answers JSON (defect 9) ------------------------------------------------------------------------------------


def test_an_unhandled_error_answers_json_and_is_logged(
    alice: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from ketaclinic.patients import api as patients_api

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(patients_api, "search", broken)
    with caplog.at_level(logging.ERROR):
        response = Client(raise_request_exception=False).get(URL, **bearer(alice))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Internal server error."}
    assert any(record.exc_info and "a bug" in str(record.exc_info[1]) for record in caplog.records)


# --- Input the schema must refuse (defect 9) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        f"/api/v1/sessions/?patient_id={TOO_BIG}",
        f"/api/v1/sessions/?patient_id={10**20}",
        f"/api/v1/outcomes/measurements?patient_id={TOO_BIG}",
        f"/api/v1/outcomes/dashboard/?location={TOO_BIG}",
        "/api/v1/sessions/?patient_id=0",
    ],
)
def test_an_id_filter_out_of_range_is_422(query: str, alice: Any) -> None:
    response = Client(raise_request_exception=False).get(query, **bearer(alice))
    assert response.status_code == 422, response.content


@pytest.mark.parametrize("value", [0, 315532800, "0"])
def test_a_date_must_be_iso_text(value: Any, alice: Any, main_st: Any, pat: Any) -> None:
    headers = bearer(alice)
    created = Client().post(
        URL, {**NEW, "location_id": main_st.pk, "date_of_birth": value}, content_type="application/json", **headers
    )
    assert created.status_code == 422 and "date_of_birth" in str(created.json()["detail"])
    changed = Client().patch(f"{URL}{pat.pk}", {"date_of_birth": value}, content_type="application/json", **headers)
    assert changed.status_code == 422 and "date_of_birth" in str(changed.json()["detail"])
    pat.refresh_from_db()
    assert str(pat.date_of_birth) == "1980-04-30"
    iso = Client().patch(f"{URL}{pat.pk}", {"date_of_birth": "1980-02-03"}, content_type="application/json", **headers)
    assert iso.status_code == 200 and iso.json()["date_of_birth"] == "1980-02-03"


def test_a_consultation_request_date_must_be_iso_text(main_st: Any) -> None:
    body = {
        "location_id": main_st.pk,
        "given_name": "Noor",
        "family_name": "Haddad",
        "date_of_birth": 0,
        "email": "noor@example.org",
        "preferred_contact_method": "email",
        "consent_to_contact": True,
    }
    response = Client().post("/api/v1/intake/consultation-requests", body, content_type="application/json")
    assert response.status_code == 422
    assert any(error["loc"][-1] == "date_of_birth" for error in response.json()["detail"])


@pytest.mark.parametrize("body", ["[]", "[1, 2]", '"text"', "7", "null"])
def test_a_patch_body_that_is_not_an_object_is_422(body: str, alice: Any, pat: Any) -> None:
    response = Client().patch(f"{URL}{pat.pk}", body, content_type="application/json", **bearer(alice))
    assert response.status_code in (400, 422) and response.status_code != 200
    pat.refresh_from_db()
    assert pat.version == 1


def test_every_request_body_schema_refuses_a_json_array(db: Any) -> None:
    from pydantic import ValidationError

    for cls in body_schemas().values():
        with pytest.raises(ValidationError):
            cls.model_validate([])


# --- The document (defect 9) ------------------------------------------------------------------------------------------


def schema_classes() -> dict[str, list[type[Schema]]]:
    """Every ketaclinic Schema class by name (the name is its component name in the OpenAPI document)."""
    found: dict[str, list[type[Schema]]] = {}
    pending: list[type[Schema]] = [Schema]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith("ketaclinic.") and sub not in found.get(sub.__name__, []):
                found.setdefault(sub.__name__, []).append(sub)
    return found


def body_schemas() -> dict[str, type[Schema]]:
    classes = schema_classes()
    names = set()
    for _method, _path, op in operations():
        ref = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
        if ref:
            names.add(ref.rsplit("/", 1)[-1])
    assert names, "no request bodies found"
    return {name: classes[name][0] for name in sorted(names)}


def test_each_component_is_one_schema_class(db: Any) -> None:
    components = set(document()["components"]["schemas"])
    classes = schema_classes()
    shared = {name: [f"{c.__module__}.{c.__qualname__}" for c in group] for name, group in classes.items()}
    collisions = {name: where for name, where in shared.items() if name in components and len(where) > 1}
    assert collisions == {}
    assert "SessionAdministrationOut" in components and "AdministrationOut" in components


def _string_branches(prop: dict[str, Any]) -> list[dict[str, Any]]:
    branches = prop.get("anyOf", [prop])
    return [branch for branch in branches if branch.get("type") == "string"]


def test_decimal_fields_say_which_text_they_take(db: Any) -> None:
    components = document()["components"]["schemas"]
    classes = schema_classes()
    checked = 0
    for name, component in components.items():
        if name not in classes:
            continue
        for field_name, field in classes[name][0].model_fields.items():
            if decimal.Decimal not in (field.annotation, *typing.get_args(field.annotation)):
                continue
            branches = _string_branches(component["properties"][field_name])
            assert branches and all("pattern" in branch for branch in branches), (name, field_name)
            checked += 1
    assert checked >= 10


def test_decimal_text_is_checked_against_its_pattern(alice: Any, pat: Any) -> None:
    import re

    components = document()["components"]["schemas"]
    pattern = _string_branches(components["PlanIn"]["properties"]["dose_mg_per_kg"])[0]["pattern"]
    assert re.match(pattern, "0.5") and re.match(pattern, "12.125")
    assert not re.match(pattern, "0.5 mg") and not re.match(pattern, "1.2345")


def test_every_operation_declares_the_errors_it_can_answer(db: Any) -> None:
    missing = []
    for method, path, op in operations():
        declared = {str(status) for status in op["responses"]}
        headers = {p["name"].lower() for p in op.get("parameters", []) if p["in"] == "header"}
        needed = set()
        if "idempotency-key" in headers:
            needed |= {"400", "409", "422"}  # missing key, retry in progress, same key with another body
        if "requestBody" in op:
            needed |= {"400", "422"}  # a body that is not JSON; a body that does not fit the schema
        if op.get("parameters"):
            needed.add("422")
        if op.get("security"):
            needed.add("401")
        if needed - declared:
            missing.append((method, path, sorted(needed - declared)))
    assert missing == []


def test_no_patch_field_is_nullable_unless_null_is_accepted(alice: Any, pat: Any) -> None:
    """Null in a PATCH means "clear it" only where the API accepts it; elsewhere the document does not offer null."""
    components = document()["components"]["schemas"]

    def nullable(name: str) -> set[str]:
        return {
            field
            for field, prop in components[name]["properties"].items()
            if any(branch.get("type") == "null" for branch in prop.get("anyOf", []))
        }

    assert nullable("PatientPatch") == {"expected_version"}
    assert nullable("CheckInPatch") == {"expected_version", "last_food_at", "last_liquids_at"}
    assert nullable("IntakeAssessmentPatch") == {
        "current_episode_onset",
        "pain_duration_months",
        "pdmp_checked_on",
        "audit_c_frequency",
        "audit_c_typical_quantity",
        "audit_c_binge_frequency",
        "liver_tests_on",
        "vitals_at",
        "systolic_mmhg",
        "diastolic_mmhg",
        "heart_rate_per_min",
        "spo2_percent",
        "weight_kg",
        "height_cm",
        "expected_version",
    }
    response = Client().patch(
        f"{URL}{pat.pk}",
        {"city": "Springfield", "expected_version": None},
        content_type="application/json",
        **bearer(alice),
    )
    assert response.status_code == 200
    refused = Client().patch(f"{URL}{pat.pk}", {"city": None}, content_type="application/json", **bearer(alice))
    assert refused.status_code == 422 and "city" in str(refused.json()["detail"])


@pytest.mark.parametrize("change", [{"duration_min": 5e-324}, {"weight_kg": 5e-324}])
def test_a_pk_preview_the_model_cannot_compute_is_422_not_500(change: dict[str, float], alice: Any) -> None:
    """Found by the live fuzz test: a 1e-323-minute infusion or a 1e-323 kg patient divided by almost 0 (NaN)."""
    body = {"route": "iv", "dose_mg": 2000, "duration_min": 40, "weight_kg": 70, **change}
    client = Client(raise_request_exception=False)
    response = client.post("/api/v1/plans/pk-preview", body, content_type="application/json", **bearer(alice))
    assert response.status_code == 422 and next(iter(change)) in str(response.json()["detail"])
    bolus = client.post(
        "/api/v1/plans/pk-preview",
        {**body, **{"duration_min": 0, "weight_kg": 70}},
        content_type="application/json",
        **bearer(alice),
    )
    assert bolus.status_code == 200


def test_a_nul_character_in_a_search_is_not_a_server_error(pat: Any, alice: Any) -> None:
    """PostgreSQL refuses NUL in text (a DataError, answered 422 by the router); the search field's schema refuses it
    first, so both databases answer the same 422 (and the document says so)."""
    response = Client().get(f"{URL}?q=Riv%00era", **bearer(alice))
    assert response.status_code == 422


@pytest.mark.parametrize("duration", [False, True, "40"])
def test_a_pk_preview_duration_is_a_number_not_a_boolean_or_text(duration: object, alice: Any) -> None:
    """Found by the fuzz test: `duration_min: false` was read as 0 and answered a bolus preview (200)."""
    body = {"route": "iv", "dose_mg": 40, "duration_min": duration, "weight_kg": 70}
    response = Client().post("/api/v1/plans/pk-preview", body, content_type="application/json", **bearer(alice))
    assert response.status_code == 422 and "duration_min" in str(response.json()["detail"])


def test_a_nul_character_in_the_session_status_filter_is_refused_on_both_databases(alice: Any) -> None:
    """Found by the fuzz test: PostgreSQL refused the NUL (422 the schema did not declare); SQLite answered 200."""
    response = Client().get("/api/v1/sessions/?status=check%00_in", **bearer(alice))
    assert response.status_code == 422
    assert Client().get("/api/v1/sessions/?status=check_in", **bearer(alice)).status_code == 200


def test_a_query_parameter_given_twice_is_422_unless_the_operation_takes_a_list(
    alice: Any, pat: Any, main_st: Any
) -> None:
    """Django Ninja kept the last of repeated values silently; a client that sent two filters got the answer to one."""
    twice = Client().get("/api/v1/outcomes/measurements?instrument=phq9&instrument=gad7", **bearer(alice))
    assert twice.status_code == 422
    assert twice.json()["detail"] == [
        {"loc": ["query", "instrument"], "msg": "Give this parameter once.", "type": "value_error"}
    ]
    once = Client().get("/api/v1/outcomes/measurements?instrument=phq9", **bearer(alice))
    assert once.status_code == 200
    routes = Client().get(f"/api/v1/intake/patients/{pat.pk}/eligibility?routes=iv&routes=im", **bearer(alice))
    assert routes.status_code != 422 or "routes" not in str(routes.json()["detail"])
