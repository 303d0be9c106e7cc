"""GAD-7 (Spitzer, Kroenke, Williams & Löwe 2006): 7 items, 0–3 each, total 0–21.

Source: shared/knowledge/instruments.md § gad7. Free to reproduce, so the items carry the published text.
The item→LOINC map is kept exactly as in the knowledge file: item 6 (irritable) is 69689-8 and item 7 (afraid) is
69736-7; public code has swapped these two, and a test pins the map.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from ._core import Instrument, Item, Score, band_for, required_ints, validate_int_answers

__all__ = ["BANDS", "DEFINITION", "ITEM_CODES", "score"]

#: Severity bands as (lower bound, name): 0–4 minimal, 5–9 mild, 10–14 moderate, 15–21 severe (Spitzer 2006;
#: instruments.md § gad7).
BANDS: Final[tuple[tuple[float, str], ...]] = ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe"))

#: LOINC code of items 1..7, in item order (instruments.md § gad7; items 6 and 7 are NOT swapped).
ITEM_CODES: Final[tuple[str, ...]] = ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7")

_FREQUENCY: Final = ((0, "Not at all"), (1, "Several days"), (2, "More than half the days"), (3, "Nearly every day"))
_ITEMS: Final = (
    ("nervous", "Nervous, anxious or on edge", "Feeling nervous, anxious, or on edge"),
    ("uncontrolled_worry", "Cannot stop or control worrying", "Not being able to stop or control worrying"),
    ("excessive_worry", "Worrying too much", "Worrying too much about different things"),
    ("trouble_relaxing", "Trouble relaxing", "Trouble relaxing"),
    ("restless", "So restless it is hard to sit still", "Being so restless that it is hard to sit still"),
    ("irritable", "Easily annoyed or irritable", "Becoming easily annoyed or irritable"),
    ("afraid", "Afraid something awful might happen", "Feeling afraid as if something awful might happen"),
)

DEFINITION: Final = Instrument(
    id="gad7",
    name="Generalized Anxiety Disorder-7 (GAD-7)",
    items=tuple(
        Item(number, key, label, text, _FREQUENCY, code)
        for number, ((key, label, text), code) in enumerate(zip(_ITEMS, ITEM_CODES, strict=True), start=1)
    ),
    source="Spitzer RL, Kroenke K, Williams JB, Löwe B. A brief measure for assessing generalized anxiety disorder: "
    "the GAD-7. Arch Intern Med 2006;166(10):1092-1097.",
    licence_note="Free to reproduce (Pfizer; no permission required).",
    total_range=(0, 21),
    bands=BANDS,
    # The knowledge file does not state the recall period; this is the published GAD-7 stem (Spitzer 2006).
    recall_period="last 2 weeks",
    instructions="Over the last 2 weeks, how often have you been bothered by the following problems?",
    loinc_panel="69737-5",
    loinc_total="70274-6",
    unverified_codes=frozenset({"69737-5"}),  # instruments.md: "panel 69737-5 (VERIFY)"
)


def score(answers: Sequence[object]) -> Score:
    """Score a GAD-7: sum of the 7 items.

    Raises
    ------
    InvalidAnswers
        Not exactly 7 answers, a missing item, a non-integer or a value outside 0–3.
    """
    values = validate_int_answers(DEFINITION, answers)
    total = sum(required_ints(values, 7))
    return Score("gad7", total, band_for(total, BANDS), frozenset(), answers=values)
