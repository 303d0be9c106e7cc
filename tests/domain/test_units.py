"""US customary body units: the exact 1959 definitions (1 lb = 0.45359237 kg, 1 in = 2.54 cm)."""

from decimal import Decimal

import pytest

from ketaclinic.domain import units


@pytest.mark.parametrize(
    ("weight_lb", "weight_kg"),
    [("1", "0.5"), ("100", "45.4"), ("150", "68.0"), ("180", "81.6"), ("220.5", "100.0"), ("2.2046", "1.0")],
)
def test_pounds_to_kilograms_by_the_exact_definition(weight_lb: str, weight_kg: str) -> None:
    assert units.kg_from_pounds(Decimal(weight_lb)) == Decimal(weight_kg)


@pytest.mark.parametrize(("weight_kg", "weight_lb"), [("45.359237", "100.0"), ("70", "154.3"), ("81.6", "179.9")])
def test_kilograms_to_pounds(weight_kg: str, weight_lb: str) -> None:
    assert units.pounds_from_kg(Decimal(weight_kg)) == Decimal(weight_lb)


@pytest.mark.parametrize(
    ("feet", "inches", "height_cm"),
    [
        (5, "9", "175.3"),
        (6, "0", "182.9"),
        (5, "14", "188.0"),
        (0, "70", "177.8"),
        (5, "4.5", "163.8"),
        (1, "0", "30.5"),
    ],
)
def test_feet_and_inches_to_centimetres(feet: int, inches: str, height_cm: str) -> None:
    assert units.cm_from_feet_inches(feet, Decimal(inches)) == Decimal(height_cm)


def test_inches_default_to_zero() -> None:
    assert units.cm_from_feet_inches(6) == Decimal("182.9")


@pytest.mark.parametrize(
    ("height_cm", "feet", "inches"),
    [("175.3", 5, "9.0"), ("182.88", 6, "0.0"), ("152.4", 5, "0.0"), ("30.47", 1, "0.0")],
)
def test_centimetres_to_feet_and_inches(height_cm: str, feet: int, inches: str) -> None:
    assert units.feet_inches_from_cm(Decimal(height_cm)) == (feet, Decimal(inches))


@pytest.mark.parametrize(("height_cm", "text"), [("175.3", "5 ft 9 in"), ("182.9", "6 ft 0 in"), ("160", "5 ft 3 in")])
def test_height_as_said_in_the_us(height_cm: str, text: str) -> None:
    assert units.format_feet_inches(Decimal(height_cm)) == text


def test_round_trips_stay_within_the_stored_precision() -> None:
    for lb in range(50, 700, 7):
        kg = units.kg_from_pounds(Decimal(lb))
        assert abs(units.pounds_from_kg(kg) - lb) <= Decimal("0.15")


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: units.kg_from_pounds(Decimal(0)), "weight_lb"),
        (lambda: units.pounds_from_kg(Decimal(-1)), "weight_kg"),
        (lambda: units.cm_from_feet_inches(-1, Decimal(0)), "feet"),
        (lambda: units.cm_from_feet_inches(5, Decimal(-1)), "inches"),
        (lambda: units.cm_from_feet_inches(0, Decimal(0)), "height"),
        (lambda: units.feet_inches_from_cm(Decimal(0)), "height_cm"),
        (lambda: units.format_feet_inches(Decimal(0)), "height_cm"),
    ],
)
def test_impossible_values_are_refused_by_name(call: object, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        call()  # type: ignore[operator]
