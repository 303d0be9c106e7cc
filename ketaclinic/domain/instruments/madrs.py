"""MADRS (Montgomery & Åsberg 1979): clinician-rated, 10 items, 0–6 each, total 0–60.

Source: shared/knowledge/instruments.md § madrs. Item text and anchor wording need the owner's permission, so items
carry short labels and numeric options; a clinic with a licensed copy supplies the wording. Item 10 (suicidal
thoughts) ≥ 4 flags ``suicidality``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from ._core import SUICIDALITY, Instrument, Item, Score, band_for, numbered_options, required_ints, validate_int_answers

__all__ = ["BANDS", "DEFINITION", "SUICIDALITY_ITEM", "SUICIDALITY_MIN_ANSWER", "score"]

#: Severity bands by convention as (lower bound, name): 0–6 normal, 7–19 mild, 20–34 moderate, 35–60 severe
#: (instruments.md § madrs).
BANDS: Final[tuple[tuple[float, str], ...]] = ((0, "normal"), (7, "mild"), (20, "moderate"), (35, "severe"))
#: Item 10 (suicidal thoughts) at or above this rating flags suicidality (instruments.md § madrs).
SUICIDALITY_ITEM: Final = 10
SUICIDALITY_MIN_ANSWER: Final = 4

_LABELS: Final = (
    ("apparent_sadness", "Apparent sadness"),
    ("reported_sadness", "Reported sadness"),
    ("inner_tension", "Inner tension"),
    ("reduced_sleep", "Reduced sleep"),
    ("reduced_appetite", "Reduced appetite"),
    ("concentration_difficulties", "Concentration difficulties"),
    ("lassitude", "Lassitude"),
    ("inability_to_feel", "Inability to feel"),
    ("pessimistic_thoughts", "Pessimistic thoughts"),
    ("suicidal_thoughts", "Suicidal thoughts"),
)

DEFINITION: Final = Instrument(
    id="madrs",
    name="Montgomery–Åsberg Depression Rating Scale (MADRS)",
    items=tuple(
        Item(number, key, label, label, numbered_options(0, 6)) for number, (key, label) in enumerate(_LABELS, start=1)
    ),
    source="Montgomery SA, Åsberg M. A new depression scale designed to be sensitive to change. "
    "Br J Psychiatry 1979;134:382-389.",
    licence_note="Clinician-rated. Reproducing item text needs the owner's permission: short labels only unless the "
    "clinic supplies its own licensed copy.",
    total_range=(0, 60),
    bands=BANDS,
    flag_names=frozenset({SUICIDALITY}),
)


def score(answers: Sequence[object]) -> Score:
    """Score a MADRS: sum of the 10 clinician ratings.

    Raises
    ------
    InvalidAnswers
        Not exactly 10 answers, a missing item, a non-integer or a value outside 0–6.
    """
    values = validate_int_answers(DEFINITION, answers)
    items = required_ints(values, 10)
    total = sum(items)
    flags = {SUICIDALITY} if items[SUICIDALITY_ITEM - 1] >= SUICIDALITY_MIN_ANSWER else set()
    return Score("madrs", total, band_for(total, BANDS), frozenset(flags), answers=values)
