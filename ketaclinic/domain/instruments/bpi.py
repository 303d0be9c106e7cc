"""Brief Pain Inventory, short form (Cleeland & Ryan 1994): pain severity and interference, 0–10 each.

Source: shared/knowledge/instruments.md § bpi. ``answers`` has 11 values: the four severity items (worst, least,
average, now; required) then the seven interference items (general activity, mood, walking, work, relations, sleep,
enjoyment; each may be ``None``). ``total`` is the severity mean (a float); ``interference`` is the mean of the
answered interference items, valid only when at least 4 of the 7 are answered (otherwise ``None``). Item text needs
permission from the owner, so items carry short labels and numeric options.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from ._core import Instrument, Item, Score, band_for, numbered_options, required_ints, validate_int_answers

__all__ = ["BANDS", "DEFINITION", "INTERFERENCE_KEYS", "MIN_INTERFERENCE_ANSWERS", "SEVERITY_KEYS", "score"]

#: Bands of the severity mean as (lower bound, name): < 5 mild, 5 to < 7 moderate, ≥ 7 severe (instruments.md § bpi).
BANDS: Final[tuple[tuple[float, str], ...]] = ((0, "mild"), (5, "moderate"), (7, "severe"))
#: The interference mean is valid only with at least this many of the 7 items answered (instruments.md § bpi).
MIN_INTERFERENCE_ANSWERS: Final = 4

SEVERITY_KEYS: Final = (
    ("worst", "Pain at its worst"),
    ("least", "Pain at its least"),
    ("average", "Pain on average"),
    ("now", "Pain right now"),
)
INTERFERENCE_KEYS: Final = (
    ("general_activity", "Interference with general activity"),
    ("mood", "Interference with mood"),
    ("walking", "Interference with walking ability"),
    ("work", "Interference with normal work"),
    ("relations", "Interference with relations with other people"),
    ("sleep", "Interference with sleep"),
    ("enjoyment", "Interference with enjoyment of life"),
)

DEFINITION: Final = Instrument(
    id="bpi",
    name="Brief Pain Inventory, short form (BPI-SF)",
    items=tuple(
        Item(number, key, label, label, numbered_options(0, 10), required=number <= len(SEVERITY_KEYS))
        for number, (key, label) in enumerate(SEVERITY_KEYS + INTERFERENCE_KEYS, start=1)
    ),
    source="Cleeland CS, Ryan KM. Pain assessment: global use of the Brief Pain Inventory. Ann Acad Med Singapore "
    "1994;23(2):129-138.",
    licence_note="Item text needs permission from the owner (MD Anderson): short labels only unless the clinic "
    "supplies its own licensed copy.",
    total_range=(0, 10),
    bands=BANDS,
    subscale_names=("severity", "interference"),
    subscale_codes={"interference": "77565-0"},
)


def score(answers: Sequence[object]) -> Score:
    """Score a BPI short form.

    Returns
    -------
    Score
        ``total`` = ``subscales["severity"]`` = mean of the 4 severity items (float, not rounded); ``band`` from that
        mean; ``subscales["interference"]`` = mean of the answered interference items, or ``None`` when fewer than
        ``MIN_INTERFERENCE_ANSWERS`` are answered.

    Raises
    ------
    InvalidAnswers
        Not exactly 11 answers, a missing severity item, a non-integer or a value outside 0–10.
    """
    values = validate_int_answers(DEFINITION, answers)
    severity = sum(required_ints(values, 4)) / 4
    answered = [value for value in values[4:] if value is not None]
    interference = sum(answered) / len(answered) if len(answered) >= MIN_INTERFERENCE_ANSWERS else None
    subscales = {"severity": severity, "interference": interference}
    return Score("bpi", severity, band_for(severity, BANDS), frozenset(), subscales, answers=values)
