"""The 837P export: pyx12 accepts what we write for the Medicare G2083 and the commercial E/M + J0013 claims (its 999
says IK5/AK9 "A", billing.md §10.1); a payer without an id, missing coverage or a void claim is a clear refusal."""

from __future__ import annotations

from typing import Any

import pytest

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.billing.models import Claim, Payer
from ketaclinic.billing.services import claims, export
from tests.billing.claims_world import FEES, billing_fixture, cover, established  # noqa: F401
from tests.billing_x12 import validate_837p

pytestmark = pytest.mark.django_db


def test_medicare_g2083_claim_is_accepted_by_pyx12(carol: Any, bob: Any, pat: Any, billing: Any) -> None:
    cover(carol, pat, billing["medicare"], "1EG4TE5MK72")
    claim = claims.create_claim(by=carol, sessions=[established(pat, bob)], payer=billing["medicare"], fees=FEES)
    text = export.export_837p(by=carol, claim=claim)
    verdict = validate_837p(text)
    assert verdict.accepted, verdict.ack_999
    assert "SV1*HC:G2083*1280*UN*1***1" in text and "SBR*P*18*GRP123******MB" in text
    assert "HI*ABK:F332" in text and "NM1*82*1*" in text
    claim.refresh_from_db()
    assert claim.status == "exported" and claim.control_number == 1
    assert AuditEvent.objects.filter(action="billing.claim.export", object_id=str(claim.pk)).exists()


def test_commercial_em_and_j0013_claim_is_accepted_with_the_ndc(carol: Any, bob: Any, pat: Any, billing: Any) -> None:
    cover(carol, pat, billing["acme"])
    claim = claims.create_claim(
        by=carol,
        sessions=[established(pat, bob, "56")],
        payer=billing["acme"],
        practitioner_min=25,
        prior_auth_number="PA123456",
        fees=FEES,
    )
    text = export.export_837p(by=carol, claim=claim)
    verdict = validate_837p(text)
    assert verdict.accepted, verdict.ack_999
    assert "LIN**N4*50458002802" in text and "CTP****2*UN" in text and "REF*G1*PA123456" in text
    assert "SV1*HC:J0013*560*UN*56***1" in text


def test_a_payer_without_an_id_is_a_clear_refusal(carol: Any, bob: Any, pat: Any, billing: Any) -> None:
    cover(carol, pat, billing["medicare"])
    claim = claims.create_claim(by=carol, sessions=[established(pat, bob)], payer=billing["medicare"], fees=FEES)
    Payer.objects.filter(pk=billing["medicare"].pk).update(payer_id="")
    with pytest.raises(ServiceError, match="has no payer id") as info:
        export.export_837p(by=carol, claim=claim)
    assert info.value.field == "payer_id"
    claim.refresh_from_db()
    assert claim.status == "draft" and claim.control_number is None


def test_no_coverage_or_no_fee_or_a_void_claim_is_refused(carol: Any, bob: Any, pat: Any, billing: Any) -> None:
    claim = claims.create_claim(by=carol, sessions=[established(pat, bob)], payer=billing["medicare"], fees={})
    with pytest.raises(ServiceError, match="no Medicare B coverage"):
        export.export_837p(by=carol, claim=claim)
    cover(carol, pat, billing["medicare"])
    Claim.objects.filter(pk=claim.pk).update(coverage=pat.coverages.first())
    claim.refresh_from_db()
    with pytest.raises(ServiceError, match="no charge"):
        export.export_837p(by=carol, claim=claim)
    claims.change_status(by=carol, claim=claim, to="void", note="Wrong payer")
    with pytest.raises(ServiceError, match="void"):
        export.export_837p(by=carol, claim=claim)
