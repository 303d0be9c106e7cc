"""QuestionnaireResponse: the item answers behind a rating-scale total (outcomes.Measurement), so the total's survey
Observation can point at it (``derivedFrom``, as knowledge/interoperability.md asks).

Items carry the short label, never licensed item text (knowledge/instruments.md "Licensing": MADRS, CADSS, C-SSRS and
BPI item text needs the owner's permission); ``linkId`` is the item's LOINC code where the knowledge file gives one and
is not marked VERIFY, else ``item-<n>``. The Questionnaire resources themselves are not served yet, so no
``questionnaire`` canonical is claimed.
"""

from __future__ import annotations

import functools
from typing import Any

from ketaclinic.domain import instruments
from ketaclinic.fhir.resources import questionnaire
from ketaclinic.fhir.resources.common import instant, meta, patient_ref


def _answer(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, bool):
        return [{"valueBoolean": value}]
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return [{"valueInteger": int(value)}]
    return [{"valueDecimal": value}]


@functools.cache
def _item_specs(instrument_id: str) -> tuple[tuple[str, str], ...]:
    """(linkId, text) of each item of a scale, in order (worked out once per scale: a bulk export writes a million
    responses); empty for a scale we do not know."""
    try:
        definition = instruments.get(instrument_id)
    except ValueError:
        return ()
    return tuple((questionnaire.item_link_id(definition, spec), spec.label) for spec in definition.items)


def _items(instrument_id: str, answers: list[Any]) -> list[dict[str, Any]]:
    specs = _item_specs(instrument_id)
    found = []
    for position, value in enumerate(answers, start=1):
        item: dict[str, Any]
        if position <= len(specs):
            link_id, text = specs[position - 1]
            item = {"linkId": link_id, "text": text}
        else:
            item = {"linkId": f"item-{position}"}
        answer = _answer(value)
        if answer:
            item["answer"] = answer
        found.append(item)
    return found


def response_to_fhir(measurement: Any) -> dict[str, Any]:
    try:
        name = instruments.get(measurement.instrument).name
        canonical: str | None = questionnaire.canonical(measurement.instrument)
    except ValueError:
        name, canonical = measurement.instrument, None
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": str(measurement.pk),
        "meta": meta(measurement.recorded_at),
        "status": "completed",
        "subject": patient_ref(measurement.patient_id),
        "authored": instant(measurement.taken_at),
        # One group named after the scale (our instrument id as its linkId), the answers inside in item order.
        "item": [
            {
                "linkId": measurement.instrument,
                "text": name,
                "item": _items(measurement.instrument, list(measurement.answers or [])),
            }
        ],
    }
    if canonical:
        resource["questionnaire"] = canonical
    return resource
