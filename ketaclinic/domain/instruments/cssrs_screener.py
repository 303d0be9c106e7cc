"""C-SSRS screener with triage (Columbia Suicide Severity Rating Scale, screen version; Posner et al. 2011).

Source: shared/knowledge/instruments.md § cssrs_screener. Answers are ``[q1, q2, q3, q4, q5, q6, q6_within_3_months]``,
each ``True`` (yes), ``False`` (no) or ``None`` (skipped). Skip logic is enforced, not guessed: q3–q5 are answered
only when q2 is Yes, and q6_within_3_months only when q6 is Yes; answering a skipped question or leaving a required
one ``None`` is ``InvalidAnswers``. Ints (0/1) are refused: a screener answer is a yes/no, not a score.

Triage is the highest positive item, not a sum; ``total`` (number of Yes answers among q1–q6) is informational.
Item text needs the Columbia licence, so items carry short labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Final

from ._core import SUICIDALITY, Instrument, InvalidAnswers, Item, Problem, Score, collect_answers

__all__ = ["BANDS", "DEFINITION", "RECOMMENDED_ACTIONS", "recommended_action", "score"]

#: Triage bands, least to most urgent (instruments.md § cssrs_screener).
BANDS: Final[tuple[str, ...]] = ("negative", "low", "moderate", "high")

#: What the workflow suggests for each positive band (Columbia triage guidance; instruments.md § cssrs_screener).
#: A negative screen suggests no action.
RECOMMENDED_ACTIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "low": "Behavioural-health referral and crisis resources.",
        "moderate": "Care-team consult and safety plan.",
        "high": "Same-day psychiatric evaluation and safety precautions.",
    }
)

_YES_NO: Final = ((True, "Yes"), (False, "No"))
_ITEMS: Final = (
    ("q1", "Wish to be dead", "Wish to be dead, past month.", True),
    ("q2", "Non-specific active suicidal thoughts", "Non-specific active suicidal thoughts, past month.", True),
    ("q3", "Suicidal thoughts with method", "Suicidal thoughts with method; asked only when item 2 is Yes.", False),
    (
        "q4",
        "Suicidal intent without specific plan",
        "Suicidal intent without specific plan; asked only when item 2 is Yes.",
        False,
    ),
    (
        "q5",
        "Suicidal intent with specific plan",
        "Suicidal intent with specific plan; asked only when item 2 is Yes.",
        False,
    ),
    ("q6", "Suicidal behaviour ever", "Suicidal behaviour, ever.", True),
    (
        "q6_within_3_months",
        "Suicidal behaviour within the past 3 months",
        "Was the suicidal behaviour within the past 3 months? Asked only when item 6 is Yes.",
        False,
    ),
)

DEFINITION: Final = Instrument(
    id="cssrs_screener",
    name="Columbia Suicide Severity Rating Scale, screener with triage (C-SSRS)",
    items=tuple(
        Item(number, key, label, text, _YES_NO, required=required)
        for number, (key, label, text, required) in enumerate(_ITEMS, start=1)
    ),
    source="Posner K, Brown GK, Stanley B, et al. The Columbia-Suicide Severity Rating Scale. Am J Psychiatry "
    "2011;168(12):1266-1277; Columbia Lighthouse Project screener triage guidance.",
    licence_note="Item text needs permission from the Columbia Lighthouse Project: short labels only unless the "
    "clinic supplies its own licensed copy.",
    total_range=(0, 6),
    triage_bands=BANDS,
    recall_period="past month (items 1–5); ever, with a past-3-months follow-up (item 6)",
    band_code="93374-7",  # suicide risk level (instruments.md: "may be coded LOINC 93374-7")
    flag_names=frozenset({SUICIDALITY}),
)

_Q2: Final = 1  # 0-based positions
_FOLLOW_UPS_OF_Q2: Final = (2, 3, 4)
_Q6: Final = 5
_Q6_RECENT: Final = 6


def _conditional_problems(items: tuple[Item, ...], values: Sequence[bool | None]) -> list[Problem]:
    """Skip-logic problems: follow-ups must be answered exactly when their gate question is Yes.

    Only called once every answer passed its own check, so the gates (q2, q6: required) are True or False here.
    """
    problems: list[Problem] = []
    for gate, follow_ups in ((_Q2, _FOLLOW_UPS_OF_Q2), (_Q6, (_Q6_RECENT,))):
        gate_name = f"item {gate + 1}"
        for index in follow_ups:
            if values[gate] and values[index] is None:
                problems.append(Problem(items[index], f"is missing (required when {gate_name} is Yes)"))
            elif not values[gate] and values[index] is not None:
                problems.append(
                    Problem(items[index], f"must be left unanswered (it is skipped) when {gate_name} is No")
                )
    return problems


def _check_yes_no(item: Item, value: object) -> tuple[bool | None, str | None]:
    """One answer must be True, False or None; whether None is allowed is the skip logic's call."""
    if value is not None and not isinstance(value, bool):
        return None, f"must be True (yes), False (no) or None (skipped), got {value!r} ({type(value).__name__})"
    if value is None and item.required:
        return None, "is missing (required)"
    return value, None


def _validate(answers: object) -> tuple[bool | None, ...]:
    values, problems = collect_answers(DEFINITION, answers, _check_yes_no)
    if not problems:
        problems = _conditional_problems(DEFINITION.items, values)
    if problems:
        raise InvalidAnswers(DEFINITION.id, problems)
    return tuple(values)


def _triage(q1: bool, q2: bool, q3: bool, q4: bool, q5: bool, q6: bool, q6_recent: bool) -> str:
    """Highest positive item decides (instruments.md § cssrs_screener)."""
    if q4 or q5 or (q6 and q6_recent):
        return "high"
    if q3 or q6:  # q6 here means behaviour more than 3 months ago
        return "moderate"
    if q1 or q2:
        return "low"
    return "negative"


def score(answers: Sequence[object]) -> Score:
    """Triage a C-SSRS screen.

    Returns
    -------
    Score
        ``band`` is ``high`` (q4 or q5 Yes, or q6 Yes within 3 months), ``moderate`` (q3 Yes, or q6 Yes more than
        3 months ago), ``low`` (only q1 and/or q2 Yes) or ``negative``; ``flags`` has ``suicidality`` unless the
        band is ``negative``; ``total`` counts the Yes answers among q1–q6.

    Raises
    ------
    InvalidAnswers
        Not exactly 7 answers, a value other than True/False/None, a required answer left ``None``, or an answer to
        a question the skip logic skips.
    """
    values = _validate(answers)
    band = _triage(*(value is True for value in values))
    total = sum(1 for value in values[:6] if value is True)
    flags: frozenset[str] = frozenset() if band == "negative" else frozenset({SUICIDALITY})
    return Score("cssrs_screener", total, band, flags, answers=values)


def recommended_action(band: str) -> str | None:
    """Action the workflow suggests for a C-SSRS band; ``None`` for ``negative``.

    Raises
    ------
    ValueError
        ``band`` is not one of ``negative``, ``low``, ``moderate``, ``high``.
    """
    if band not in BANDS:
        raise ValueError(f"unknown C-SSRS band {band!r}; expected one of {', '.join(BANDS)}")
    return RECOMMENDED_ACTIONS.get(band)
