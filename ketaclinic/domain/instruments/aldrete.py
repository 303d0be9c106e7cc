"""Modified Aldrete score (Aldrete 1995): recovery after sedation, 5 items 0–2, total 0–10.

Source: shared/knowledge/instruments.md § aldrete; discharge rule from shared/knowledge/clinical-rules.md §4.
``discharge_ready`` is flagged when the total reaches the discharge threshold: 9 by default, a protocol setting the
caller passes as ``discharge_threshold``. There are no severity bands (``band`` is ``None``). Circulation and oxygen
saturation anchors are the knowledge file's (the circulation anchors use mmHg; sites that use a percentage of the
pre-procedure value configure that on the form). Activity, respiration and consciousness keep the criteria of the
original score, unchanged by the 1995 modification (which replaced colour with SpO2): Aldrete JA, Kroulik D. A
postanesthetic recovery score. Anesth Analg 1970;49(6):924-934, Table 1; Aldrete 1995, Table 1. The nurse scores
each item against its criterion, so the form shows it next to the number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from ._core import (
    DISCHARGE_READY,
    LICENCE_NOT_STATED,
    Instrument,
    Item,
    Score,
    numbered_options,
    required_ints,
    validate_int_answers,
    whole_number_setting,
)

__all__ = ["DEFINITION", "DISCHARGE_THRESHOLD", "score"]

#: Total at or above which the patient is discharge-ready (Aldrete 1995; instruments.md § aldrete;
#: clinical-rules.md §4 "modified Aldrete ≥ 9"). A protocol setting: pass ``discharge_threshold`` to change it.
DISCHARGE_THRESHOLD: Final = 9

DEFINITION: Final = Instrument(
    id="aldrete",
    name="Modified Aldrete score",
    items=(
        Item(
            1,
            "activity",
            "Activity",
            "Activity (moves extremities voluntarily or on command)",
            numbered_options(
                0,
                2,
                {
                    2: "Moves 4 extremities voluntarily or on command",
                    1: "Moves 2 extremities voluntarily or on command",
                    0: "Moves no extremity voluntarily or on command",
                },
            ),
        ),
        Item(
            2,
            "respiration",
            "Respiration",
            "Respiration",
            numbered_options(
                0,
                2,
                {2: "Breathes deeply and coughs freely", 1: "Dyspnoea, shallow or limited breathing", 0: "Apnoeic"},
            ),
        ),
        Item(
            3,
            "circulation",
            "Circulation",
            "Circulation (blood pressure compared with the pre-procedure value)",
            numbered_options(
                0,
                2,
                {
                    2: "BP within ±20 mmHg of pre-procedure",
                    1: "BP ±20–50 mmHg of pre-procedure",
                    0: "BP beyond ±50 mmHg of pre-procedure",
                },
            ),
        ),
        Item(
            4,
            "consciousness",
            "Consciousness",
            "Consciousness",
            numbered_options(0, 2, {2: "Fully awake", 1: "Arousable on calling", 0: "Not responding"}),
        ),
        Item(
            5,
            "oxygen_saturation",
            "Oxygen saturation",
            "Oxygen saturation",
            numbered_options(
                0,
                2,
                {2: "SpO2 > 92 % on room air", 1: "Needs O2 to keep SpO2 > 90 %", 0: "SpO2 < 90 % even with O2"},
            ),
        ),
    ),
    source=(
        "Aldrete JA. The post-anesthesia recovery score revisited. J Clin Anesth 1995;7(1):89-91; "
        "Aldrete JA, Kroulik D. A postanesthetic recovery score. Anesth Analg 1970;49(6):924-934."
    ),
    licence_note=LICENCE_NOT_STATED,
    total_range=(0, 10),
    flag_names=frozenset({DISCHARGE_READY}),
)


def score(answers: Sequence[object], *, discharge_threshold: int = DISCHARGE_THRESHOLD) -> Score:
    """Score a modified Aldrete: sum of 5 items; ``discharge_ready`` when total ≥ ``discharge_threshold``.

    Raises
    ------
    InvalidAnswers
        Not exactly 5 answers, a missing item, a non-integer or a value outside 0–2.
    ValueError
        ``discharge_threshold`` is not a whole number 0–10.
    """
    threshold = whole_number_setting("discharge_threshold", discharge_threshold, 0, 10)
    values = validate_int_answers(DEFINITION, answers)
    total = sum(required_ints(values, 5))
    flags = frozenset({DISCHARGE_READY}) if total >= threshold else frozenset()
    return Score("aldrete", total, None, flags, answers=values)
