"""/api/v1/billing (CONTRACTS §8): claim lines of a signed session, a claim from sessions (201), the 837P as text;
capability checks and bad input answered 422 with the field named."""

from __future__ import annotations

from typing import Any

import pytest

from ketaclinic.billing.models import Claim
from ketaclinic.infusions.models import TreatmentSession
from tests.billing.claims_world import billing_fixture, cover, established  # noqa: F401
from tests.billing_x12 import validate_837p

pytestmark = pytest.mark.django_db
BASE = "/api/v1/billing"


def test_claim_lines_for_medicare_and_commercial(client_as: Any, bob: Any, carol: Any, pat: Any, billing: Any) -> None:
    signed = established(pat, bob, "84")
    client = client_as(carol)
    medicare = client.get(f"{BASE}/sessions/{signed.pk}/claim-lines?payer_kind=medicare")
    assert medicare.status_code == 200, medicare.content
    body = medicare.json()
    assert [line["code"] for line in body] == ["G2083"]
    assert set(body[0]) >= {"code", "modifiers", "units", "charge", "diagnosis_pointers", "why"}
    assert body[0]["diagnosis_pointers"] == [1]
    commercial = client.get(f"{BASE}/sessions/{signed.pk}/claim-lines?payer_kind=commercial&practitioner_min=25")
    assert [line["code"] for line in commercial.json()] == ["99213", "J0013"]
    pharmacy = client.get(
        f"{BASE}/sessions/{signed.pk}/claim-lines?payer_kind=commercial&supply=specialty_pharmacy&practitioner_min=25"
    )
    assert [line["code"] for line in pharmacy.json()] == ["99213"]


def test_claim_lines_bad_input_and_access(client_as: Any, bob: Any, carol: Any, pat: Any, billing: Any) -> None:
    signed = established(pat, bob)
    client = client_as(carol)
    bad = client.get(f"{BASE}/sessions/{signed.pk}/claim-lines?payer_kind=martian")
    assert bad.status_code == 422 and "payer_kind" in str(bad.json())
    assert client.get(f"{BASE}/sessions/999999/claim-lines?payer_kind=medicare").status_code == 404
    TreatmentSession.objects.filter(pk=signed.pk).update(status="discharged")
    unsigned = client.get(f"{BASE}/sessions/{signed.pk}/claim-lines?payer_kind=medicare")
    assert unsigned.status_code == 422 and "not signed" in str(unsigned.json())


def test_post_a_claim_then_download_its_837p(client_as: Any, bob: Any, carol: Any, pat: Any, billing: Any) -> None:
    cover(carol, pat, billing["medicare"])
    signed = established(pat, bob)
    client = client_as(carol)
    body = {"session_ids": [signed.pk], "payer_id": billing["medicare"].pk}
    created = client.post(f"{BASE}/claims", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    assert created.status_code == 201, created.content
    claim_id = created.json()["id"]
    assert [line["code"] for line in created.json()["lines"]] == ["G2083"]
    again = client.post(f"{BASE}/claims", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    assert again.status_code == 201 and again.json()["id"] == claim_id and Claim.objects.count() == 1
    exported = client.get(f"{BASE}/claims/{claim_id}/837p")
    # No fee schedule in this clinic: the lines carry no charge and the 837P is refused, saying which.
    assert exported.status_code == 422 and "no charge" in exported.json()["detail"]
    Claim.objects.get(pk=claim_id).lines.update(charge="1280.00", unit_charge="1280.00")
    exported = client.get(f"{BASE}/claims/{claim_id}/837p")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/plain")
    assert validate_837p(exported.content.decode()).accepted


def test_post_a_claim_bad_input_names_the_field(
    client_as: Any, bob: Any, carol: Any, alice: Any, pat: Any, billing: Any
) -> None:
    signed = established(pat, bob)
    client = client_as(carol)
    headers = {"content_type": "application/json"}
    no_payer = client.post(f"{BASE}/claims", {"session_ids": [signed.pk]}, HTTP_IDEMPOTENCY_KEY="a", **headers)
    assert no_payer.status_code == 422 and "payer_id" in str(no_payer.json())
    wrong = client.post(
        f"{BASE}/claims", {"session_ids": [signed.pk], "payer_id": 99999}, HTTP_IDEMPOTENCY_KEY="b", **headers
    )
    assert wrong.status_code == 422 and "payer_id" in str(wrong.json())
    empty = client.post(
        f"{BASE}/claims", {"session_ids": [], "payer_id": billing["medicare"].pk}, HTTP_IDEMPOTENCY_KEY="c", **headers
    )
    assert empty.status_code == 422 and "session_ids" in str(empty.json())
    no_key = client.post(f"{BASE}/claims", {"session_ids": [signed.pk], "payer_id": billing["medicare"].pk}, **headers)
    assert no_key.status_code == 400
    nurse = client_as(alice).post(
        f"{BASE}/claims",
        {"session_ids": [signed.pk], "payer_id": billing["medicare"].pk},
        HTTP_IDEMPOTENCY_KEY="d",
        **headers,
    )
    assert nurse.status_code == 403
    assert not Claim.objects.exists()
