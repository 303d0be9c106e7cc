"""AUDIT-C: the three alcohol-consumption questions of the WHO AUDIT, scored 0–4 each, total 0–12.

Bush K, Kivlahan DR, McDonell MB, Fihn SD, Bradley KA. The AUDIT alcohol consumption questions (AUDIT-C). Arch Intern
Med 1998;158:1789-1795. Cut-offs for drinking above low risk: ≥ 4 for men, ≥ 3 for women (Bradley KA et al., Alcohol
Clin Exp Res 2007;31:1208-1217); they are :class:`~ketaclinic.domain.eligibility.rules.EligibilityThresholds` fields.
The questions and answers are the WHO AUDIT's (public domain), so intake forms show them as published.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

__all__ = ["AUDIT_C_MAX", "AUDIT_C_QUESTIONS", "audit_c_total"]

AUDIT_C_QUESTIONS: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    (
        "frequency",
        "How often do you have a drink containing alcohol?",
        ("Never", "Monthly or less", "2–4 times a month", "2–3 times a week", "4 or more times a week"),
    ),
    (
        "typical_quantity",
        "How many standard drinks containing alcohol do you have on a typical day?",
        ("1 or 2", "3 or 4", "5 or 6", "7 to 9", "10 or more"),
    ),
    (
        "binge_frequency",
        "How often do you have six or more drinks on one occasion?",
        ("Never", "Less than monthly", "Monthly", "Weekly", "Daily or almost daily"),
    ),
)
"""(key, question, answers scored 0..4 in order), in the published order."""

AUDIT_C_MAX: Final = 12


def audit_c_total(answers: Sequence[int | None]) -> int | None:
    """Sum of the three answers (each 0–4); ``None`` unless all three are answered (a partial AUDIT-C is not scored).

    Raises ``ValueError`` for a wrong count or an answer outside 0–4.
    """
    if len(answers) != len(AUDIT_C_QUESTIONS):
        raise ValueError(f"AUDIT-C has {len(AUDIT_C_QUESTIONS)} questions, got {len(answers)} answers")
    for number, value in enumerate(answers, start=1):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 4):
            raise ValueError(f"AUDIT-C question {number}: {value!r} is not an answer score 0–4")
    if any(value is None for value in answers):
        return None
    return sum(value for value in answers if value is not None)
