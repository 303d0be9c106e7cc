"""mL is authoritative and exact; mg is derived from the concentration (controlled-substances.md "Data model")."""

from decimal import Decimal

import pytest

from ketaclinic.domain.controlled import quantities as q


@pytest.mark.parametrize(
    ("value", "expected"), [("4", "4.00"), ("0.5", "0.50"), (Decimal("12.25"), "12.25"), (3, "3.00")]
)
def test_exact_ml_keeps_two_decimals(value: object, expected: str) -> None:
    assert q.exact_ml(value) == Decimal(expected)  # type: ignore[arg-type]
    assert str(q.exact_ml(value)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["0.005", "1.234", Decimal("0.001")])
def test_a_volume_finer_than_a_hundredth_of_a_ml_is_refused_not_rounded(value: object) -> None:
    with pytest.raises(q.QuantityError, match=r"more precise than 0\.01 mL"):
        q.exact_ml(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "message"), [("abc", "not a number"), ("NaN", "finite"), ("Infinity", "finite"), ("1e40", "too large")]
)
def test_non_numbers_are_refused_by_name(value: str, message: str) -> None:
    with pytest.raises(q.QuantityError, match=message):
        q.exact_ml(value, name="drawn_ml")


@pytest.mark.parametrize("value", [0.1, True, None])
def test_floats_and_other_types_are_refused(value: object) -> None:
    with pytest.raises(TypeError, match="quantity_ml"):
        q.exact_ml(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ml", "concentration", "mg"),
    [
        ("4.00", "10", "40.00"),  # clinical-rules.md §3 worked example: 40 mg from 10 mg/mL stock is 4 mL
        ("0.20", "140", "28.00"),  # esketamine: 28 mg per 0.2 mL device
        ("0.35", "100", "35.00"),
        ("-1.50", "50", "-75.00"),  # signed like the volume
        ("0.01", "33.333", "0.33"),  # 0.33333 → 0.33
        ("0.03", "33.35", "1.00"),  # 1.0005 mg → 1.00 mg
    ],
)
def test_mg_is_ml_times_concentration_rounded_half_up(ml: str, concentration: str, mg: str) -> None:
    assert q.mg_from_ml(Decimal(ml), Decimal(concentration)) == Decimal(mg)


def test_half_up_rounding_at_the_hundredth_of_a_mg() -> None:
    assert q.mg_from_ml(Decimal("0.01"), Decimal("0.125")) == Decimal("0.00")  # 0.00125
    assert q.mg_from_ml(Decimal("0.01"), Decimal("0.5")) == Decimal("0.01")  # 0.005 → 0.01 (half up)


@pytest.mark.parametrize(
    ("mg", "concentration", "ml"),
    [("40", "10", "4.00"), ("56", "140", "0.40"), ("35", "100", "0.35"), ("1", "3", "0.33")],
)
def test_ml_from_mg(mg: str, concentration: str, ml: str) -> None:
    assert q.ml_from_mg(Decimal(mg), Decimal(concentration)) == Decimal(ml)


@pytest.mark.parametrize("function", [q.mg_from_ml, q.ml_from_mg])
def test_a_concentration_must_be_positive(function: object) -> None:
    with pytest.raises(q.QuantityError, match="concentration_mg_per_ml"):
        function(Decimal("1"), Decimal("0"))  # type: ignore[operator]


def test_format_ml() -> None:
    assert q.format_ml(Decimal("12.5")) == "12.50 mL"
