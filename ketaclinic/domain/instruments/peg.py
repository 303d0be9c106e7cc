"""PEG-3 (Krebs et al. 2009): pain intensity and interference, 3 items 0–10, total = mean (float).

Source: shared/knowledge/instruments.md § peg. No severity bands: ``band`` is always ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from ._core import LICENCE_NOT_STATED, Instrument, Item, Score, numbered_options, required_ints, validate_int_answers

__all__ = ["DEFINITION", "score"]

_ITEMS: Final = (
    ("pain", "Average pain"),
    ("enjoyment", "Interference with enjoyment of life"),
    ("general_activity", "Interference with general activity"),
)

DEFINITION: Final = Instrument(
    id="peg",
    name="PEG-3 (Pain, Enjoyment of life, General activity)",
    items=tuple(
        Item(number, key, label, label, numbered_options(0, 10)) for number, (key, label) in enumerate(_ITEMS, start=1)
    ),
    source="Krebs EE, Lorenz KA, Bair MJ, et al. Development and initial validation of the PEG, a three-item scale "
    "assessing pain intensity and interference. J Gen Intern Med 2009;24(6):733-738.",
    licence_note=LICENCE_NOT_STATED,
    total_range=(0, 10),
)


def score(answers: Sequence[object]) -> Score:
    """Score a PEG: mean of the three items (float, not rounded); band ``None``.

    Raises
    ------
    InvalidAnswers
        Not exactly 3 answers, a missing item, a non-integer or a value outside 0–10.
    """
    values = validate_int_answers(DEFINITION, answers)
    total = sum(required_ints(values, 3)) / 3
    return Score("peg", total, None, frozenset(), answers=values)
