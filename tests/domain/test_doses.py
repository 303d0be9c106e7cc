"""A dose as typed: an amount and a UCUM unit only when the text is exactly that, nothing guessed."""

from decimal import Decimal

import pytest

from ketaclinic.domain.doses import Dose, parse_dose


@pytest.mark.parametrize(
    ("text", "dose"),
    [
        ("4 mg", Dose(Decimal("4"), "mg")),
        ("0.5mg", Dose(Decimal("0.5"), "mg")),
        (" 12.5 MG ", Dose(Decimal("12.5"), "mg")),
        (".5 mg", Dose(Decimal(".5"), "mg")),
        ("2 milligrams", Dose(Decimal("2"), "mg")),
        ("25 mcg", Dose(Decimal("25"), "ug")),
        ("25 \u00b5g", Dose(Decimal("25"), "ug")),
        ("25 \u03bcg", Dose(Decimal("25"), "ug")),
        ("1 g", Dose(Decimal("1"), "g")),
        ("2 mL", Dose(Decimal("2"), "mL")),
        ("2 ml", Dose(Decimal("2"), "mL")),
    ],
)
def test_an_amount_and_a_known_unit(text: str, dose: Dose) -> None:
    assert parse_dose(text) == dose


@pytest.mark.parametrize(
    "text",
    ["", "mg", "4", "1-2 mg", "0.1 mg/kg", "4 mg x2", "4 mg IV", "4 tablets", "0 mg", "0.0 mg", "four mg", "4_mg"],
)
def test_anything_else_is_left_as_text(text: str) -> None:
    assert parse_dose(text) is None
