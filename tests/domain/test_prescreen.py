"""The public pre-screen maps plain-language answers onto clinical-rules.md §1–2 and flags; it never rejects."""

from __future__ import annotations

import pytest

from ketaclinic.domain import eligibility
from ketaclinic.domain.prescreen import PREGNANCY_ANSWERS, QUESTIONS, Question, red_flags


def test_every_absolute_condition_is_asked_in_plain_words() -> None:
    absolute_conditions = {
        rule.code for rule in eligibility.RULES if rule.level == "absolute" and rule.code in eligibility.CONDITIONS
    }
    asked = {code for question in QUESTIONS for code in question.conditions}
    assert asked == absolute_conditions
    assert all(question.level == "absolute" for question in QUESTIONS)
    assert all("_" not in question.text for question in QUESTIONS)


def test_no_answers_no_flags() -> None:
    assert red_flags(answered_yes=[], pregnancy="no", age_years=40) == ()
    assert red_flags(answered_yes=[], pregnancy="no", age_years=None) == ()


def test_every_yes_is_a_flag_in_question_order_then_pregnancy_then_age() -> None:
    flags = red_flags(answered_yes=["psychosis", "brain_blood_vessels"], pregnancy="unsure", age_years=17)
    assert [flag.code for flag in flags] == ["brain_blood_vessels", "psychosis", "pregnancy", "age_under_18"]
    assert [flag.level for flag in flags] == ["absolute", "absolute", "relative", "absolute"]
    assert "not sure whether pregnant" in flags[2].message and "Age 17" in flags[3].message


def test_pregnant_yes_and_adult_boundary() -> None:
    flags = red_flags(answered_yes=[], pregnancy="yes", age_years=18)
    assert [(flag.code, flag.message) for flag in flags] == [
        ("pregnancy", "Said pregnant: ketamine is avoided in pregnancy.")
    ]
    assert set(PREGNANCY_ANSWERS) == {"no", "yes", "unsure"}


def test_the_adult_age_is_the_eligibility_setting() -> None:
    thresholds = eligibility.EligibilityThresholds(adult_age_years=21)
    flags = red_flags(answered_yes=[], pregnancy="no", age_years=20, thresholds=thresholds)
    assert [flag.code for flag in flags] == ["age_under_18"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"answered_yes": ["nope"], "pregnancy": "no"}, "answered_yes: unknown question"),
        ({"answered_yes": [], "pregnancy": "maybe"}, "pregnancy: unknown answer"),
    ],
)
def test_unknown_answers_are_refused(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        red_flags(age_years=30, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("conditions", "level"),
    [
        (("psychotic_disorder_history",), "relative"),
        (("moderate_hepatic_impairment",), "caution"),
        (("moderate_hepatic_impairment", "psychotic_disorder_history"), "relative"),
        (("moderate_hepatic_impairment", "active_psychosis"), "absolute"),
    ],
)
def test_a_question_takes_the_most_serious_level_of_its_conditions(conditions: tuple[str, ...], level: str) -> None:
    assert Question("q", "text", conditions).level == level
