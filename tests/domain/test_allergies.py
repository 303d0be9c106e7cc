"""The allergy check: by ingredient, by drug class (WHO ATC; label cross-sensitivity), by brand name, in free text."""

from __future__ import annotations

import pytest

from ketaclinic.domain import allergies
from ketaclinic.domain.allergies import RecordedAllergy

ONDANSETRON = RecordedAllergy("Ondansetron", "hives", "severe")


def test_the_same_ingredient_matches_and_says_so_in_words() -> None:
    (match,) = allergies.check("ondansetron", [ONDANSETRON])
    assert match.basis == "ingredient"
    assert match.drug == "ondansetron"
    assert match.message == "Recorded allergy: Ondansetron (hives, severe). Ondansetron is that drug."


@pytest.mark.parametrize(
    ("drug", "substance", "class_name"),
    [
        ("granisetron", "ondansetron", "5-HT3 receptor antagonist"),
        ("ondansetron", "5-HT3 antagonists", "5-HT3 receptor antagonist"),
        ("esketamine", "ketamine", "ketamine (arylcyclohexylamine)"),
        ("ketamine", "Spravato", "ketamine (arylcyclohexylamine)"),
        ("midazolam", "lorazepam", "benzodiazepine"),
        ("lorazepam", "Benzodiazepines", "benzodiazepine"),
        ("dexmedetomidine", "clonidine", "alpha-2 adrenergic agonist"),
        ("promethazine", "phenothiazines", "phenothiazine"),
        ("fentanyl", "morphine", "opioid"),
        ("ketorolac", "NSAIDs", "NSAID"),
        ("labetalol", "beta blockers", "beta blocker"),
    ],
)
def test_another_member_of_the_class_or_the_class_by_name_matches(drug: str, substance: str, class_name: str) -> None:
    (match,) = allergies.check(drug, [RecordedAllergy(substance)])
    assert match.basis == "class"
    assert match.drug_class == class_name
    assert "cross-sensitivity" in match.message
    assert "WHO ATC" in match.source


def test_a_brand_name_allergy_matches_the_generic() -> None:
    (match,) = allergies.check("ondansetron", [RecordedAllergy("Zofran", "rash")])
    assert match.basis == "ingredient"
    assert match.message.startswith("Recorded allergy: Zofran (rash).")


def test_free_text_premedication_names_the_drug_among_doses() -> None:
    matches = allergies.check("Ondansetron 4 mg IV 30 min before; glycopyrrolate 0.2 mg", [ONDANSETRON])
    assert [m.drug for m in matches] == ["ondansetron"]


def test_unrelated_drugs_and_allergies_do_not_match() -> None:
    assert allergies.check("midazolam", [ONDANSETRON, RecordedAllergy("penicillin"), RecordedAllergy("latex")]) == ()
    assert allergies.check("ondansetron", [RecordedAllergy("benzoyl peroxide")]) == ()
    assert allergies.check("clonidine", []) == ()


def test_ketamine_is_not_read_inside_esketamine_as_the_same_ingredient() -> None:
    (match,) = allergies.check("esketamine", [RecordedAllergy("ketamine")])
    assert match.basis == "class"


def test_an_unknown_drug_matches_an_allergy_to_the_same_word() -> None:
    (match,) = allergies.check("Droperidol 0.625 mg IV", [RecordedAllergy("droperidol", severity="moderate")])
    assert match.basis == "ingredient"
    assert match.drug == "droperidol"
    assert match.message == "Recorded allergy: droperidol (moderate). Droperidol is that drug."


def test_a_blank_allergy_entry_matches_nothing() -> None:
    assert allergies.check("ondansetron", [RecordedAllergy("  ")]) == ()


def test_every_match_is_listed_once_per_drug_and_allergy() -> None:
    matches = allergies.check(
        "ondansetron and midazolam", [ONDANSETRON, RecordedAllergy("benzodiazepines"), RecordedAllergy("penicillin")]
    )
    assert [(m.drug, m.basis) for m in matches] == [("ondansetron", "ingredient"), ("midazolam", "class")]


def test_ingredients_in_reads_generic_and_brand_names() -> None:
    assert allergies.ingredients_in("Zofran 4 mg, then Versed 2 mg") == ("midazolam", "ondansetron")
    assert allergies.ingredients_in("saline flush") == ()


def test_describe_without_details_is_the_substance() -> None:
    assert allergies.describe(RecordedAllergy(" latex ")) == "latex"
    assert allergies.describe(ONDANSETRON) == "Ondansetron (hives, severe)"


def test_every_rescue_medication_of_the_formulary_has_a_class() -> None:
    # clinical-rules.md §4 "Rescue medications (clinic formulary)".
    for drug in ("ondansetron", "promethazine", "midazolam", "lorazepam", "clonidine", "labetalol"):
        assert any(drug in c.members for c in allergies.CLASSES), drug
