"""Invariants of the claim builder over generated sessions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.domain.billing.claim_rules import (
    ClaimRuleError,
    PayerRules,
    SessionBillingFacts,
    build_claim_lines,
)
from ketaclinic.domain.billing.codes import CODES

ROUTES = ("iv", "im", "intranasal_esketamine", "oral")
RULES = ("medicare_g_code_excludes_em", "clinical_staff_prolonged", "jz_on_j0013", "medicare_specialty_pharmacy")

facts_strategy = st.builds(
    SessionBillingFacts,
    service_date=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2027, 12, 31)),
    route=st.sampled_from(ROUTES),
    new_patient=st.booleans(),
    infusion_min=st.one_of(st.none(), st.integers(min_value=1, max_value=400)),
    practitioner_min=st.integers(min_value=0, max_value=200),
    clinical_staff_min=st.integers(min_value=0, max_value=240),
    esketamine_dose_mg=st.one_of(st.none(), st.sampled_from((28, 56, 84))),
    ketamine_dose_mg=st.one_of(st.none(), st.decimals(min_value=1, max_value=300, places=1)),
    ndc11=st.sampled_from((None, "50458002802", "00409205105")),
    drug_supply=st.sampled_from(("buy_and_bill", "specialty_pharmacy")),
    diagnoses=st.lists(st.sampled_from(("F33.2", "F32.2", "R45.851", "G89.4", "F43.10")), min_size=1, max_size=12).map(
        tuple
    ),
    separately_identifiable_em=st.booleans(),
    telehealth=st.just(None),
)
payer_strategy = st.builds(
    PayerRules,
    payer_kind=st.sampled_from(("medicare", "medicaid", "commercial", "self_pay")),
    accepts_g_codes=st.booleans(),
    confirmed=st.frozensets(st.sampled_from(RULES)),
)


@settings(max_examples=300, deadline=None)
@given(facts_strategy, payer_strategy, st.booleans())
def test_claim_invariants(facts: SessionBillingFacts, payer: PayerRules, with_fees: bool) -> None:
    fees = {code: Decimal("10.5") for code in CODES} if with_fees else None
    try:
        proposal = build_claim_lines(facts, payer, fees)
    except ClaimRuleError as error:
        assert str(error).endswith(".")
        return
    codes = [line.code for line in proposal.lines]
    if any(code in ("G2082", "G2083") for code in codes):
        assert len(proposal.lines) == 1
    for line in proposal.lines:
        assert line.code in CODES
        assert line.units > 0
        assert 1 <= len(line.diagnosis_pointers) <= 4
        assert all(1 <= p <= len(facts.diagnoses) for p in line.diagnosis_pointers)
        assert line.why and line.source
        assert (line.charge is None) is (not with_fees)
        if line.charge is not None:
            assert line.charge == (Decimal("10.5") * line.units).quantize(Decimal("0.01"))
        if line.ndc11 is not None:
            assert line.ndc_quantity is not None and line.ndc_quantity > 0 and line.ndc_unit
    assert proposal.place_of_service == "11"
    assert codes.count("96365") + codes.count("96374") + codes.count("96372") <= 1
    if "25" in (m for line in proposal.lines for m in line.modifiers):
        assert facts.separately_identifiable_em and facts.route in ("iv", "im")
