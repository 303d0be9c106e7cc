"""Observation: vital signs (FHIR R4 vital-signs profile) and rating-scale totals (category ``survey``).

Vital-sign LOINC codes (knowledge/instruments.md "Vital-sign codes", from the FHIR R4 vital-signs profile): blood
pressure panel 85354-9 with systolic 8480-6 and diastolic 8462-4 as components; heart rate 8867-4; respiratory rate
9279-1; oxygen saturation 59408-5 and 2708-6 (US Core wants both codings); body temperature 8310-5; body weight
29463-7; body height 8302-2. Units are UCUM.

Scale totals carry the instrument's LOINC total code from ``domain.instruments`` (PHQ-9 44261-6, Kroenke 2001;
GAD-7 70274-6, Spitzer 2006; pain NRS 72514-3 …) only when the knowledge file does not mark it VERIFY, and always our
own instrument code, so a scale without a verified LOINC code (QIDS-SR16, MADRS …) is still found by its id.

Every scored item of a scale is its own survey Observation too (``item3-12``: item 3 of the scale total
``score-12``), coded with the item's LOINC code where verified and always ``<instrument>.<item key>`` in our system,
``derivedFrom`` the QuestionnaireResponse; the total lists its items in ``hasMember``. An item left unanswered (a BPI
interference item, a C-SSRS question skipped by its logic) carries ``dataAbsentReason`` ``not-asked``/``unknown``
instead of a value. The unscored PHQ-9 "difficulty" question is in the QuestionnaireResponse only.

Each vital sign is its own resource: a reading with blood pressure, heart rate and SpO2 gives three Observations,
whose ids say which (``bp-12``, ``heart-rate-12``, ``spo2-12`` for reading 12).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ketaclinic.domain import instruments
from ketaclinic.fhir.resources.common import (
    INSTRUMENT_SYSTEM,
    LOINC,
    OBSERVATION_CATEGORY,
    UCUM,
    coding,
    concept,
    instant,
    meta,
    patient_ref,
)

VITAL_SIGNS = "vital-signs"
SURVEY = "survey"


@dataclass(frozen=True)
class VitalCode:
    """One vital sign: its id prefix, LOINC code(s), the row field(s) it reads and its UCUM unit."""

    key: str
    codes: tuple[tuple[str, str], ...]
    fields: tuple[str, ...]
    unit: str


BLOOD_PRESSURE = VitalCode("bp", (("85354-9", "Blood pressure panel"),), ("systolic_mmhg", "diastolic_mmhg"), "mm[Hg]")
HEART_RATE = VitalCode("heart-rate", (("8867-4", "Heart rate"),), ("heart_rate_per_min",), "/min")
RESPIRATORY_RATE = VitalCode("resp-rate", (("9279-1", "Respiratory rate"),), ("respiratory_rate_per_min",), "/min")
SPO2 = VitalCode(
    "spo2",
    (("59408-5", "Oxygen saturation by pulse oximetry"), ("2708-6", "Oxygen saturation in arterial blood")),
    ("spo2_percent",),
    "%",
)
TEMPERATURE = VitalCode("temperature", (("8310-5", "Body temperature"),), ("temperature_c",), "Cel")
WEIGHT = VitalCode("weight", (("29463-7", "Body weight"),), ("weight_kg",), "kg")
HEIGHT = VitalCode("height", (("8302-2", "Body height"),), ("height_cm",), "cm")
SESSION_VITALS = (BLOOD_PRESSURE, HEART_RATE, RESPIRATORY_RATE, SPO2, TEMPERATURE)
BODY = (WEIGHT, HEIGHT)
#: What the intake assessment records (weight and height reach the chart as a body measurement on submission).
INTAKE_VITALS = (BLOOD_PRESSURE, HEART_RATE, SPO2)
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")


def _quantity(value: Any, unit: str) -> dict[str, Any]:
    number: int | float = value if isinstance(value, int) else float(Decimal(str(value)))
    return {"value": number, "unit": unit, "system": UCUM, "code": unit}


def _category(code: str, display: str) -> list[dict[str, Any]]:
    return [concept(coding(OBSERVATION_CATEGORY, code, display))]


def vital_to_fhir(vital: VitalCode, row: Any, *, patient_id: int, taken_at: Any, recorded_at: Any) -> dict[str, Any]:
    """One vital sign of a session reading or a body measurement (``row`` has the fields ``vital`` names)."""
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"{vital.key}-{row.pk}",
        "meta": {"profile": ["http://hl7.org/fhir/StructureDefinition/vitalsigns"], **meta(recorded_at)},
        "status": "final",
        "category": _category(VITAL_SIGNS, "Vital Signs"),
        "code": concept(*(coding(LOINC, code, display) for code, display in vital.codes), text=vital.codes[0][1]),
        "subject": patient_ref(patient_id),
        "effectiveDateTime": instant(taken_at),
    }
    if vital is BLOOD_PRESSURE:
        resource["component"] = [
            {"code": concept(coding(LOINC, code, display)), "valueQuantity": _quantity(getattr(row, field), vital.unit)}
            for (code, display), field in zip((SYSTOLIC, DIASTOLIC), vital.fields, strict=True)
        ]
    else:
        resource["valueQuantity"] = _quantity(getattr(row, vital.fields[0]), vital.unit)
    return resource


def total_codes(instrument_id: str) -> list[dict[str, str]]:
    """Our instrument code, and the LOINC total code where one is published and not marked VERIFY."""
    codes = [coding(INSTRUMENT_SYSTEM, instrument_id)]
    try:
        definition = instruments.get(instrument_id)
    except ValueError:
        return codes
    loinc = definition.loinc_total
    if loinc and loinc not in definition.unverified_codes:
        codes.insert(0, coding(LOINC, loinc, f"{definition.name} total score"))
    return codes


def instruments_with_loinc_total(code: str) -> list[str]:
    """The instrument ids whose (verified) LOINC total code is ``code``."""
    found = []
    for instrument_id in instruments.ids():
        definition = instruments.get(instrument_id)
        if definition.loinc_total == code and code not in definition.unverified_codes:
            found.append(instrument_id)
    return found


def _instrument_name(instrument_id: str) -> str:
    try:
        return instruments.get(instrument_id).name
    except ValueError:
        return instrument_id


DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"


def scored_items(instrument_id: str) -> tuple[instruments.Item, ...]:
    """The items served as their own Observations: the scored ones (all but the PHQ-9 difficulty question)."""
    try:
        definition = instruments.get(instrument_id)
    except ValueError:
        return ()
    return tuple(item for item in definition.items if item.scored)


def item_positions() -> int:
    """The most scored items any scale has (CADSS: 23): one Observation source per item position."""
    return max(len(scored_items(instrument_id)) for instrument_id in instruments.ids())


def instruments_with_item(position: int) -> list[str]:
    return [i for i in instruments.ids() if len(scored_items(i)) >= position]


def item_codes(position: int) -> dict[tuple[str, str], str]:
    """(system, code) → instrument id, for the item at ``position`` of every scale that has one."""
    found: dict[tuple[str, str], str] = {}
    for instrument_id in instruments_with_item(position):
        definition = instruments.get(instrument_id)
        item = scored_items(instrument_id)[position - 1]
        found[(INSTRUMENT_SYSTEM, f"{instrument_id}.{item.key}")] = instrument_id
        if item.code and item.code not in definition.unverified_codes:
            found[(LOINC, item.code)] = instrument_id
    return found


def item_to_fhir(measurement: Any, position: int) -> dict[str, Any]:
    """Item ``position`` (1-based, in published order) of a scale's answers as a survey Observation."""
    definition = instruments.get(measurement.instrument)
    item = scored_items(measurement.instrument)[position - 1]
    answers = list(measurement.answers or [])
    value = answers[item.number - 1] if item.number <= len(answers) else None
    codes = [coding(INSTRUMENT_SYSTEM, f"{measurement.instrument}.{item.key}")]
    if item.code and item.code not in definition.unverified_codes:
        codes.insert(0, coding(LOINC, item.code, item.label))
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"item{position}-{measurement.pk}",
        "meta": meta(measurement.recorded_at),
        "status": "final",
        "category": _category(SURVEY, "Survey"),
        "code": concept(*codes, text=f"{definition.name}: {item.label}"),
        "subject": patient_ref(measurement.patient_id),
        "effectiveDateTime": instant(measurement.taken_at),
        "issued": instant(measurement.recorded_at),
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{measurement.pk}"}],
    }
    if isinstance(value, bool):
        resource["valueBoolean"] = value
    elif isinstance(value, int):
        resource["valueInteger"] = value
    else:
        reason = "not-asked" if measurement.instrument == "cssrs_screener" else "unknown"
        resource["dataAbsentReason"] = concept(coding(DATA_ABSENT, reason))
    return resource


def score_to_fhir(measurement: Any) -> dict[str, Any]:
    """A rating-scale total (outcomes.Measurement) as a survey Observation; the band as its interpretation."""
    total = measurement.total
    value: int | float = int(total) if float(total).is_integer() else total
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"score-{measurement.pk}",
        "meta": meta(measurement.recorded_at),
        "status": "final",
        "category": _category(SURVEY, "Survey"),
        "code": concept(*total_codes(measurement.instrument), text=f"{_instrument_name(measurement.instrument)} total"),
        "subject": patient_ref(measurement.patient_id),
        "effectiveDateTime": instant(measurement.taken_at),
        "issued": instant(measurement.recorded_at),
        "valueQuantity": {"value": value, "unit": "{score}", "system": UCUM, "code": "{score}"},
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{measurement.pk}"}],
    }
    members = scored_items(measurement.instrument)
    if members:
        resource["hasMember"] = [
            {"reference": f"Observation/item{position}-{measurement.pk}"} for position in range(1, len(members) + 1)
        ]
    if measurement.band:
        resource["interpretation"] = [{"text": measurement.band}]
    return resource
