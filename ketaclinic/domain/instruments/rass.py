"""RASS, Richmond Agitation-Sedation Scale (Sessler et al. 2002): one item −5..+4.

Source: shared/knowledge/instruments.md § rass. Each value has its own band name, +4 ``combative`` … −5
``unarousable``; the options carry the same names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from ._core import LICENCE_NOT_STATED, Instrument, Item, Score, band_for, required_ints, validate_int_answers

__all__ = ["BANDS", "DEFINITION", "score"]

#: One band per value as (lower bound, name), −5 to +4 (Sessler 2002; instruments.md § rass).
BANDS: Final[tuple[tuple[float, str], ...]] = (
    (-5, "unarousable"),
    (-4, "deep sedation"),
    (-3, "moderate sedation"),
    (-2, "light sedation"),
    (-1, "drowsy"),
    (0, "alert and calm"),
    (1, "restless"),
    (2, "agitated"),
    (3, "very agitated"),
    (4, "combative"),
)

DEFINITION: Final = Instrument(
    id="rass",
    name="Richmond Agitation-Sedation Scale (RASS)",
    items=(
        Item(
            1,
            "agitation_sedation",
            "Agitation/sedation",
            "Agitation/sedation",
            tuple((int(value), name) for value, name in BANDS),
        ),
    ),
    source="Sessler CN, Gosnell MS, Grap MJ, et al. The Richmond Agitation-Sedation Scale: validity and reliability "
    "in adult intensive care unit patients. Am J Respir Crit Care Med 2002;166(10):1338-1344.",
    licence_note=LICENCE_NOT_STATED,
    total_range=(-5, 4),
    bands=BANDS,
)


def score(answers: Sequence[object]) -> Score:
    """Score one RASS observation: total = the value (−5..+4), band = its name.

    Raises
    ------
    InvalidAnswers
        Not exactly 1 answer, a missing answer, a non-integer or a value outside −5..+4.
    """
    values = validate_int_answers(DEFINITION, answers)
    (total,) = required_ints(values, 1)
    return Score("rass", total, band_for(total, BANDS), frozenset(), answers=values)
