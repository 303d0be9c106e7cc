"""Monitoring: shared/knowledge/clinical-rules.md §4 alert table, esketamine R1-R3, cadence and discharge."""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal

import pytest

from ketaclinic.domain import monitoring, protocols
from ketaclinic.domain.monitoring import (
    AlertThresholds,
    Cadence,
    ImplausibleVitals,
    VitalSigns,
    cadence_for,
    check_vitals,
    discharge_readiness,
    esketamine_predose_check,
    is_overdue,
    next_reading_due_min,
)


def alerts(**values: float) -> dict[str, str]:
    """code -> level for one reading."""
    return {a.code: a.level for a in check_vitals(VitalSigns(**values))}


# --- Plausibility ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("systolic_mmhg", 400),
        ("systolic_mmhg", -1),
        ("diastolic_mmhg", 250),
        ("spo2_percent", 120),
        ("spo2_percent", 101),
        ("heart_rate_per_min", 0),
        ("heart_rate_per_min", 400),
        ("respiratory_rate_per_min", 81),
        ("respiratory_rate_per_min", -1),
        ("temperature_c", 24.9),
        ("temperature_c", 45.1),
        ("moaas", 6),
        ("moaas", 2.5),
        ("rass", -6),
        ("rass", True),
        ("heart_rate_per_min", math.inf),
        ("heart_rate_per_min", "80"),
        ("spo2_percent", True),
    ],
)
def test_impossible_vitals_raise_naming_the_field_not_an_alert(field, value):
    with pytest.raises(ImplausibleVitals) as info:
        VitalSigns(**{field: value})
    assert info.value.field == field
    assert info.value.value == value
    assert str(info.value).startswith(f"{field}:")
    assert isinstance(info.value, ValueError)


def test_diastolic_at_or_above_systolic_is_implausible():
    with pytest.raises(ImplausibleVitals, match=r"^diastolic_mmhg:"):
        VitalSigns(systolic_mmhg=120, diastolic_mmhg=120)


@pytest.mark.parametrize(
    "values",
    [
        {"respiratory_rate_per_min": 0},
        {"respiratory_rate_per_min": 80},
        {"temperature_c": 25},
        {"temperature_c": 45},
        {"spo2_percent": 50},
        {"spo2_percent": 100},
        {"heart_rate_per_min": 20},
        {"heart_rate_per_min": 300},
        {"systolic_mmhg": 300, "diastolic_mmhg": 200},
        {"systolic_mmhg": Decimal("121.5")},
        {"moaas": 0, "rass": 4},
    ],
)
def test_plausibility_bounds_are_inclusive(values):
    VitalSigns(**values)


def test_vital_signs_and_alerts_are_frozen():
    reading = VitalSigns(systolic_mmhg=190)
    with pytest.raises(dataclasses.FrozenInstanceError):
        reading.systolic_mmhg = 120  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        check_vitals(reading)[0].level = "alert"  # type: ignore[misc]


# --- The alert table ------------------------------------------------------------------------------------------------


def test_a_normal_reading_has_no_alert():
    assert (
        check_vitals(
            VitalSigns(
                systolic_mmhg=130,
                diastolic_mmhg=80,
                heart_rate_per_min=80,
                spo2_percent=98,
                respiratory_rate_per_min=14,
                temperature_c=36.8,
                moaas=5,
                rass=0,
            )
        )
        == ()
    )


def test_an_empty_reading_has_no_alert():
    assert check_vitals(VitalSigns()) == ()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"systolic_mmhg": 179}, {}),
        ({"systolic_mmhg": 180}, {"systolic_high": "stop"}),
        ({"systolic_mmhg": 181}, {"systolic_high": "stop"}),
        ({"systolic_mmhg": 90}, {}),
        ({"systolic_mmhg": 89}, {"systolic_low": "alert"}),
        ({"systolic_mmhg": 150, "diastolic_mmhg": 109}, {}),
        ({"systolic_mmhg": 150, "diastolic_mmhg": 110}, {"diastolic_high": "stop"}),
        ({"diastolic_mmhg": 110}, {"diastolic_high": "stop"}),
        ({"heart_rate_per_min": 120}, {}),
        ({"heart_rate_per_min": 121}, {"heart_rate_high": "alert"}),
        ({"heart_rate_per_min": 150}, {"heart_rate_high": "alert"}),
        ({"heart_rate_per_min": 151}, {"heart_rate_high": "stop"}),
        ({"heart_rate_per_min": 50}, {}),
        ({"heart_rate_per_min": 49}, {"heart_rate_low": "stop"}),
        ({"spo2_percent": 92}, {}),
        ({"spo2_percent": 91}, {"spo2_low": "alert"}),
        ({"spo2_percent": 90}, {"spo2_low": "alert"}),
        ({"spo2_percent": 89}, {"spo2_low": "stop"}),
        ({"respiratory_rate_per_min": 10}, {}),
        ({"respiratory_rate_per_min": 9}, {"respiratory_rate_low": "stop"}),
        ({"respiratory_rate_per_min": 0}, {"respiratory_rate_low": "stop"}),
        ({"respiratory_rate_per_min": 25}, {}),
        ({"respiratory_rate_per_min": 26}, {"respiratory_rate_high": "alert"}),
        ({"respiratory_rate_per_min": 30}, {"respiratory_rate_high": "alert"}),
        ({"respiratory_rate_per_min": 31}, {"respiratory_rate_high": "stop"}),
        ({"moaas": 1}, {}),
        ({"moaas": 0}, {"moaas_sedation": "stop"}),
        ({"rass": -2}, {}),
        ({"rass": -3}, {"rass_sedation": "stop"}),
        ({"rass": 4}, {}),
        ({"temperature_c": 39.5}, {}),
    ],
)
def test_alert_table_boundaries(values, expected):
    assert alerts(**values) == expected


def test_one_alert_per_code_and_every_parameter_reported_in_table_order():
    result = check_vitals(
        VitalSigns(
            systolic_mmhg=200,
            diastolic_mmhg=115,
            heart_rate_per_min=160,
            spo2_percent=85,
            respiratory_rate_per_min=8,
            moaas=0,
            rass=-4,
        )
    )
    assert [a.code for a in result] == [
        "systolic_high",
        "diastolic_high",
        "heart_rate_high",
        "spo2_low",
        "respiratory_rate_low",
        "moaas_sedation",
        "rass_sedation",
    ]
    assert {a.level for a in result} == {"stop"}


def test_alert_carries_parameter_value_threshold_message_action_and_source():
    (alert,) = check_vitals(VitalSigns(systolic_mmhg=184, diastolic_mmhg=90))
    assert alert.parameter == "systolic_mmhg"
    assert alert.value == 184
    assert alert.threshold == 180
    assert alert.message == "Systolic BP 184 mmHg is at or above 180 mmHg (stop and evaluate)."
    assert alert.action.startswith("Stop the infusion")
    assert "Sanacora" in alert.source and "Spravato" not in alert.source  # racemic by default: the consensus
    assert alert.acknowledgement_required is False
    (esk,) = check_vitals(VitalSigns(systolic_mmhg=184, diastolic_mmhg=90), esketamine=True)
    assert "Spravato" in esk.source and "R3" in esk.source and ".md" not in esk.source


def test_alert_level_action_differs_from_stop():
    (alert,) = check_vitals(VitalSigns(heart_rate_per_min=130))
    assert alert.level == "alert"
    assert alert.action.startswith("Repeat the reading")
    assert alert.message == "Heart rate 130/min is above 120/min (alert)."


def test_loss_of_consciousness_message():
    (alert,) = check_vitals(VitalSigns(moaas=0))
    assert "loss of consciousness" in alert.message


# --- Baseline rules: rise and sedation drop -------------------------------------------------------------------------

BASE = VitalSigns(systolic_mmhg=120, diastolic_mmhg=75, moaas=5)


@pytest.mark.parametrize(
    ("reading", "expected"),
    [
        (VitalSigns(systolic_mmhg=159, diastolic_mmhg=99), set()),
        (VitalSigns(systolic_mmhg=160, diastolic_mmhg=99), {"systolic_rise"}),
        (VitalSigns(systolic_mmhg=150, diastolic_mmhg=100), {"diastolic_rise"}),
        (VitalSigns(systolic_mmhg=165, diastolic_mmhg=100), {"systolic_rise", "diastolic_rise"}),
    ],
)
def test_bp_rise_from_pre_dose_r2(reading, expected):
    assert {a.code for a in check_vitals(reading, baseline=BASE)} == expected


def test_rise_alert_values_are_the_rise():
    (alert,) = check_vitals(VitalSigns(systolic_mmhg=162), baseline=BASE)
    assert (alert.value, alert.threshold, alert.level) == (42, 40, "alert")
    assert "risen 42 mmHg from the pre-dose 120 to 162 mmHg" in alert.message
    assert "esketamine" not in (alert.source + alert.action).lower()
    (esk,) = check_vitals(VitalSigns(systolic_mmhg=162), baseline=BASE, esketamine=True)
    assert "Spravato" in esk.source and "reportable for esketamine" in esk.action


def test_rise_needs_both_readings():
    assert check_vitals(VitalSigns(systolic_mmhg=170), baseline=VitalSigns(heart_rate_per_min=70)) == ()


def test_rise_and_stop_are_both_reported():
    codes = [a.code for a in check_vitals(VitalSigns(systolic_mmhg=185, diastolic_mmhg=90), baseline=BASE)]
    assert codes == ["systolic_high", "systolic_rise"]


@pytest.mark.parametrize(("moaas", "expected"), [(5, None), (4, "alert"), (1, "alert"), (0, "stop")])
def test_moaas_drop_is_sedation_and_zero_is_a_stop(moaas, expected):
    result = {a.code: a.level for a in check_vitals(VitalSigns(moaas=moaas), baseline=BASE)}
    assert result.get("moaas_sedation") == expected
    assert len(result) == (0 if expected is None else 1)


def test_moaas_drop_needs_a_pre_dose_moaas():
    assert check_vitals(VitalSigns(moaas=3), baseline=VitalSigns(systolic_mmhg=120)) == ()


def test_clinic_thresholds_replace_the_defaults():
    clinic = AlertThresholds(systolic_stop_at_or_above_mmhg=200, spo2_alert_below_percent=94)
    assert {a.code: a.level for a in check_vitals(VitalSigns(systolic_mmhg=190), thresholds=clinic)} == {
        "systolic_high": "alert"
    }
    assert {a.code for a in check_vitals(VitalSigns(spo2_percent=93), thresholds=clinic)} == {"spo2_low"}


def test_default_thresholds_are_the_cited_values():
    t = AlertThresholds()
    assert (t.systolic_stop_at_or_above_mmhg, t.diastolic_stop_at_or_above_mmhg) == (180, 110)
    assert (t.systolic_rise_alert_mmhg, t.diastolic_rise_alert_mmhg) == (40, 25)
    assert (t.heart_rate_alert_above_per_min, t.heart_rate_stop_above_per_min) == (120, 150)
    assert (t.spo2_alert_below_percent, t.spo2_stop_below_percent) == (92, 90)
    assert (t.respiratory_rate_alert_above_per_min, t.respiratory_rate_stop_above_per_min) == (25, 30)
    assert (t.moaas_stop_at_or_below, t.rass_stop_at_or_below) == (0, -3)
    assert (t.esketamine_predose_systolic_above_mmhg, t.esketamine_predose_diastolic_above_mmhg) == (140, 90)


@pytest.mark.parametrize("bad", [None, "180", True, math.nan])
def test_thresholds_must_be_numbers(bad):
    with pytest.raises(ValueError, match=r"^systolic_stop_at_or_above_mmhg:"):
        AlertThresholds(systolic_stop_at_or_above_mmhg=bad)


# --- Esketamine R1 --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sbp", "dbp", "parameter"),
    [(140, 90, None), (141, 90, "systolic_mmhg"), (140, 91, "diastolic_mmhg"), (150, 95, "systolic_mmhg")],
)
def test_r1_pre_dose_above_140_90_needs_acknowledgement(sbp, dbp, parameter):
    result = esketamine_predose_check(VitalSigns(systolic_mmhg=sbp, diastolic_mmhg=dbp))
    if parameter is None:
        assert result == ()
        return
    (alert,) = result
    assert alert.code == "esketamine_predose_bp_high"
    assert alert.level == "alert"
    assert alert.parameter == parameter
    assert alert.acknowledgement_required is True
    assert f"{sbp}/{dbp} mmHg" in alert.message
    assert "Spravato (esketamine) US prescribing information §2" in alert.source


@pytest.mark.parametrize(
    ("reading", "field"),
    [(VitalSigns(diastolic_mmhg=80), "systolic_mmhg"), (VitalSigns(systolic_mmhg=130), "diastolic_mmhg")],
)
def test_r1_requires_a_pre_dose_blood_pressure(reading, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        esketamine_predose_check(reading)


def test_r3_stop_for_esketamine_is_the_table_stop():
    assert alerts(systolic_mmhg=150, diastolic_mmhg=110) == {"diastolic_high": "stop"}


# --- Cadence --------------------------------------------------------------------------------------------------------

IV = cadence_for(protocols.get("depression_iv"))
ESK = cadence_for(protocols.get("esketamine"))
IM = cadence_for(protocols.get("depression_im"))


def test_cadence_comes_from_the_protocol_files():
    assert Cadence(during_infusion_every_min=10, after_infusion_every_min=15, checkpoints_min=()) == IV
    assert Cadence(during_infusion_every_min=None, after_infusion_every_min=None, checkpoints_min=(0, 40)) == ESK
    assert Cadence(during_infusion_every_min=None, after_infusion_every_min=15, checkpoints_min=()) == IM


@pytest.mark.parametrize(
    ("last", "due"),
    [(None, 0.0), (-3, 7.0), (0, 10.0), (30, 40.0), (35, 45.0), (40, 55.0), (55, 70.0)],
)
def test_iv_every_10_min_during_then_every_15(last, due):
    assert next_reading_due_min(IV, last_reading_min=last, infusion_end_min=40) == due


def test_iv_cadence_needs_the_infusion_end():
    with pytest.raises(ValueError, match=r"^infusion_end_min:"):
        next_reading_due_min(IV, last_reading_min=5)


def test_iv_infusion_end_must_be_a_number():
    with pytest.raises(ValueError, match=r"^infusion_end_min:"):
        next_reading_due_min(IV, last_reading_min=5, infusion_end_min=math.nan)


@pytest.mark.parametrize(("last", "due"), [(None, 0.0), (-5, 40.0), (0, 40.0), (38, 40.0), (40, None), (90, None)])
def test_esketamine_before_dosing_then_40_min_then_as_indicated(last, due):
    assert next_reading_due_min(ESK, last_reading_min=last) == due


def test_non_infused_routes_use_the_after_interval_from_dosing():
    assert next_reading_due_min(IM, last_reading_min=0) == 15.0


def test_during_only_cadence_has_nothing_due_after_the_infusion():
    cadence = Cadence(during_infusion_every_min=10, after_infusion_every_min=None)
    assert next_reading_due_min(cadence, last_reading_min=45, infusion_end_min=40) is None


def test_checkpoints_and_intervals_combine_to_the_earliest():
    cadence = Cadence(during_infusion_every_min=None, after_infusion_every_min=30, checkpoints_min=(0, 40))
    assert next_reading_due_min(cadence, last_reading_min=0) == 30.0
    assert next_reading_due_min(cadence, last_reading_min=30) == 40.0


@pytest.mark.parametrize(
    ("now", "last", "grace", "overdue"),
    [(10, 0, 0, False), (10.5, 0, 0, True), (11, 0, 2, False), (12.5, 0, 2, True), (0.1, None, 0, True)],
)
def test_overdue(now, last, grace, overdue):
    assert is_overdue(IV, now_min=now, last_reading_min=last, infusion_end_min=40, grace_min=grace) is overdue


def test_nothing_due_is_never_overdue():
    assert is_overdue(ESK, now_min=500, last_reading_min=45) is False


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"now_min": "soon", "last_reading_min": 0}, "now_min"),
        ({"now_min": 5, "last_reading_min": 0, "grace_min": -1}, "grace_min"),
        ({"now_min": 5, "last_reading_min": 0, "grace_min": None}, "grace_min"),
        ({"now_min": 5, "last_reading_min": math.nan}, "last_reading_min"),
    ],
)
def test_overdue_validates_minutes(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        is_overdue(ESK, **kwargs)


# --- Discharge ------------------------------------------------------------------------------------------------------


def bp(sbp: float, dbp: float) -> VitalSigns:
    return VitalSigns(systolic_mmhg=sbp, diastolic_mmhg=dbp)


def ready_esketamine(**changes: object) -> monitoring.DischargeReadiness:
    kwargs: dict[str, object] = {
        "aldrete_total": 10,
        "esketamine": True,
        "minutes_since_dosing": 125,
        "bp_readings": (bp(125, 80), bp(150, 92), bp(138, 85), bp(130, 82)),
        "sedation": False,
        "dissociation": False,
        "respiratory_depression": False,
    }
    kwargs.update(changes)
    return discharge_readiness(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("aldrete", "padss", "ready"),
    [(9, None, True), (8, None, False), (None, 9, True), (None, 8, False), (8, 9, True), (10, 3, True)],
)
def test_aldrete_or_padss_of_9(aldrete, padss, ready):
    result = discharge_readiness(aldrete_total=aldrete, padss_total=padss)
    assert result.ready is ready
    assert (result.unmet == ()) is ready


def test_scores_below_threshold_are_named():
    result = discharge_readiness(aldrete_total=7, padss_total=8)
    assert result.unmet == ("Modified Aldrete 7 and PADSS 8: below the discharge score of 9.",)


def test_no_score_is_an_unmet_criterion():
    result = discharge_readiness()
    assert not result.ready
    assert "No modified Aldrete or PADSS score" in result.unmet[0]


def test_threshold_is_a_parameter_with_the_cited_default():
    assert monitoring.DISCHARGE_SCORE_THRESHOLD == 9
    assert discharge_readiness(aldrete_total=8, score_threshold=8).ready


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"aldrete_total": 11}, "aldrete_total"),
        ({"padss_total": -1}, "padss_total"),
        ({"aldrete_total": 9.5}, "aldrete_total"),
        ({"aldrete_total": True}, "aldrete_total"),
        ({"score_threshold": 0}, "score_threshold"),
        ({"score_threshold": 11}, "score_threshold"),
        ({"score_threshold": True}, "score_threshold"),
        ({"esketamine": True, "min_observation_min": 90}, "min_observation_min"),
        ({"esketamine": True, "minutes_since_dosing": -5}, "minutes_since_dosing"),
        ({"esketamine": True, "minutes_since_dosing": "2h"}, "minutes_since_dosing"),
        ({"esketamine": True, "bp_readings": (VitalSigns(systolic_mmhg=120),)}, "bp_readings"),
    ],
)
def test_discharge_input_validation(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        discharge_readiness(**kwargs)


def test_iv_discharge_ignores_unassessed_flags_but_not_present_ones():
    assert discharge_readiness(aldrete_total=9).ready
    result = discharge_readiness(aldrete_total=9, sedation=True, dissociation=True, respiratory_depression=True)
    assert result.unmet == (
        "The patient is still sedated.",
        "The patient is still dissociated.",
        "Respiratory depression has not resolved.",
    )


def test_esketamine_ready_after_120_min_with_falling_bp():
    assert ready_esketamine() == monitoring.DischargeReadiness(ready=True, unmet=())


@pytest.mark.parametrize(("minutes", "ready"), [(119, False), (120, True), (240, True)])
def test_esketamine_needs_120_min(minutes, ready):
    result = ready_esketamine(minutes_since_dosing=minutes)
    assert result.ready is ready
    if not ready:
        assert result.unmet == ("Only 119 min since esketamine dosing; observe at least 120 min.",)


def test_esketamine_time_not_recorded():
    assert ready_esketamine(minutes_since_dosing=None).unmet == ("The time since esketamine dosing is not recorded.",)


def test_esketamine_longer_clinic_observation():
    assert not ready_esketamine(min_observation_min=150).ready


@pytest.mark.parametrize(
    ("readings", "unmet"),
    [
        ((bp(150, 92), bp(138, 85)), ()),
        ((bp(130, 80), bp(130, 80)), ()),
        ((bp(130, 82),), ("At least two blood-pressure readings",)),
        ((), ("At least two blood-pressure readings",)),
        ((bp(130, 80), bp(134, 80)), ("Blood pressure is still rising (130/80 → 134/80 mmHg).",)),
        ((bp(130, 80), bp(128, 84)), ("Blood pressure is still rising",)),
        ((bp(200, 100), bp(185, 95)), ("The last blood pressure 185/95 mmHg is at a stop-and-evaluate level.",)),
        ((bp(170, 115), bp(160, 112)), ("The last blood pressure 160/112 mmHg",)),
        ((bp(170, 100), bp(182, 100)), ("Blood pressure is still rising", "The last blood pressure 182/100")),
    ],
)
def test_esketamine_bp_falling_and_stable(readings, unmet):
    result = ready_esketamine(bp_readings=readings)
    assert len(result.unmet) == len(unmet)
    for text, expected in zip(result.unmet, unmet, strict=True):
        assert text.startswith(expected)


@pytest.mark.parametrize(
    ("flag", "value", "text"),
    [
        ("sedation", None, "Sedation has not been assessed before discharge."),
        ("dissociation", None, "Dissociation has not been assessed before discharge."),
        ("respiratory_depression", None, "Respiratory depression has not been assessed before discharge."),
        ("sedation", True, "The patient is still sedated."),
        ("dissociation", True, "The patient is still dissociated."),
        ("respiratory_depression", True, "Respiratory depression has not resolved."),
    ],
)
def test_esketamine_needs_no_sedation_dissociation_or_respiratory_depression(flag, value, text):
    assert ready_esketamine(**{flag: value}).unmet == (text,)


def test_every_unmet_criterion_is_listed():
    result = discharge_readiness(esketamine=True, padss_total=6)
    assert len(result.unmet) == 6
    assert not result.ready
