"""Numeric pain rating scale, 0–10, one item; total = the value.

Source: shared/knowledge/instruments.md § pain_nrs. The change rules (≥ 30 % moderate, ≥ 50 % substantial
improvement, IMMPACT) live in ``ketaclinic.domain.outcomes``.
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

__all__ = ["BANDS", "DEFINITION", "LOINC", "score"]

#: Bands as (lower bound, name): 0 none, 1–4 mild, 5–6 moderate, 7–10 severe (Serlin RC et al. When is cancer pain
#: mild, moderate or severe? Pain 1995;61:277-284; 4 as the mild/moderate cut point is the most used, Woo A et al.,
#: review 2015). The same cut points band the BPI worst-pain item, so the two scales agree.
BANDS: Final[tuple[tuple[float, str], ...]] = ((0, "none"), (1, "mild"), (5, "moderate"), (7, "severe"))
#: Pain severity 0–10 (instruments.md § pain_nrs); the single item and the total are the same observation.
LOINC: Final = "72514-3"

DEFINITION: Final = Instrument(
    id="pain_nrs",
    name="Numeric pain rating scale (0–10)",
    items=(Item(1, "pain", "Pain intensity", "Pain intensity", numbered_options(0, 10), LOINC),),
    source="Numeric rating scale 0–10; bands: Serlin RC et al., Pain 1995;61(2):277-284; change thresholds: Dworkin "
    "RH et al. (IMMPACT), J Pain 2008;9(2):105-121.",
    licence_note=LICENCE_NOT_STATED,
    total_range=(0, 10),
    bands=BANDS,
    loinc_total=LOINC,
)


def score(answers: Sequence[object]) -> Score:
    """Score a pain NRS: the single value.

    Raises
    ------
    InvalidAnswers
        Not exactly 1 answer, a missing answer, a non-integer or a value outside 0–10.
    """
    values = validate_int_answers(DEFINITION, answers)
    (total,) = required_ints(values, 1)
    return Score("pain_nrs", total, band_for(total, BANDS), frozenset(), answers=values)
