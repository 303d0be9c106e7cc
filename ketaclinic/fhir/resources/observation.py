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

import copy
import functools
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


@functools.cache
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


@functools.cache
def _item_concepts(instrument_id: str) -> tuple[tuple[int, dict[str, Any]], ...]:
    """Each scored item of a scale, in published order: its number among the answers and its ``code`` (built once
    per scale: a bulk export asks for them millions of times). Shared objects: callers copy before changing one
    (``item_to_fhir`` does)."""
    definition = instruments.get(instrument_id)
    found = []
    for item in scored_items(instrument_id):
        codes = [coding(INSTRUMENT_SYSTEM, f"{instrument_id}.{item.key}")]
        if item.code and item.code not in definition.unverified_codes:
            codes.insert(0, coding(LOINC, item.code, item.label))
        found.append((item.number, concept(*codes, text=f"{definition.name}: {item.label}")))
    return tuple(found)


def _not_answered(instrument_id: str) -> dict[str, Any]:
    return concept(coding(DATA_ABSENT, "not-asked" if instrument_id == "cssrs_screener" else "unknown"))


def _item(
    measurement: Any, position: int, template: tuple[int, dict[str, Any]], answers: list[Any], shared: dict[str, Any]
) -> dict[str, Any]:
    number, code = template
    value = answers[number - 1] if number <= len(answers) else None
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"item{position}-{measurement.pk}",
        "meta": shared["meta"],
        "status": "final",
        "category": shared["category"],
        "code": code,
        "subject": shared["subject"],
        "effectiveDateTime": shared["effective"],
        "issued": shared["issued"],
        "derivedFrom": shared["derivedFrom"],
    }
    if isinstance(value, bool):
        resource["valueBoolean"] = value
    elif isinstance(value, int):
        resource["valueInteger"] = value
    else:
        resource["dataAbsentReason"] = _not_answered(measurement.instrument)
    return resource


def _shared_parts(measurement: Any) -> dict[str, Any]:
    """What the total and the items of one measurement carry alike (worked out once for all of them)."""
    return {
        "meta": meta(measurement.recorded_at),
        "category": _category(SURVEY, "Survey"),
        "subject": patient_ref(measurement.patient_id),
        "effective": instant(measurement.taken_at),
        "issued": instant(measurement.recorded_at),
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{measurement.pk}"}],
    }


def item_to_fhir(measurement: Any, position: int) -> dict[str, Any]:
    """Item ``position`` (1-based, in published order) of a scale's answers as a survey Observation."""
    template = copy.deepcopy(_item_concepts(measurement.instrument)[position - 1])
    return _item(measurement, position, template, list(measurement.answers or []), _shared_parts(measurement))


def items_to_fhir(measurement: Any, shared: dict[str, Any]) -> list[dict[str, Any]]:
    """Every scored item of a measurement (none for a scale without items), with the ``shared`` parts."""
    if not scored_items(measurement.instrument):
        return []
    answers = list(measurement.answers or [])
    templates = _item_concepts(measurement.instrument)
    return [_item(measurement, n, template, answers, shared) for n, template in enumerate(templates, start=1)]


def score_to_fhir(measurement: Any) -> dict[str, Any]:
    """A rating-scale total (outcomes.Measurement) as a survey Observation; the band as its interpretation."""
    return _score(measurement, _shared_parts(measurement), copy.deepcopy(_total_concept(measurement.instrument)))


def score_with_items_to_fhir(measurement: Any) -> list[dict[str, Any]]:
    """The total and every scored item of a measurement, equal to ``score_to_fhir`` and ``item_to_fhir`` for each
    position, sharing their common parts (for writing out at once, not for changing): what a bulk export writes,
    one pass over the scores instead of one per item position."""
    shared = _shared_parts(measurement)
    score = _score(measurement, shared, _total_concept(measurement.instrument))
    return [score, *items_to_fhir(measurement, shared)]


@functools.cache
def _total_concept(instrument_id: str) -> dict[str, Any]:
    """The ``code`` of a scale's total (shared: callers copy before changing it, as ``score_to_fhir`` does)."""
    return concept(*total_codes(instrument_id), text=f"{_instrument_name(instrument_id)} total")


def _score(measurement: Any, shared: dict[str, Any], code: dict[str, Any]) -> dict[str, Any]:
    total = measurement.total
    value: int | float = int(total) if float(total).is_integer() else total
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"score-{measurement.pk}",
        "meta": shared["meta"],
        "status": "final",
        "category": shared["category"],
        "code": code,
        "subject": shared["subject"],
        "effectiveDateTime": shared["effective"],
        "issued": shared["issued"],
        "valueQuantity": {"value": value, "unit": "{score}", "system": UCUM, "code": "{score}"},
        "derivedFrom": shared["derivedFrom"],
    }
    members = scored_items(measurement.instrument)
    if members:
        resource["hasMember"] = [
            {"reference": f"Observation/item{position}-{measurement.pk}"} for position in range(1, len(members) + 1)
        ]
    if measurement.band:
        resource["interpretation"] = [{"text": measurement.band}]
    return resource
