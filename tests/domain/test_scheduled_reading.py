"""A scheduled reading is a full set of vital signs (issue 15, item 7): a sedation check alone is its own kind."""

from __future__ import annotations

import pytest

from ketaclinic.domain import monitoring, protocols
from ketaclinic.domain.monitoring import VitalSigns, missing_for_scheduled, reading_kind
from ketaclinic.domain.protocols import ProtocolError, apply_overrides

FULL = {"systolic_mmhg": 124, "diastolic_mmhg": 78, "heart_rate_per_min": 72, "spo2_percent": 98}


@pytest.mark.parametrize(
    ("values", "rr_required", "kind", "missing"),
    [
        (FULL, False, "vitals", ()),
        ({**FULL, "moaas": 5}, False, "vitals", ()),
        (FULL, True, "partial", ("respiratory_rate_per_min",)),
        ({**FULL, "respiratory_rate_per_min": 14}, True, "vitals", ()),
        ({"moaas": 3}, False, "sedation", tuple(monitoring.SCHEDULED_READING_FIELDS)),
        ({"rass": -1}, True, "sedation", (*monitoring.SCHEDULED_READING_FIELDS, "respiratory_rate_per_min")),
        (
            {"systolic_mmhg": 150, "diastolic_mmhg": 90, "moaas": 5},
            False,
            "partial",
            ("heart_rate_per_min", "spo2_percent"),
        ),
        ({"temperature_c": 36.8, "moaas": 5}, False, "partial", tuple(monitoring.SCHEDULED_READING_FIELDS)),
        ({"spo2_percent": 97}, False, "partial", ("systolic_mmhg", "diastolic_mmhg", "heart_rate_per_min")),
        ({}, False, "partial", tuple(monitoring.SCHEDULED_READING_FIELDS)),
    ],
)
def test_only_blood_pressure_heart_rate_and_spo2_make_a_scheduled_reading(
    values: dict[str, float], rr_required: bool, kind: str, missing: tuple[str, ...]
) -> None:
    signs = VitalSigns(**values)  # type: ignore[arg-type]
    assert reading_kind(signs, respiratory_rate_required=rr_required) == kind
    assert missing_for_scheduled(signs, respiratory_rate_required=rr_required) == missing


def test_the_scheduled_reading_rule_cites_its_sources_not_a_file() -> None:
    assert "Spravato PI" in monitoring.SCHEDULED_READING_SOURCE and "Emory" in monitoring.SCHEDULED_READING_SOURCE
    assert ".md" not in monitoring.SCHEDULED_READING_SOURCE


def test_a_protocol_may_ask_for_the_respiratory_rate_with_every_reading() -> None:
    iv = protocols.get("depression_iv")
    assert iv.respiratory_rate_with_vitals is False
    assert apply_overrides(iv, {"respiratory_rate_with_vitals": "true"}).respiratory_rate_with_vitals is True
    assert apply_overrides(iv, {"respiratory_rate_with_vitals": True}).respiratory_rate_with_vitals is True
    with pytest.raises(ProtocolError, match="respiratory_rate_with_vitals: must be true or false"):
        apply_overrides(iv, {"respiratory_rate_with_vitals": "often"})


def test_iv_and_im_observe_a_clinic_policy_minimum_and_esketamine_the_label_s() -> None:
    for protocol_id in ("depression_iv", "depression_im", "crps_outpatient", "fibromyalgia_test_dose"):
        p = protocols.get(protocol_id)
        assert (p.min_observation_min, p.min_observation_basis) == (30, "clinic_policy")
    esk = protocols.get("esketamine")
    assert (esk.min_observation_min, esk.min_observation_basis) == (120, "label")
    with pytest.raises(ProtocolError, match="min_observation_basis: esketamine follows its FDA label"):
        apply_overrides(esk, {"min_observation_basis": "clinic_policy"})
    with pytest.raises(ProtocolError, match="min_observation_basis: must be one of"):
        apply_overrides(protocols.get("depression_iv"), {"min_observation_basis": "guess"})
    assert apply_overrides(protocols.get("depression_iv"), {"min_observation_min": 45}).min_observation_min == 45


@pytest.mark.parametrize(
    ("minutes", "minimum", "basis", "met", "message"),
    [
        (
            29.9,
            30,
            "clinic_policy",
            False,
            "Only 29 min of observation after the end of dosing; the minimum is 30 min (clinic policy).",
        ),
        (30.0, 30, "clinic_policy", True, ""),
        (
            0,
            120,
            "label",
            False,
            "Only 0 min of observation after the end of dosing; the minimum is 120 min (the Spravato label).",
        ),
        (121, 120, "label", True, ""),
    ],
)
def test_observation_after_the_end_of_dosing_is_counted_in_whole_minutes(
    minutes: float, minimum: int, basis: str, met: bool, message: str
) -> None:
    check = monitoring.observation_check(minutes_since_end_of_dosing=minutes, minimum_min=minimum, basis=basis)
    assert (check.met, check.message, check.minutes_observed, check.minimum_min) == (
        met,
        message,
        int(minutes),
        minimum,
    )
    assert check.source == monitoring.OBSERVATION_SOURCES[basis] and ".md" not in check.source
    assert ("CLINIC POLICY" in check.source) == (basis == "clinic_policy")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (
            {"minutes_since_end_of_dosing": -1, "minimum_min": 30, "basis": "clinic_policy"},
            "minutes_since_end_of_dosing",
        ),
        ({"minutes_since_end_of_dosing": float("nan"), "minimum_min": 30, "basis": "clinic_policy"}, "minutes_since"),
        ({"minutes_since_end_of_dosing": 5, "minimum_min": 0, "basis": "clinic_policy"}, "minimum_min"),
        ({"minutes_since_end_of_dosing": 5, "minimum_min": True, "basis": "clinic_policy"}, "minimum_min"),
        ({"minutes_since_end_of_dosing": 5, "minimum_min": 30, "basis": "guess"}, "basis"),
    ],
)
def test_observation_check_refuses_impossible_input(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        monitoring.observation_check(**kwargs)  # type: ignore[arg-type]
