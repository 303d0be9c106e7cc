"""The public pre-screen: plain-language questions mapped onto the eligibility vocabulary, and the red flags they raise.

A person asking for a consultation answers a few yes/no questions about the absolute contraindications of
clinical-rules.md §2 (in plain words), about pregnancy, and gives a date of birth. ``red_flags(...)`` returns every
answer that a clinician must look at; the level of each flag is the level of its rule in ``eligibility.RULES``.

A red flag never rejects anyone: the request is marked for clinical review, and a clinician decides (issue 5). The
wording of the questions is ours; the mapping to condition codes is clinical-rules.md §1.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from ketaclinic.domain.eligibility import DEFAULT_THRESHOLDS, RULES, EligibilityThresholds, Level

__all__ = ["PREGNANCY_ANSWERS", "QUESTIONS", "Question", "RedFlag", "red_flags"]

_LEVELS: Final = {rule.code: rule.level for rule in RULES}


@dataclass(frozen=True)
class Question:
    """One yes/no pre-screen question; ``conditions`` are the clinical-rules.md §1 codes a Yes may mean."""

    key: str
    text: str
    conditions: tuple[str, ...]

    @property
    def level(self) -> Level:
        """The most serious rule level among the mapped conditions."""
        levels = {_LEVELS[code] for code in self.conditions}
        return "absolute" if "absolute" in levels else "relative" if "relative" in levels else "caution"


QUESTIONS: Final[tuple[Question, ...]] = (
    Question(
        "brain_blood_vessels",
        "An aneurysm, a malformation of blood vessels in the brain (AVM), or bleeding in the brain, now or in the past",
        ("aneurysmal_vascular_disease", "arteriovenous_malformation", "intracerebral_hemorrhage_history"),
    ),
    Question(
        "ketamine_reaction", "An allergic reaction to ketamine or esketamine (Spravato)", ("ketamine_hypersensitivity",)
    ),
    Question("high_blood_pressure", "High blood pressure that is not under control", ("uncontrolled_hypertension",)),
    Question(
        "heart_condition",
        "A heart or circulation condition that is not well controlled",
        ("poorly_controlled_cardiovascular_disease",),
    ),
    Question(
        "psychosis",
        "Right now: hearing or seeing things others do not, or losing touch with reality (psychosis)",
        ("active_psychosis",),
    ),
    Question("liver_disease", "Severe liver disease", ("severe_hepatic_impairment",)),
    Question("preeclampsia", "Pre-eclampsia (dangerously high blood pressure in pregnancy)", ("preeclampsia",)),
)
"""Every absolute condition of clinical-rules.md §2, in plain words (the three brain-vessel codes share one)."""

PREGNANCY_ANSWERS: Final = ("no", "yes", "unsure")
"""Pregnant, or could be: no / yes / not sure (both "yes" and "not sure" are flagged)."""

_BY_KEY: Final = {question.key: question for question in QUESTIONS}


@dataclass(frozen=True)
class RedFlag:
    """An answer a clinician must review: a question key (or ``pregnancy`` / ``age_under_18``), level, message."""

    code: str
    level: Level
    message: str


def red_flags(
    *,
    answered_yes: Collection[str],
    pregnancy: str,
    age_years: int | None,
    thresholds: EligibilityThresholds = DEFAULT_THRESHOLDS,
) -> tuple[RedFlag, ...]:
    """Every red flag in the answers, in question order then pregnancy then age.

    Raises
    ------
    ValueError
        An unknown question key or pregnancy answer (named in the message).
    """
    unknown = sorted(set(answered_yes) - set(_BY_KEY))
    if unknown:
        raise ValueError(f"answered_yes: unknown question(s) {', '.join(map(repr, unknown))}")
    if pregnancy not in PREGNANCY_ANSWERS:
        raise ValueError(f"pregnancy: unknown answer {pregnancy!r}; expected one of {', '.join(PREGNANCY_ANSWERS)}")
    flags = [
        RedFlag(question.key, question.level, f"Answered yes: {question.text}.")
        for question in QUESTIONS
        if question.key in answered_yes
    ]
    if pregnancy != "no":
        said = "pregnant" if pregnancy == "yes" else "not sure whether pregnant"
        flags.append(RedFlag("pregnancy", _LEVELS["pregnancy"], f"Said {said}: ketamine is avoided in pregnancy."))
    if age_years is not None and age_years < thresholds.adult_age_years:
        flags.append(
            RedFlag(
                "age_under_18",
                _LEVELS["age_under_18"],
                f"Age {age_years} from the date of birth given: this is an adult service.",
            )
        )
    return tuple(flags)
