"""The rules added in issue 16 (items 12 and 13), each against the published document it names.

Every test fails on the code before issue 16: the codes did not exist, and the ≥ 65 esketamine rule cited the EU/UK
SmPC's 28 mg start as if it were the US label.
"""

from __future__ import annotations

import pytest

from ketaclinic.domain import eligibility
from ketaclinic.domain.eligibility import Candidate, EligibilityThresholds, assess
from ketaclinic.domain.eligibility.alcohol import AUDIT_C_QUESTIONS, audit_c_total


def make(**changes: object) -> Candidate:
    fields: dict[str, object] = {
        "age_years": 45,
        "sex": "female",
        "indication": "treatment_resistant_depression",
        "route": "iv",
        "failed_antidepressant_trials": 3,
        "systolic_mmhg": 128,
        "diastolic_mmhg": 82,
        "conditions": frozenset(),
        "medications": frozenset(),
        "pregnant": False,
        "breastfeeding": False,
    }
    fields.update(changes)
    return Candidate(**fields)  # type: ignore[arg-type]


def finding(code: str, candidate: Candidate, jurisdiction: str = "us") -> eligibility.Finding | None:
    return next((f for f in assess(candidate, jurisdiction=jurisdiction).findings if f.code == code), None)


@pytest.mark.parametrize("drug", ["theophylline", "Aminophylline"])
def test_theophylline_and_aminophylline_need_review(drug):
    """Ketalar US label §7.1: theophylline or aminophylline — "do not co-administer" (may lower the seizure
    threshold): a relative finding (needs review)."""
    a = assess(make(medications=frozenset({drug})))
    found = finding("theophylline_seizure_threshold", make(medications=frozenset({drug})))
    assert found is not None and found.level == "relative"
    assert "Ketalar US label §7.1" in found.source
    assert a.status == "needs_review"


@pytest.mark.parametrize(
    "drug", ["pseudoephedrine", "phenylephrine", "ephedrine", "epinephrine", "norepinephrine", "vasopressin"]
)
def test_sympathomimetics_and_vasopressin_are_a_vital_signs_caution(drug):
    """Ketalar US label §7.2: sympathomimetics and vasopressin (decongestants included) — closely monitor vital
    signs: a caution."""
    found = finding("sympathomimetic_vital_signs", make(medications=frozenset({drug})))
    assert found is not None and found.level == "caution"
    assert "Ketalar US label §7.2" in found.source
    assert drug.lower() in found.message


@pytest.mark.parametrize(
    ("sex", "score", "fires"),
    [("male", 3, False), ("male", 4, True), ("female", 2, False), ("female", 3, True), ("female", None, False)],
)
def test_alcohol_above_low_risk_by_audit_c_cutoffs_of_bradley_2007(sex, score, fires):
    """Spravato US PI §7 (CNS depressants including alcohol); AUDIT-C above low risk = ≥ 4 men, ≥ 3 women
    (Bradley KA et al., Alcohol Clin Exp Res 2007;31:1208)."""
    found = finding("alcohol_cns_depression", make(sex=sex, audit_c_score=score))
    assert (found is not None) is fires
    if found is not None:
        assert found.level == "caution"
        assert "Spravato US PI §7" in found.source and "Bradley 2007" in found.source


def test_alcohol_listed_as_a_substance_is_a_caution_without_audit_c():
    found = finding("alcohol_cns_depression", make(medications=frozenset({"Alcohol"})))
    assert found is not None and "Alcohol is on the medication" in found.message


def test_audit_c_cutoffs_are_settings_with_the_published_defaults():
    thresholds = EligibilityThresholds()
    assert (thresholds.audit_c_men_at_least, thresholds.audit_c_women_at_least) == (4, 3)
    stricter = EligibilityThresholds(audit_c_women_at_least=5)
    assert "alcohol_cns_depression" not in assess(make(audit_c_score=4), stricter).codes


def test_audit_c_total_sums_three_answers_and_refuses_partial_or_out_of_range():
    """AUDIT-C (Bush 1998): three questions scored 0–4, total 0–12."""
    assert len(AUDIT_C_QUESTIONS) == 3
    assert all(len(answers) == 5 for _, _, answers in AUDIT_C_QUESTIONS)
    assert audit_c_total([4, 4, 4]) == 12
    assert audit_c_total([1, 0, None]) is None
    with pytest.raises(ValueError, match="question 2"):
        audit_c_total([1, 5, 0])
    with pytest.raises(ValueError, match="3 questions"):
        audit_c_total([1, 1])


def test_recent_cardiovascular_event_needs_review_under_the_us_label():
    """Ketalar US label §5 (hypertension, cardiac decompensation): a cardiovascular event within 6 weeks needs
    review — for esketamine too, under the US label."""
    for route in ("iv", "intranasal_esketamine"):
        found = finding("recent_cardiovascular_event", make(route=route, conditions={"recent_cardiovascular_event"}))
        assert found is not None and found.level == "relative"
        assert "Ketalar US label §5" in found.source


def test_recent_cardiovascular_event_is_a_contraindication_for_esketamine_under_the_eu_smpc():
    """Spravato EU/UK SmPC §4.3: contraindicated within 6 weeks of a cardiovascular event, including MI."""
    candidate = make(route="intranasal_esketamine", conditions={"recent_cardiovascular_event"})
    found = finding("recent_cardiovascular_event", candidate, "eu")
    assert found is not None and found.level == "absolute"
    assert "SmPC §4.3" in found.source
    assert assess(candidate, jurisdiction="eu").status == "ineligible"
    iv = finding("recent_cardiovascular_event", make(conditions={"recent_cardiovascular_event"}), "eu")
    assert iv is not None and iv.level == "relative"


@pytest.mark.parametrize(("serial", "level"), [(True, "relative"), (None, "relative"), (False, "caution")])
def test_lower_urinary_tract_symptoms_need_review_before_a_serial_programme(serial, level):
    """Ketalar US label §2.1, §6: genitourinary pain with chronic use, "consider cessation": relative for serial or
    at-home programmes."""
    found = finding("genitourinary_symptoms", make(conditions={"genitourinary_symptoms"}, serial_programme=serial))
    assert found is not None and found.level == level
    assert "Ketalar US label" in found.source


@pytest.mark.parametrize(
    ("serial", "days", "fires"), [(True, None, True), (True, 91, True), (True, 90, False), (False, None, False)]
)
def test_baseline_liver_tests_before_a_serial_programme(serial, days, fires):
    """Ketalar US label §5 (drug-induced liver injury: baseline liver tests): a caution for a serial programme with no
    liver tests in the last 90 days (the window is a clinic policy setting)."""
    found = finding("baseline_liver_tests", make(serial_programme=serial, liver_tests_days_ago=days))
    assert (found is not None) is fires
    if found is not None:
        assert found.level == "caution" and "drug-induced liver injury" in found.source


def test_liver_rule_is_not_applied_when_the_programme_is_not_stated():
    assert "baseline_liver_tests" not in assess(make()).codes


def test_esketamine_65_plus_cites_the_us_label_by_default():
    """US label (FDA): the same doses at any adult age (day 1 56 mg); it is the EU/UK SmPC §4.2 that starts at 28 mg.
    Before issue 16 the finding said "starts at 28 mg" and cited the Spravato PI."""
    found = finding("esketamine_age_65_plus", make(route="intranasal_esketamine", age_years=70))
    assert found is not None and found.level == "caution"
    assert "US PI" in found.source and "SmPC" not in found.source
    assert "56 mg" in found.message and "28 mg" not in found.message


def test_esketamine_65_plus_under_the_eu_smpc_says_28_mg_and_cites_the_smpc():
    found = finding("esketamine_age_65_plus", make(route="intranasal_esketamine", age_years=70), "eu")
    assert found is not None
    assert "SmPC §4.2" in found.source and "28 mg" in found.message


def test_no_finding_source_names_a_repository_file():
    candidate = make(
        route="intranasal_esketamine",
        age_years=70,
        conditions={"recent_cardiovascular_event", "genitourinary_symptoms"},
        medications={"theophylline", "pseudoephedrine", "alcohol"},
        serial_programme=True,
    )
    for jurisdiction in ("us", "eu"):
        for item in assess(candidate, jurisdiction=jurisdiction).findings[-7:]:
            assert ".md" not in item.source and ".md" not in item.message


def test_unknown_jurisdiction_and_bad_new_fields_are_refused():
    with pytest.raises(ValueError, match="jurisdiction"):
        assess(make(), jurisdiction="ca")
    with pytest.raises(eligibility.InvalidCandidate, match="audit_c_score"):
        make(audit_c_score=13)
    with pytest.raises(eligibility.InvalidCandidate, match="liver_tests_days_ago"):
        make(liver_tests_days_ago=-1)
    with pytest.raises(eligibility.InvalidCandidate, match="serial_programme"):
        make(serial_programme="yes")
