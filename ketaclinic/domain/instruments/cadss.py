"""CADSS, 23 subjective items (Bremner et al. 1998), 0–4 each, total 0–92: dissociation during a session.

Source: shared/knowledge/instruments.md § cadss; subscale map from the Janssen esketamine trial analysis plan.
There is no validated severity cut-off, so ``band`` is always ``None``: record the change from the pre-dose score
(about 40 and 90 minutes after dosing). Item text needs permission, so items carry numbered labels naming their
subscale, and options are the bare numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Final

from ._core import Instrument, Item, Score, numbered_options, required_ints, validate_int_answers

__all__ = ["DEFINITION", "SUBSCALES", "score"]

#: Subscale → 1-based items; each subscale is the sum of its items (instruments.md § cadss).
SUBSCALES: Final[Mapping[str, tuple[int, ...]]] = MappingProxyType(
    {
        "depersonalization": (3, 4, 5, 6, 7, 20, 23),
        "derealization": (1, 2, 8, 9, 10, 11, 12, 13, 16, 17, 18, 19, 21),
        "amnesia": (14, 15, 22),
    }
)

_SUBSCALE_OF: Final = {number: name for name, numbers in SUBSCALES.items() for number in numbers}

DEFINITION: Final = Instrument(
    id="cadss",
    name="Clinician-Administered Dissociative States Scale (CADSS), 23 subjective items",
    items=tuple(
        Item(
            number,
            f"item_{number}",
            f"CADSS item {number}, {_SUBSCALE_OF[number]}",
            f"CADSS item {number}, {_SUBSCALE_OF[number]}",
            numbered_options(0, 4),
        )
        for number in range(1, 24)
    ),
    source="Bremner JD, Krystal JH, Putnam FW, et al. Measurement of dissociative states with the Clinician-"
    "Administered Dissociative States Scale (CADSS). J Trauma Stress 1998;11(1):125-136; subscales per the Janssen "
    "esketamine trial statistical analysis plan.",
    licence_note="Item text needs the owner's permission: numbered labels only unless the clinic supplies its own "
    "licensed copy.",
    total_range=(0, 92),
    subscale_names=tuple(SUBSCALES),
)


def score(answers: Sequence[object]) -> Score:
    """Score a CADSS: total = sum of 23 items; subscales are the sums of their items; band ``None``.

    Raises
    ------
    InvalidAnswers
        Not exactly 23 answers, a missing item, a non-integer or a value outside 0–4.
    """
    values = validate_int_answers(DEFINITION, answers)
    items = required_ints(values, 23)
    subscales = {name: sum(items[number - 1] for number in numbers) for name, numbers in SUBSCALES.items()}
    return Score("cadss", sum(items), None, frozenset(), subscales, answers=values)
