"""Dose arithmetic and dosing weight: the clinical-rules.md §3 worked example and hand-computed Devine values."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from ketaclinic.domain import dosing
from ketaclinic.domain.dosing import (
    adjusted_body_weight_kg,
    dosing_weight_kg,
    dosing_weights,
    drug_volume_ml,
    ideal_body_weight_kg,
    infusion_rate_mg_per_h,
    pump_rate_ml_per_h,
    weight_based_dose_mg,
)

# --- The worked example (clinical-rules.md §3) ----------------------------------------------------------------------


def test_worked_example_80_kg_at_half_a_mg_per_kg_over_40_min():
    dose = weight_based_dose_mg(Decimal("0.5"), 80)
    assert dose == Decimal("40.0") and str(dose) == "40.0"
    rate = infusion_rate_mg_per_h(dose, 40)
    assert rate == 60 and str(rate) == "60.0"
    volume = drug_volume_ml(dose, 10)
    assert volume == 4 and str(volume) == "4.00"
    pump = pump_rate_ml_per_h(100, 40)
    assert pump == 150 and str(pump) == "150.0"


def test_contract_call_shapes():
    assert dosing.ideal_body_weight_kg(180, "male") == Decimal("75.0")
    assert dosing.adjusted_body_weight_kg(120, 180, "male", factor=0.4) == Decimal("93.0")
    assert dosing.dosing_weight_kg(120, 180, "male", "adjusted") == Decimal("93.0")
    assert dosing.weight_based_dose_mg(0.5, 80, max_mg=None) == 40


# --- Devine ideal body weight ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("height_cm", "sex", "exact_kg", "expected"),
    [
        # male 180 cm = 70.866 in: 50 + 2.3 × 10.866 = 74.99 kg
        (180, "male", 50 + 2.3 * (180 / 2.54 - 60), Decimal("75.0")),
        # female 165 cm = 64.961 in: 45.5 + 2.3 × 4.961 = 56.91 kg
        (165, "female", 45.5 + 2.3 * (165 / 2.54 - 60), Decimal("56.9")),
        # male 170 cm = 66.929 in: 50 + 2.3 × 6.929 = 65.94 kg
        (170, "male", 50 + 2.3 * (170 / 2.54 - 60), Decimal("65.9")),
        # female 190.5 cm = 75 in: 45.5 + 2.3 × 15 = 80.0 kg
        (Decimal("190.5"), "female", 80.0, Decimal("80.0")),
        # exactly 60 in: the base value
        (Decimal("152.4"), "male", 50.0, Decimal("50.0")),
        (Decimal("152.4"), "female", 45.5, Decimal("45.5")),
    ],
)
def test_devine_hand_computed(height_cm, sex, exact_kg, expected):
    result = ideal_body_weight_kg(height_cm, sex)
    assert result == expected
    assert abs(float(result) - exact_kg) <= 0.05


@pytest.mark.parametrize(
    ("height_cm", "sex", "base"), [(152.3, "male", 50), (150, "female", Decimal("45.5")), (100, "male", 50)]
)
def test_below_60_inches_returns_the_base_value(height_cm, sex, base):
    assert ideal_body_weight_kg(height_cm, sex) == base


def test_ideal_weight_is_quantized_to_a_tenth_of_a_kg():
    assert ideal_body_weight_kg(180, "male").as_tuple().exponent == -1


# --- Adjusted body weight and the dosing weight ---------------------------------------------------------------------


def test_adjusted_hand_computed():
    # male 180 cm, 120 kg: 74.992 + 0.4 × (120 − 74.992) = 92.995 kg
    assert adjusted_body_weight_kg(120, 180, "male") == Decimal("93.0")
    # female 165 cm, 100 kg: 56.909 + 0.4 × 43.091 = 74.146 kg
    assert adjusted_body_weight_kg(100, 165, "female") == Decimal("74.1")
    # factor 0.5: 56.909 + 0.5 × 43.091 = 78.455 kg
    assert adjusted_body_weight_kg(100, 165, "female", factor=Decimal("0.5")) == Decimal("78.5")


def test_adjusted_is_total_when_total_is_not_above_ideal():
    assert adjusted_body_weight_kg(60, 180, "male") == Decimal("60.0")


@pytest.mark.parametrize(("factor", "expected"), [(0, Decimal("75.0")), (1, Decimal("120.0"))])
def test_adjusted_factor_bounds(factor, expected):
    assert adjusted_body_weight_kg(120, 180, "male", factor=factor) == expected


@pytest.mark.parametrize("factor", [-0.1, 1.5])
def test_adjusted_factor_out_of_range(factor):
    with pytest.raises(ValueError, match=r"^factor:"):
        adjusted_body_weight_kg(120, 180, "male", factor=factor)


@pytest.mark.parametrize(
    ("weight", "basis", "expected"),
    [
        (120, "total", Decimal("120.0")),
        (120, "ideal", Decimal("75.0")),
        (120, "adjusted", Decimal("93.0")),
        (60, "total", Decimal("60.0")),
        (60, "ideal", Decimal("60.0")),  # TBW < IBW: the dosing weight is TBW
        (60, "adjusted", Decimal("60.0")),
    ],
)
def test_dosing_weight_by_basis(weight, basis, expected):
    assert dosing_weight_kg(weight, 180, "male", basis) == expected


def test_dosing_weights_shows_all_three():
    w = dosing_weights(120, 180, "male", "total")
    assert (w.total_kg, w.ideal_kg, w.adjusted_kg, w.dosing_weight_kg) == (120, 75, 93, 120)
    assert w.bmi_kg_per_m2 == Decimal("37.0")  # 120 / 1.8² = 37.04
    assert w.basis == "total"
    assert w.warnings == ("BMI is 30 or more: Sanacora 2017 suggests dosing on ideal body weight.",)


@pytest.mark.parametrize(("weight", "warned"), [(Decimal("97.2"), True), (Decimal("97.1"), False)])
def test_bmi_30_boundary_on_total_basis(weight, warned):
    # 97.2 / 1.8² = 30.0 exactly
    assert bool(dosing_weights(weight, 180, "female", "total").warnings) is warned


def test_no_bmi_warning_when_already_on_ideal_basis():
    assert dosing_weights(120, 180, "male", "ideal").warnings == ()


def test_short_stature_warns_and_recommends_total_body_weight():
    w = dosing_weights(50, 150, "female", "ideal")
    assert w.ideal_kg == Decimal("45.5")
    assert w.dosing_weight_kg == Decimal("45.5")
    assert len(w.warnings) == 1
    assert "not validated" in w.warnings[0]
    assert "total body weight" in w.warnings[0]


# --- Arithmetic -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mg_per_kg", "weight", "max_mg", "expected"),
    [
        (0.5, 83.3, None, "41.7"),  # 41.65 rounds half up
        (Decimal("0.25"), 70, None, "17.5"),
        (1, 120, 100, "100.0"),
        (1, 90, 100, "90.0"),
        (Decimal("0.1"), Decimal("26.5"), Decimal("2.65"), "2.6"),  # rounding never lifts a dose over its cap
        (Decimal("0.1"), Decimal("26.4"), Decimal("2.65"), "2.6"),
        (0.1, 70, None, "7.0"),  # a float is read through its repr: no 7.000000000000001
    ],
)
def test_weight_based_dose(mg_per_kg, weight, max_mg, expected):
    assert str(weight_based_dose_mg(mg_per_kg, weight, max_mg)) == expected


@pytest.mark.parametrize(
    ("function", "args", "expected"),
    [
        (infusion_rate_mg_per_h, (35, 40), "52.5"),
        (infusion_rate_mg_per_h, (100, 240), "25.0"),
        (infusion_rate_mg_per_h, (Decimal("24.5"), 60), "24.5"),
        (drug_volume_ml, (Decimal("37.5"), 50), "0.75"),
        (drug_volume_ml, (35, 100), "0.35"),
        (drug_volume_ml, (40, 3), "13.33"),
        (pump_rate_ml_per_h, (250, 240), "62.5"),
        (pump_rate_ml_per_h, (100, 30), "200.0"),
    ],
)
def test_arithmetic_hand_computed(function, args, expected):
    assert str(function(*args)) == expected


def test_pump_rate_can_include_the_drug_volume():
    assert pump_rate_ml_per_h(100, 40, added_volume_ml=4) == Decimal("156.0")


# --- Bad input ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: weight_based_dose_mg(0.5, -80), "dosing_weight_kg"),
        (lambda: weight_based_dose_mg(0.5, 0), "dosing_weight_kg"),
        (lambda: weight_based_dose_mg(0.5, 700), "dosing_weight_kg"),
        (lambda: weight_based_dose_mg(-0.5, 80), "mg_per_kg"),
        (lambda: weight_based_dose_mg(0, 80), "mg_per_kg"),
        (lambda: weight_based_dose_mg(0.5, 80, max_mg=0), "max_mg"),
        (lambda: weight_based_dose_mg(math.nan, 80), "mg_per_kg"),
        (lambda: weight_based_dose_mg(math.inf, 80), "mg_per_kg"),
        (lambda: weight_based_dose_mg(Decimal("NaN"), 80), "mg_per_kg"),
        (lambda: weight_based_dose_mg(True, 80), "mg_per_kg"),
        (lambda: weight_based_dose_mg("0.5", 80), "mg_per_kg"),
        (lambda: infusion_rate_mg_per_h(40, 0), "duration_min"),
        (lambda: infusion_rate_mg_per_h(40, -5), "duration_min"),
        (lambda: infusion_rate_mg_per_h(-40, 40), "dose_mg"),
        (lambda: drug_volume_ml(40, 0), "concentration_mg_per_ml"),
        (lambda: pump_rate_ml_per_h(0, 40), "bag_volume_ml"),
        (lambda: pump_rate_ml_per_h(100, 0), "duration_min"),
        (lambda: pump_rate_ml_per_h(100, 40, added_volume_ml=-1), "added_volume_ml"),
        (lambda: ideal_body_weight_kg(180, "other"), "sex"),
        (lambda: ideal_body_weight_kg(180, "Male"), "sex"),
        (lambda: ideal_body_weight_kg(1.8, "male"), "height_cm"),
        (lambda: ideal_body_weight_kg(300, "male"), "height_cm"),
        (lambda: ideal_body_weight_kg(-180, "male"), "height_cm"),
        (lambda: adjusted_body_weight_kg(-1, 180, "male"), "weight_kg"),
        (lambda: dosing_weight_kg(80, 180, "male", "lean"), "basis"),
        (lambda: dosing_weight_kg(80, 180, "female", None), "basis"),
    ],
)
def test_bad_input_raises_naming_the_argument(call, argument):
    with pytest.raises(ValueError, match=f"^{argument}:"):
        call()
