"""Brief Pain Inventory, short form (Cleeland & Ryan 1994): pain severity and interference, 0–10 each.

Source: shared/knowledge/instruments.md § bpi. ``answers`` has 11 values: the four severity items (worst, least,
average, now; required) then the seven interference items (general activity, mood, walking, work, relations, sleep,
enjoyment; each may be ``None``). ``total`` is the severity mean (a float); ``interference`` is the mean of the
answered interference items, valid only when at least 4 of the 7 are answered (otherwise ``None``). Item text needs
permission from the owner, so items carry short labels and numeric options.

The band is read from the **worst-pain** item, not from the severity mean: Serlin et al. derived the mild / moderate /
severe cut points (1–4, 5–6, 7–10) for a single 0–10 rating of worst pain (Serlin RC, Mendoza TR, Nakamura Y, Edwards
KR, Cleeland CS. When is cancer pain mild, moderate or severe? Pain 1995;61(2):277-284). Banding the mean of four
items let a worst pain of 9 read "mild". The severity mean stays a subscale (and the total), without a band.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from ._core import Instrument, Item, Score, band_for, numbered_options, required_ints, validate_int_answers

__all__ = [
    "BANDS",
    "BAND_SOURCE",
    "DEFINITION",
    "INTERFERENCE_KEYS",
    "MIN_INTERFERENCE_ANSWERS",
    "SEVERITY_KEYS",
    "score",
]

#: Bands of the worst-pain item (item 1) as (lower bound, name): 0 none, 1–4 mild, 5–6 moderate, 7–10 severe
#: (Serlin et al., Pain 1995;61:277-284).
BANDS: Final[tuple[tuple[float, str], ...]] = ((0, "none"), (1, "mild"), (5, "moderate"), (7, "severe"))
#: Where the band comes from, for the screen (author/year, never a file name).
BAND_SOURCE: Final = "band of the worst-pain item: Serlin et al., Pain 1995;61:277-284"
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
    "1994;23(2):129-138. Band of the worst-pain item: Serlin RC et al., Pain 1995;61(2):277-284.",
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
        ``total`` = ``subscales["severity"]`` = mean of the 4 severity items (float, not rounded); ``band`` from the
        worst-pain item (Serlin 1995); ``subscales["interference"]`` = mean of the answered interference items, or
        ``None`` when fewer than ``MIN_INTERFERENCE_ANSWERS`` are answered.

    Raises
    ------
    InvalidAnswers
        Not exactly 11 answers, a missing severity item, a non-integer or a value outside 0–10.
    """
    values = validate_int_answers(DEFINITION, answers)
    severity_items = required_ints(values, 4)
    severity = sum(severity_items) / 4
    worst = severity_items[0]
    answered = [value for value in values[4:] if value is not None]
    interference = sum(answered) / len(answered) if len(answered) >= MIN_INTERFERENCE_ANSWERS else None
    subscales = {"severity": severity, "interference": interference}
    return Score("bpi", severity, band_for(worst, BANDS), frozenset(), subscales, answers=values)
