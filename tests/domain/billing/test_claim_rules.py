from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from ketaclinic.domain.billing.claim_rules import ClaimProposal, ClaimRuleError, PayerRules, build_claim_lines
from tests.domain.billing.factories import iv_facts, spravato_facts

MEDICARE = PayerRules("medicare")
COMMERCIAL = PayerRules("commercial")


def codes(proposal: ClaimProposal) -> list[tuple[str, Decimal]]:
    return [(line.code, line.units) for line in proposal.lines]


def notes(proposal: ClaimProposal) -> str:
    return " ".join(proposal.notes)


# --- done-when cases -------------------------------------------------------------------------------------------------


def test_medicare_84_mg_established_is_g2083_only() -> None:
    proposal = build_claim_lines(spravato_facts(esketamine_dose_mg=84, practitioner_min=30), MEDICARE)
    assert codes(proposal) == [("G2083", Decimal(1))]
    line = proposal.lines[0]
    assert "84 mg is more than 56 mg, so G2083" in line.why
    assert "nothing else is billed" in line.why
    assert "Highmark Wholecare" in line.source and "84 FR 62568" in line.source
    assert line.unconfirmed and "Unconfirmed" in notes(proposal)
    assert "No separate visit" in notes(proposal)
    assert proposal.place_of_service == "11"


def test_medicare_g_code_confirmed_rule_is_not_flagged() -> None:
    payer = PayerRules("medicare", confirmed=frozenset({"medicare_g_code_excludes_em"}))
    proposal = build_claim_lines(spravato_facts(practitioner_min=0), payer)
    assert codes(proposal) == [("G2082", Decimal(1))]
    assert "no more than 56 mg, so G2082" in proposal.lines[0].why
    assert not proposal.lines[0].unconfirmed
    assert proposal.notes == ()


def test_commercial_buy_and_bill_56_mg_with_25_min() -> None:
    fees = {"99213": Decimal("150"), "J0013": Decimal("12.345")}
    proposal = build_claim_lines(spravato_facts(), COMMERCIAL, fees)
    assert codes(proposal) == [("99213", Decimal(1)), ("J0013", Decimal(56))]
    em, drug = proposal.lines
    assert em.modifiers == () and em.charge == Decimal("150.00")
    assert "25 min of practitioner time meets the 20 min of 99213" in em.why
    assert drug.ndc11 == "50458002802" and drug.ndc_quantity == Decimal(2) and drug.ndc_unit == "UN"
    assert drug.charge == Decimal("691.32") and drug.unit_charge == Decimal("12.345")
    assert drug.modifiers == () and drug.unconfirmed
    assert "No JZ modifier" in notes(proposal)


def test_iv_40_min_is_96365_and_j3490() -> None:
    proposal = build_claim_lines(iv_facts(), COMMERCIAL)
    assert codes(proposal) == [("96365", Decimal(1)), ("J3490", Decimal(1))]
    drug = proposal.lines[1]
    assert drug.ndc11 == "00409205105" and drug.ndc_quantity == Decimal(35) and drug.ndc_unit == "ME"
    assert drug.modifiers == ()  # multi-dose vial: no JW/JZ
    assert "35 mg given" in drug.why
    assert "No visit line" in notes(proposal)
    assert all(line.charge is None for line in proposal.lines)


# --- G-codes ---------------------------------------------------------------------------------------------------------


def test_g_code_before_it_existed_is_refused() -> None:
    with pytest.raises(ClaimRuleError, match="G2082 is not a valid code on 01 Jun 2019"):
        build_claim_lines(spravato_facts(service_date=dt.date(2019, 6, 1)), MEDICARE)


def test_g_code_for_a_new_patient_is_refused() -> None:
    with pytest.raises(ClaimRuleError, match="established patients only"):
        build_claim_lines(spravato_facts(new_patient=True), MEDICARE)


def test_medicare_specialty_pharmacy_needs_the_mac() -> None:
    proposal = build_claim_lines(spravato_facts(drug_supply="specialty_pharmacy"), MEDICARE)
    assert proposal.lines == ()
    assert "confirm with its Medicare contractor" in notes(proposal)


def test_medicare_specialty_pharmacy_confirmed_bills_the_g_code() -> None:
    payer = PayerRules("medicare", confirmed=frozenset({"medicare_specialty_pharmacy", "medicare_g_code_excludes_em"}))
    proposal = build_claim_lines(spravato_facts(drug_supply="specialty_pharmacy", practitioner_min=0), payer)
    assert codes(proposal) == [("G2082", Decimal(1))]


def test_commercial_payer_that_takes_g_codes() -> None:
    payer = PayerRules("commercial", accepts_g_codes=True)
    proposal = build_claim_lines(spravato_facts(esketamine_dose_mg=84, practitioner_min=0), payer)
    assert codes(proposal) == [("G2083", Decimal(1))]
    assert "This payer bundles" in proposal.lines[0].why
    assert "Blue Cross Blue Shield of Massachusetts" in proposal.lines[0].source
    assert not proposal.lines[0].unconfirmed


def test_g_code_payer_with_specialty_pharmacy_falls_back_to_visit_only() -> None:
    payer = PayerRules("medicaid", accepts_g_codes=True)
    proposal = build_claim_lines(spravato_facts(drug_supply="specialty_pharmacy"), payer)
    assert codes(proposal) == [("99213", Decimal(1))]
    assert "specialty pharmacy supplied" in notes(proposal) and "Unconfirmed" in notes(proposal)


def test_specialty_pharmacy_confirmed_rule_has_no_unconfirmed_note() -> None:
    payer = PayerRules("commercial", confirmed=frozenset({"commercial_specialty_pharmacy"}))
    proposal = build_claim_lines(spravato_facts(drug_supply="specialty_pharmacy"), payer)
    assert "Unconfirmed" not in notes(proposal)


@pytest.mark.parametrize(("dose", "words"), [(None, "dose given"), (0, "dose given"), (30, "28 mg")])
def test_bad_esketamine_dose(dose: int | None, words: str) -> None:
    with pytest.raises(ClaimRuleError, match=words):
        build_claim_lines(spravato_facts(esketamine_dose_mg=dose), MEDICARE)


# --- commercial esketamine -------------------------------------------------------------------------------------------


def test_s0013_before_2026_and_jz_when_confirmed() -> None:
    early = build_claim_lines(spravato_facts(service_date=dt.date(2025, 12, 31)), COMMERCIAL)
    assert early.lines[-1].code == "S0013" and early.lines[-1].modifiers == ()
    payer = PayerRules("commercial", confirmed=frozenset({"jz_on_j0013", "esketamine_ndc_units"}))
    late = build_claim_lines(spravato_facts(), payer)
    assert late.lines[-1].code == "J0013" and late.lines[-1].modifiers == ("JZ",)
    assert not late.lines[-1].unconfirmed and "JZ: nothing was discarded" in late.lines[-1].why


def test_payer_override_keeps_s0013() -> None:
    payer = PayerRules("commercial", overrides={"esketamine_drug_code": "S0013"})
    proposal = build_claim_lines(spravato_facts(), payer)
    assert proposal.lines[-1].code == "S0013"
    assert "this payer's override" in notes(proposal)


def test_esketamine_drug_line_needs_the_ndc() -> None:
    with pytest.raises(ClaimRuleError, match="NDC of the Spravato kit"):
        build_claim_lines(spravato_facts(ndc11=None), COMMERCIAL)


def test_no_modifier_25_on_esketamine_visit() -> None:
    proposal = build_claim_lines(spravato_facts(separately_identifiable_em=True), COMMERCIAL)
    assert proposal.lines[0].modifiers == ()


def test_prolonged_practitioner_time_takes_precedence_over_staff_time() -> None:
    proposal = build_claim_lines(spravato_facts(practitioner_min=85, clinical_staff_min=120), COMMERCIAL)
    assert codes(proposal)[:2] == [("99215", Decimal(1)), ("99417", Decimal(3))]
    assert "starts at 55 min" in proposal.lines[1].why
    assert "99415" not in [c for c, _ in codes(proposal)]


def test_many_99417_units_get_a_note() -> None:
    proposal = build_claim_lines(spravato_facts(practitioner_min=130), COMMERCIAL)
    assert ("99417", Decimal(6)) in codes(proposal)
    assert "limit of 4" in notes(proposal)


def test_medicare_prolonged_is_g2212_on_an_iv_visit() -> None:
    facts = iv_facts(practitioner_min=70, separately_identifiable_em=True)
    proposal = build_claim_lines(facts, MEDICARE)
    assert codes(proposal)[:2] == [("99215", Decimal(1)), ("G2212", Decimal(1))]
    assert proposal.lines[0].modifiers == ("25",) and "Modifier 25" in proposal.lines[0].why
    assert "National Government Services" in proposal.lines[1].source


@pytest.mark.parametrize(
    ("staff", "expected", "confirmed"),
    [
        (49, [("99213", 1), ("J0013", 56)], False),
        (50, [("99213", 1), ("99415", 1), ("J0013", 56)], False),
        (109, [("99213", 1), ("99415", 1), ("J0013", 56)], False),
        (110, [("99213", 1), ("99415", 1), ("99416", 1), ("J0013", 56)], False),
        (140, [("99213", 1), ("99415", 1), ("99416", 2), ("J0013", 56)], True),
    ],
)
def test_clinical_staff_prolonged(staff: int, expected: list[tuple[str, int]], confirmed: bool) -> None:
    payer = PayerRules("commercial", confirmed=frozenset({"clinical_staff_prolonged"} if confirmed else set()))
    proposal = build_claim_lines(spravato_facts(clinical_staff_min=staff), payer)
    assert codes(proposal) == [(c, Decimal(u)) for c, u in expected]
    staff_lines = [line for line in proposal.lines if line.code in ("99415", "99416")]
    assert all(line.unconfirmed is not confirmed for line in staff_lines)


def test_too_little_practitioner_time_gives_no_visit() -> None:
    proposal = build_claim_lines(spravato_facts(practitioner_min=5), COMMERCIAL)
    assert codes(proposal) == [("J0013", Decimal(56))]
    assert "below the lowest visit level" in notes(proposal)


def test_self_pay_is_a_superbill_with_commercial_lines() -> None:
    payer = PayerRules("self_pay", accepts_g_codes=True)
    proposal = build_claim_lines(spravato_facts(), payer)
    assert codes(proposal) == [("99213", Decimal(1)), ("J0013", Decimal(56))]
    assert "superbill" in notes(proposal)


# --- ketamine --------------------------------------------------------------------------------------------------------


def test_iv_long_infusion_with_separate_evaluation() -> None:
    facts = iv_facts(infusion_min=240, separately_identifiable_em=True, practitioner_min=30, ndc11="42023011310")
    proposal = build_claim_lines(facts, COMMERCIAL, {"96366": Decimal("80")})
    assert codes(proposal) == [
        ("99214", Decimal(1)),
        ("96365", Decimal(1)),
        ("96366", Decimal(3)),
        ("J3490", Decimal(1)),
    ]
    assert proposal.lines[0].modifiers == ("25",)
    assert proposal.lines[2].charge == Decimal("240.00")
    assert "container type is not known" in notes(proposal)


def test_short_iv_is_a_push() -> None:
    proposal = build_claim_lines(iv_facts(infusion_min=10), COMMERCIAL)
    assert codes(proposal)[0] == ("96374", Decimal(1))
    assert "15 min or less" in proposal.lines[0].why


def test_im_ketamine() -> None:
    proposal = build_claim_lines(iv_facts(route="im", infusion_min=None), COMMERCIAL)
    assert codes(proposal) == [("96372", Decimal(1)), ("J3490", Decimal(1))]


def test_ketamine_override_and_specialty_pharmacy() -> None:
    payer = PayerRules("commercial", overrides={"ketamine_drug_code": "J3490"})
    assert build_claim_lines(iv_facts(), payer).lines[-1].code == "J3490"
    proposal = build_claim_lines(iv_facts(drug_supply="specialty_pharmacy"), COMMERCIAL)
    assert codes(proposal) == [("96365", Decimal(1))]
    assert "not supplied by the clinic" in notes(proposal)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"infusion_min": None}, "infusion time"),
        ({"infusion_min": 0}, "infusion time"),
        ({"ndc11": None}, "NDC of the vial"),
        ({"ketamine_dose_mg": None}, "dose given in mg"),
        ({"ketamine_dose_mg": Decimal(0)}, "dose given in mg"),
    ],
)
def test_bad_ketamine_facts(changes: dict[str, Any], words: str) -> None:
    with pytest.raises(ClaimRuleError, match=words):
        build_claim_lines(iv_facts(**changes), COMMERCIAL)


# --- visits only, telehealth -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("telehealth", "pos"), [(None, "11"), ("home", "10"), ("other", "02")])
def test_home_programme_visit_place_of_service(telehealth: str | None, pos: str) -> None:
    facts = spravato_facts(route="oral", telehealth=telehealth, esketamine_dose_mg=None, ndc11=None)
    proposal = build_claim_lines(facts, COMMERCIAL)
    assert proposal.place_of_service == pos
    assert codes(proposal) == [("99213", Decimal(1))]


def test_in_person_session_cannot_be_telehealth() -> None:
    with pytest.raises(ClaimRuleError, match="in person"):
        build_claim_lines(iv_facts(telehealth="home"), COMMERCIAL)


# --- bad input and pointers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "payer", "words"),
    [
        ({"diagnoses": ()}, COMMERCIAL, "at least one diagnosis"),
        ({"diagnoses": tuple(f"F33.{i}" for i in range(13))}, COMMERCIAL, "at most 12"),
        ({"route": "rectal"}, COMMERCIAL, "Unknown route"),
        ({"drug_supply": "gift"}, COMMERCIAL, "Unknown drug supply"),
        ({"telehealth": "car"}, COMMERCIAL, "Unknown telehealth"),
        ({"practitioner_min": -1}, COMMERCIAL, "negative"),
        ({"clinical_staff_min": -1}, COMMERCIAL, "negative"),
        ({}, PayerRules("aetna"), "Unknown payer kind"),
        ({}, PayerRules("commercial", overrides={"visit_code": "99213"}), "Unknown payer override"),
        ({}, PayerRules("commercial", overrides={"esketamine_drug_code": "T1503"}), "not a billing code"),
    ],
)
def test_bad_input_says_why(changes: dict[str, Any], payer: PayerRules, words: str) -> None:
    with pytest.raises(ClaimRuleError, match=words):
        build_claim_lines(spravato_facts(**changes), payer)


def test_pointers_at_most_four() -> None:
    facts = spravato_facts(diagnoses=("F33.2", "R45.851", "F43.10", "F31.81", "G89.4"))
    proposal = build_claim_lines(facts, COMMERCIAL)
    assert all(line.diagnosis_pointers == (1, 2, 3, 4) for line in proposal.lines)
