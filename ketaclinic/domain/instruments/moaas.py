"""MOAA/S, Modified Observer's Assessment of Alertness/Sedation (Chernik et al. 1990): one item 0–5.

Source: shared/knowledge/instruments.md § moaas. 5 responds readily to name in a normal tone … 0 no response to a
painful stimulus. Bands: 5 ``alert``, 1–4 ``sedated``, 0 ``unresponsive``. Any drop from the pre-dose value is
sedation and 0 is loss of consciousness (an adverse event); comparing with the pre-dose value is the monitoring
module's job, this module scores one observation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from ._core import (
    LICENCE_NOT_STATED,
    Instrument,
    Item,
    Score,
    band_for,
    numbered_options,
    required_ints,
    validate_int_answers,
)

__all__ = ["BANDS", "DEFINITION", "score"]

#: Bands as (lower bound, name): 0 unresponsive, 1–4 sedated, 5 alert (instruments.md § moaas).
BANDS: Final[tuple[tuple[float, str], ...]] = ((0, "unresponsive"), (1, "sedated"), (5, "alert"))

DEFINITION: Final = Instrument(
    id="moaas",
    name="Modified Observer's Assessment of Alertness/Sedation (MOAA/S)",
    items=(
        Item(
            1,
            "responsiveness",
            "Responsiveness",
            "Responsiveness",
            numbered_options(
                0,
                5,
                {5: "Responds readily to name spoken in normal tone", 0: "No response to painful stimulus"},
            ),
        ),
    ),
    source="Chernik DA, Gillings D, Laine H, et al. Validity and reliability of the Observer's Assessment of "
    "Alertness/Sedation Scale: study with intravenous midazolam. J Clin Psychopharmacol 1990;10(4):244-251.",
    licence_note=LICENCE_NOT_STATED,
    total_range=(0, 5),
    bands=BANDS,
)


def score(answers: Sequence[object]) -> Score:
    """Score one MOAA/S observation: total = the value.

    Raises
    ------
    InvalidAnswers
        Not exactly 1 answer, a missing answer, a non-integer or a value outside 0–5.
    """
    values = validate_int_answers(DEFINITION, answers)
    (total,) = required_ints(values, 1)
    return Score("moaas", total, band_for(total, BANDS), frozenset(), answers=values)
