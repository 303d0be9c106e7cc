"""Issue 15: the REST API shows the chart's "no known drug allergies" statement and a plan version's co-signature,
read-only, next to the fields it already had (CONTRACTS §3: extend, never rename)."""

from __future__ import annotations

from typing import Any

from django.test import Client

from ketaclinic.accounts import services as accounts
from ketaclinic.patients import services as patients

URL = "/api/v1/patients/"


def bearer(user: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {accounts.create_api_token(by=None, user=user)}"}


def test_a_patient_reads_not_recorded_then_nkda_with_who_and_when(alice: Any, pat: Any) -> None:
    headers = bearer(alice)
    before = Client().get(f"{URL}{pat.pk}", **headers).json()
    assert (before["allergy_status"], before["nkda"], before["nkda_recorded_at"]) == ("not_recorded", False, None)
    statement = patients.record_nkda(by=alice, patient=pat)
    after = Client().get(f"{URL}{pat.pk}", **headers).json()
    assert (after["allergy_status"], after["nkda"], after["nkda_recorded_by_id"]) == ("nkda", True, alice.pk)
    assert after["nkda_recorded_at"].startswith(statement.recorded_at.strftime("%Y-%m-%dT%H:%M"))
    listed = Client().get(URL, **headers).json()["items"][0]
    assert listed["nkda"] is True and listed["mrn"] == pat.mrn  # the old fields are all still there
    patients.add_allergy(by=alice, patient=pat, substance="Penicillin")
    superseded = Client().get(f"{URL}{pat.pk}", **headers).json()
    assert (superseded["allergy_status"], superseded["nkda"], superseded["nkda_recorded_at"]) == (
        "allergies",
        False,
        None,
    )


def test_front_desk_does_not_see_allergy_facts(carol: Any, alice: Any, pat: Any) -> None:
    patients.record_nkda(by=alice, patient=pat)
    body = Client().get(f"{URL}{pat.pk}", **bearer(carol)).json()
    assert body["given_name"] == "Pat" and body["nkda"] is None and body["allergy_status"] is None


def test_nkda_cannot_be_written_through_the_api(alice: Any, pat: Any) -> None:
    """Read-only: an NKDA statement is recorded on the chart (who asked, when), never set by a PATCH."""
    response = Client().patch(f"{URL}{pat.pk}", {"nkda": True}, content_type="application/json", **bearer(alice))
    assert response.status_code in (200, 400, 422)
    assert not pat.nkda_statements.exists()
    assert Client().get(f"{URL}{pat.pk}", **bearer(alice)).json()["nkda"] is False


def test_the_openapi_document_declares_the_new_fields() -> None:
    from django.test import Client as C

    schemas = C().get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert {"nkda", "nkda_recorded_at", "nkda_recorded_by_id", "allergy_status"} <= set(
        schemas["PatientOut"]["properties"]
    )
    assert {"cosigned_by_id", "cosigned_at", "signed_by_id"} <= set(schemas["PlanVersionOut"]["properties"])
