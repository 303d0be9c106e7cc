"""PADSS, Post-Anaesthetic Discharge Scoring System (Chung 1995): 5 items 0–2, total 0–10.

Source: shared/knowledge/instruments.md § padss; discharge rule from shared/knowledge/clinical-rules.md §4.
Bleeding does not apply to ketamine sessions: the item is optional and a ``None`` answer scores its default of 2
(the knowledge file: "the form defaults it to 2"). ``discharge_ready`` is flagged when the total reaches the
discharge threshold (9 by default, a protocol setting passed as ``discharge_threshold``). No bands.
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

__all__ = ["BLEEDING_DEFAULT", "DEFINITION", "DISCHARGE_THRESHOLD", "score"]

#: Total at or above which the patient is discharge-ready (Chung 1995; instruments.md § padss; clinical-rules.md §4
#: "PADSS ≥ 9"). A protocol setting: pass ``discharge_threshold`` to change it.
DISCHARGE_THRESHOLD: Final = 9
#: Score used for the bleeding item when it is left ``None`` (not applicable to ketamine; instruments.md § padss).
BLEEDING_DEFAULT: Final = 2

_ZERO_TO_TWO: Final = numbered_options(0, 2)

DEFINITION: Final = Instrument(
    id="padss",
    name="Post-Anaesthetic Discharge Scoring System (PADSS)",
    items=(
        Item(
            1,
            "vital_signs",
            "Vital signs",
            "Vital signs (compared with baseline)",
            numbered_options(
                0, 2, {2: "Within 20 % of baseline", 1: "20–40 % of baseline", 0: "More than 40 % from baseline"}
            ),
        ),
        Item(
            2,
            "activity_mental_status",
            "Activity and mental status",
            "Activity and mental status",
            numbered_options(0, 2),
        ),
        Item(
            3, "pain_nausea_vomiting", "Pain, nausea, vomiting", "Pain, nausea and/or vomiting", numbered_options(0, 2)
        ),
        Item(
            4,
            "bleeding",
            "Surgical bleeding (not applicable: defaults to 2)",
            "Surgical bleeding",
            numbered_options(0, 2),
            required=False,
            default=BLEEDING_DEFAULT,
        ),
        Item(5, "intake_output", "Intake and output", "Intake and output", numbered_options(0, 2)),
    ),
    source="Chung F, Chan VW, Ong D. A post-anesthetic discharge scoring system for home readiness after ambulatory "
    "surgery. J Clin Anesth 1995;7(6):500-506.",
    licence_note=LICENCE_NOT_STATED,
    total_range=(0, 10),
    flag_names=frozenset({DISCHARGE_READY}),
)


def score(answers: Sequence[object], *, discharge_threshold: int = DISCHARGE_THRESHOLD) -> Score:
    """Score a PADSS: sum of 5 items (bleeding ``None`` → 2); ``discharge_ready`` when total ≥ the threshold.

    Raises
    ------
    InvalidAnswers
        Not exactly 5 answers, a missing required item, a non-integer or a value outside 0–2.
    ValueError
        ``discharge_threshold`` is not a whole number 0–10.
    """
    threshold = whole_number_setting("discharge_threshold", discharge_threshold, 0, 10)
    values = validate_int_answers(DEFINITION, answers)
    total = sum(required_ints(values, 5))  # bleeding carries its default, never None
    flags = frozenset({DISCHARGE_READY}) if total >= threshold else frozenset()
    return Score("padss", total, None, flags, answers=values)
