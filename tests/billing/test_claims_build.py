"""Claims from signed sessions: the done-when cases of issue 19 (Medicare 84 mg → G2083 only; commercial buy-and-bill
56 mg → E/M + J0013 × 56 with the NDC), refusals that write nothing, status changes and the audit trail."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.billing.models import Claim
from ketaclinic.billing.services import claims
from ketaclinic.infusions.models import TreatmentSession
from tests.billing.claims_world import FEES, billing_fixture, cover, established, session  # noqa: F401

pytestmark = pytest.mark.django_db


def test_medicare_84_mg_established_is_g2083_and_nothing_else(carol: Any, bob: Any, pat: Any, billing: Any) -> None:
    coverage = cover(carol, pat, billing["medicare"], "1EG4TE5MK72")
    signed = established(pat, bob, "84")
    claim = claims.create_claim(by=carol, sessions=[signed], payer=billing["medicare"], fees=FEES)
    lines = list(claim.lines.all())
    assert [(line.code, line.units) for line in lines] == [("G2083", Decimal("1.00"))]
    assert "84 mg" in lines[0].why and lines[0].source
    assert claim.total_charge == Decimal("1280.00") and claim.coverage == coverage
    assert claim.status == "draft" and claim.diagnoses == ["F33.2"] and not claim.new_patient
    assert claim.place_of_service == "11"
    event = AuditEvent.objects.get(action="billing.claim.create")
    assert event.patient_id == pat.pk and event.detail["codes"] == [["G2083", "1"]]


def test_commercial_buy_and_bill_56_mg_is_em_and_j0013_with_the_ndc(
    carol: Any, bob: Any, pat: Any, billing: Any
) -> None:
    cover(carol, pat, billing["acme"])
    signed = established(pat, bob, "56")
    claim = claims.create_claim(by=carol, sessions=[signed], payer=billing["acme"], practitioner_min=25, fees=FEES)
    codes = {line.code: line for line in claim.lines.all()}
    assert set(codes) == {"99213", "J0013"}
    drug = codes["J0013"]
    assert drug.units == Decimal("56") and drug.ndc11 == "50458002802" and drug.ndc_unit == "UN"
    assert drug.charge == Decimal("560.00")
    assert claim.total_charge == Decimal("700.00")


def test_an_unsigned_session_is_refused_and_nothing_is_written(carol: Any, bob: Any, pat: Any, billing: Any) -> None:
    signed = established(pat, bob, "84")
    TreatmentSession.objects.filter(pk=signed.pk).update(status="discharged")
    signed.refresh_from_db()
    with pytest.raises(ServiceError, match="not signed"):
        claims.create_claim(by=carol, sessions=[signed], payer=billing["medicare"], fees=FEES)
    assert not Claim.objects.exists()
    assert not AuditEvent.objects.filter(action="billing.claim.create").exists()


def test_only_billing_staff_build_claims(alice: Any, bob: Any, pat: Any, billing: Any) -> None:
    signed = established(pat, bob)
    with pytest.raises(PermissionDenied):
        claims.create_claim(by=alice, sessions=[signed], payer=billing["medicare"])
    assert not Claim.objects.exists()


def test_sessions_of_two_patients_or_no_diagnosis_are_refused(
    carol: Any, bob: Any, pat: Any, lake: Any, billing: Any, main_st: Any
) -> None:
    from tests.conftest import make_patient

    other = make_patient(main_st, given_name="Lee", family_name="Park", email="lee@example.org")
    one, two = established(pat, bob), session(other, bob, "intranasal_esketamine", "84")
    with pytest.raises(ServiceError, match="one patient"):
        claims.create_claim(by=carol, sessions=[one, two], payer=billing["medicare"])
    with pytest.raises(ServiceError, match="diagnos"):
        claims.create_claim(by=carol, sessions=[two], payer=billing["medicare"])
    with pytest.raises(ServiceError, match="at least one"):
        claims.create_claim(by=carol, sessions=[], payer=billing["medicare"])
    assert not Claim.objects.exists()


def test_iv_session_yields_the_infusion_and_the_ketamine_line(carol: Any, bob: Any, pat: Any, billing: Any) -> None:
    signed = session(pat, bob, "iv", "40", infusion_min=40)
    proposal = claims.build_for_session(signed, claims.payer_rules(None, "self_pay"), fees=FEES)
    assert [(line.code, line.units) for line in proposal.lines] == [("96365", 1), ("J3490", 1)]
    assert proposal.lines[1].ndc11 == "55150043810"


def test_status_moves_are_checked_and_audited(carol: Any, bob: Any, pat: Any, billing: Any) -> None:
    cover(carol, pat, billing["medicare"])
    claim = claims.create_claim(by=carol, sessions=[established(pat, bob)], payer=billing["medicare"], fees=FEES)
    with pytest.raises(ServiceError, match="cannot become"):
        claims.change_status(by=carol, claim=claim, to="paid", paid_amount=Decimal("1"))
    with pytest.raises(ServiceError, match="why"):
        claims.change_status(by=carol, claim=claim, to="void")
    claims.change_status(by=carol, claim=claim, to="ready")
    claim.status = "exported"
    Claim.objects.filter(pk=claim.pk).update(status="exported")
    with pytest.raises(ServiceError, match="reason codes"):
        claims.change_status(by=carol, claim=claim, to="denied")
    denied = claims.change_status(by=carol, claim=claim, to="denied", denial_codes="CO-16")
    assert denied.denial_codes == "CO-16"
    voided = claims.change_status(by=carol, claim=denied, to="void", note="Billed in error")
    assert voided.status == "void" and voided.void_reason == "Billed in error"
    assert [e.to_status for e in voided.events.all()] == ["draft", "ready", "denied", "void"]
    assert AuditEvent.objects.filter(action="billing.claim.status").count() == 3
    assert Claim.objects.filter(pk=claim.pk).exists()  # nothing deleted


def test_a_claim_without_fees_cannot_be_ready(carol: Any, bob: Any, pat: Any, billing: Any) -> None:
    claim = claims.create_claim(by=carol, sessions=[established(pat, bob)], payer=billing["medicare"], fees={})
    assert claim.total_charge is None
    with pytest.raises(ServiceError, match="No charge on G2083"):
        claims.change_status(by=carol, claim=claim, to="ready")
    assert Claim.objects.get(pk=claim.pk).status == "draft"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("50458-028-02", "50458002802"),
        ("0409-2051-05", "00409205105"),
        ("55150-438-10", "55150043810"),
        ("50458002802", "50458002802"),
        ("12-34", None),
        ("1234567-1-1", None),
    ],
)
def test_ndc_to_11_digits(given: str, expected: str | None) -> None:
    assert claims.ndc11(given) == expected
