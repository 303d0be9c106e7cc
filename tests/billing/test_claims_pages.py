"""The claim pages: build a claim from a signed session, the CMS-1500 data with each line's why on screen, status
changes and the 837P download; refusals come back into the form and write nothing."""

from __future__ import annotations

from typing import Any

import pytest

from ketaclinic.billing.models import Claim
from ketaclinic.billing.services import claims
from ketaclinic.infusions.models import TreatmentSession
from tests.billing.claims_world import FEES, billing_fixture, cover, established  # noqa: F401

pytestmark = pytest.mark.django_db


def test_build_a_claim_from_the_form_and_read_it(
    client_as: Any, carol: Any, bob: Any, alice: Any, pat: Any, billing: Any
) -> None:
    cover(carol, pat, billing["acme"])
    signed = established(pat, bob, "56")
    client = client_as(carol)
    listing = client.get("/billing/claims/")
    assert listing.status_code == 200 and f"/billing/claims/new/{signed.pk}/" in listing.content.decode()
    response = client.post(
        f"/billing/claims/new/{signed.pk}/",
        {"payer": billing["acme"].pk, "supply": "buy_and_bill", "practitioner_min": "25", "clinical_staff_min": "0"},
    )
    claim = Claim.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/billing/claims/{claim.pk}/")
    page = client.get(f"/billing/claims/{claim.pk}/").content.decode()
    for expected in (
        "99213",
        "J0013",
        "50458002802",
        "56 mg",
        "Source:",
        "21 Diagnoses",
        "F33.2",
        "33 Billing provider",
    ):
        assert expected in page, expected
    assert "Download 837P" in page
    nurse_view = client_as(alice).get(f"/billing/claims/{claim.pk}/").content.decode()
    assert "J0013" in nurse_view and "Download 837P" not in nurse_view


def test_an_unsigned_session_comes_back_with_the_reason(
    client_as: Any, carol: Any, bob: Any, pat: Any, billing: Any
) -> None:
    signed = established(pat, bob)
    TreatmentSession.objects.filter(pk=signed.pk).update(status="discharged")
    client = client_as(carol)
    response = client.post(
        f"/billing/claims/new/{signed.pk}/",
        {"payer": billing["medicare"].pk, "supply": "buy_and_bill", "practitioner_min": "0", "clinical_staff_min": "0"},
    )
    assert response.status_code == 422 and "not signed" in response.content.decode()
    assert not Claim.objects.exists()


def test_status_and_download(client_as: Any, carol: Any, bob: Any, pat: Any, billing: Any) -> None:
    cover(carol, pat, billing["medicare"])
    claim = claims.create_claim(by=carol, sessions=[established(pat, bob)], payer=billing["medicare"], fees=FEES)
    client = client_as(carol)
    refused = client.post(f"/billing/claims/{claim.pk}/status/", {"to": "void", "note": ""})
    assert refused.status_code == 422 and "why" in refused.content.decode()
    assert client.post(f"/billing/claims/{claim.pk}/status/", {"to": "ready"}).status_code == 302
    download = client.get(f"/billing/claims/{claim.pk}/837p/")
    assert download.status_code == 200 and download.content.startswith(b"ISA*")
    assert Claim.objects.get(pk=claim.pk).status == "exported"
    billing["medicare"].payer_id = ""
    billing["medicare"].save()
    again = client.get(f"/billing/claims/{claim.pk}/837p/", follow=True)
    assert "has no payer id" in again.content.decode()
