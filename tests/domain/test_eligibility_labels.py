"""Clinicians read words, not codes: every code of the eligibility vocabulary has a label (clinical-rules.md §1-§2)."""

import pytest

from ketaclinic.domain import eligibility
from ketaclinic.domain.eligibility.medications import DRUG_CLASSES


def test_every_vocabulary_code_has_a_label_that_is_not_the_code() -> None:
    codes = [
        *eligibility.INDICATIONS,
        *eligibility.ROUTES,
        *eligibility.CONDITIONS,
        *(rule.code for rule in eligibility.RULES),
        *DRUG_CLASSES,
    ]
    for code in codes:
        words = eligibility.label(code)
        assert words and "_" not in words and words != code


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("treatment_resistant_depression", "Treatment-resistant depression"),
        ("crps", "Complex regional pain syndrome (CRPS)"),
        ("iv", "IV infusion"),
        ("age_under_18", "Under 18 (adult service)"),
        ("maoi", "MAO inhibitor"),
        ("recent_suicide_attempt", "Suicide attempt within the last 3 months"),
    ],
)
def test_labels_are_the_words_a_clinician_uses(code: str, words: str) -> None:
    assert eligibility.label(code) == words


def test_an_unknown_code_is_refused() -> None:
    with pytest.raises(ValueError, match="not_a_code"):
        eligibility.label("not_a_code")


def test_indications_inside_finding_messages_are_words() -> None:
    candidate = eligibility.Candidate(
        age_years=40,
        sex="female",
        indication="crps",
        route="intranasal_esketamine",
        failed_antidepressant_trials=0,
        systolic_mmhg=120,
        diastolic_mmhg=80,
        conditions=frozenset(),
        medications=frozenset(),
        pregnant=False,
        breastfeeding=False,
    )
    messages = " ".join(finding.message for finding in eligibility.assess(candidate).findings)
    assert "not complex regional pain syndrome (CRPS)" in messages and "crps" not in messages
    fibro = eligibility.assess(
        eligibility.Candidate(
            age_years=40,
            sex="female",
            indication="fibromyalgia",
            route="iv",
            failed_antidepressant_trials=0,
            systolic_mmhg=120,
            diastolic_mmhg=80,
            conditions=frozenset(),
            medications=frozenset(),
            pregnant=False,
            breastfeeding=False,
        )
    )
    assert any("ketamine in fibromyalgia" in finding.message for finding in fibro.findings)
