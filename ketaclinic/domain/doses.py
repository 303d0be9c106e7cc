"""A dose as the nurse typed it ("4 mg", "0.5mg", "25 mcg", "2 mL"), read as an amount and a unit where it is exactly
that, and nothing otherwise.

Rescue medications keep their dose as free text (``infusions.models.RescueMedication``: the knowledge file marks rescue
doses VERIFY, so the chart suggests none). Interoperability wants a quantity with a UCUM unit when there is one; this
reads only an unambiguous "number unit" and gives up on anything else (a range "1-2 mg", a weight-based "0.1 mg/kg",
"4 mg x2", a unit it does not know), so the text is never guessed at: the caller keeps the text as entered either way.

The units are the Unified Code for Units of Measure's case-sensitive codes (https://ucum.org/ucum, "c/s" column):
``mg``, ``ug`` (microgram: "mcg" and "µg" are what people write), ``g``, ``mL``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final, NamedTuple

__all__ = ["Dose", "parse_dose"]

#: What people write → the UCUM code.
UNITS: Final = {
    "mg": "mg",
    "milligram": "mg",
    "milligrams": "mg",
    "mcg": "ug",
    "ug": "ug",
    "µg": "ug",  # MICRO SIGN (U+00B5)
    "μg": "ug",  # GREEK SMALL LETTER MU (U+03BC), which some keyboards insert
    "microgram": "ug",
    "micrograms": "ug",
    "g": "g",
    "gram": "g",
    "grams": "g",
    "ml": "mL",
    "milliliter": "mL",
    "milliliters": "mL",
    "millilitre": "mL",
    "millilitres": "mL",
}
_DOSE: Final = re.compile(r"(\d+(?:\.\d+)?|\.\d+)\s*([^\W\d_]+)")


class Dose(NamedTuple):
    value: Decimal
    #: A UCUM code (``mg``, ``ug``, ``g``, ``mL``).
    unit: str


def parse_dose(text: str) -> Dose | None:
    """``"4 mg"`` → ``Dose(Decimal("4"), "mg")``; None unless the whole text is one positive amount and a known unit."""
    found = _DOSE.fullmatch(text.strip())
    if found is None:
        return None
    amount, unit = found.groups()
    code = UNITS.get(unit.lower())
    value = Decimal(amount)
    if code is None or value <= 0:
        return None
    return Dose(value, code)
