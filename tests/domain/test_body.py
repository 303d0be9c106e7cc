"""BMI arithmetic (WHO definition) and the BMI ≥ 30 dosing-weight note (clinical-rules.md §3)."""

from decimal import Decimal

import pytest

from ketaclinic.domain import body


@pytest.mark.parametrize(
    ("weight_kg", "height_cm", "bmi"),
    [("80", "175", "26.1"), ("70", "170", "24.2"), ("120", "180", "37.0"), ("45.5", "152.4", "19.6")],
)
def test_bmi_matches_hand_computed_values(weight_kg: str, height_cm: str, bmi: str) -> None:
    assert body.bmi_kg_per_m2(Decimal(weight_kg), Decimal(height_cm)) == Decimal(bmi)


@pytest.mark.parametrize(("weight_kg", "height_cm", "name"), [("0", "170", "weight_kg"), ("70", "-1", "height_cm")])
def test_non_positive_inputs_are_refused_by_name(weight_kg: str, height_cm: str, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        body.bmi_kg_per_m2(Decimal(weight_kg), Decimal(height_cm))


@pytest.mark.parametrize(("bmi", "suggests"), [("29.9", False), ("30.0", True), ("41.2", True)])
def test_ideal_body_weight_note_from_bmi_30(bmi: str, suggests: bool) -> None:
    assert body.suggests_ideal_body_weight(Decimal(bmi)) is suggests
