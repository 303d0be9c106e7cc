"""AUDIT-C: the three alcohol-consumption questions of the WHO AUDIT, each 0–4, total 0–12 (a sum).

Sources: Bush K et al., The AUDIT alcohol consumption questions (AUDIT-C), Arch Intern Med 1998;158:1789-1795 (the
three questions and their 0–4 scoring, from the WHO AUDIT: Saunders JB et al., Addiction 1993;88:791-804); the
sex-specific positive screen **≥ 4 for men, ≥ 3 for women** (Bradley KA et al. 2007, as cited in the eligibility
rules' ``alcohol_cns_depression`` row). The item wording and the 0–4 scoring are the published AUDIT's; they are
not yet in the clinic's instrument reference (VERIFY), only the cut-offs are.

No band: a positive screen depends on sex, which the scale does not know; ``positive(total, sex)`` applies the cut-off.
Why it is asked in a home programme: "Careful consideration is advised prior to treatment of individuals with a
history of substance use disorder, including alcohol. Monitoring for signs of abuse and dependence is recommended"
(Spravato prescribing information), and one programme screens "alcohol/tobacco/substance use behavior" monthly (Joyous,
programme practice). No ketamine source mandates AUDIT-C itself: it is the clinic's choice of alcohol screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from ._core import Instrument, Item, Score, required_ints, validate_int_answers

__all__ = ["CUTOFF_FEMALE", "CUTOFF_MALE", "CUTOFF_SOURCE", "DEFINITION", "cutoff_for", "positive", "score"]

#: Positive AUDIT-C screen at or above these totals (Bradley KA et al. 2007).
CUTOFF_MALE: Final = 4
CUTOFF_FEMALE: Final = 3
CUTOFF_SOURCE: Final = "AUDIT-C positive at ≥ 4 for men, ≥ 3 for women (Bradley et al. 2007)"

_ITEMS: Final = (
    (
        "frequency",
        "How often do you have a drink containing alcohol?",
        ("Never", "Monthly or less", "2 to 4 times a month", "2 to 3 times a week", "4 or more times a week"),
    ),
    (
        "typical_quantity",
        "How many drinks containing alcohol do you have on a typical day when you are drinking?",
        ("1 or 2", "3 or 4", "5 or 6", "7 to 9", "10 or more"),
    ),
    (
        "heavy_episodes",
        "How often do you have six or more drinks on one occasion?",
        ("Never", "Less than monthly", "Monthly", "Weekly", "Daily or almost daily"),
    ),
)
_LABELS: Final = ("Drinking frequency", "Drinks on a typical day", "Six or more drinks on one occasion")

DEFINITION: Final = Instrument(
    id="audit_c",
    name="AUDIT-C (alcohol use)",
    items=tuple(
        Item(number, key, label, text, tuple(enumerate(options)))
        for number, ((key, text, options), label) in enumerate(zip(_ITEMS, _LABELS, strict=True), start=1)
    ),
    source="Bush K, Kivlahan DR, McDonell MB, Fihn SD, Bradley KA. The AUDIT alcohol consumption questions "
    "(AUDIT-C). Arch Intern Med 1998;158(16):1789-1795. Cut-offs: Bradley KA et al. 2007.",
    licence_note="Licence not stated in the clinic's reference files (the WHO publishes the AUDIT for use in health "
    "care); the three consumption questions are shown in full — VERIFY before release.",
    total_range=(0, 12),
    recall_period="the past year",
    instructions="These questions are about drinks containing alcohol in the past year.",
)


def score(answers: Sequence[object]) -> Score:
    """Score an AUDIT-C: the sum of the three items (0–12); band ``None`` (see ``positive``).

    Raises
    ------
    InvalidAnswers
        Not exactly 3 answers, a missing item, a non-integer or a value outside 0–4.
    """
    values = validate_int_answers(DEFINITION, answers)
    return Score("audit_c", sum(required_ints(values, 3)), None, frozenset(), answers=values)


def positive(total: int, sex: str | None) -> bool:
    """Whether an AUDIT-C total is a positive screen for this sex assigned at birth (``"male"``/``"female"``).

    For any other value (intersex, unknown) the lower, women's cut-off is used: this software's choice, so that no
    positive screen is missed; the screen says which cut-off was applied (``cutoff_for``).

    Raises
    ------
    ValueError
        ``total`` is not a whole number 0–12.
    """
    if isinstance(total, bool) or not isinstance(total, int) or not 0 <= total <= 12:
        raise ValueError(f"An AUDIT-C total is a whole number 0–12, got {total!r}")
    return total >= cutoff_for(sex)


def cutoff_for(sex: str | None) -> int:
    """The positive-screen cut-off for a sex assigned at birth: 4 for ``"male"``, otherwise 3 (see ``positive``)."""
    return CUTOFF_MALE if sex == "male" else CUTOFF_FEMALE
