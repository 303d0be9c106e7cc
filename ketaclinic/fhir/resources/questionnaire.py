"""Questionnaire: the rating scales of ``ketaclinic.domain.instruments`` (PHQ-9, GAD-7, QIDS-SR16, MADRS, C-SSRS …),
one resource per scale, built from the code rather than stored rows.

Each scale is one group (its linkId our instrument id) holding the items in published order; the item linkIds are the
ones QuestionnaireResponse uses (the item's LOINC code where the knowledge file gives one not marked VERIFY, else
``item-<n>``), so a response matches its questionnaire. Codes: the LOINC panel and item codes of instruments.md only
where not marked VERIFY. Item text (instruments.md "Licensing"): PHQ-9, GAD-7 and QIDS-SR16 are free to reproduce and
carry their published wording; every other scale carries its short item labels only (MADRS, CADSS, C-SSRS and BPI
need their owners' permission; the others' licences are not stated).

Ids are the instrument ids with ``_`` written ``-`` (FHIR ids allow no underscore): ``Questionnaire/qids-sr16``.
The canonical ``url`` is ``urn:ketaclinic:questionnaire:<id>``; QuestionnaireResponse.questionnaire points at it.
"""

from __future__ import annotations

from typing import Any

from ketaclinic.domain import instruments
from ketaclinic.fhir.resources.common import LOINC, coding

URL_PREFIX = "urn:ketaclinic:questionnaire:"
#: The start of ``Instrument.licence_note`` for the scales whose item text may be reproduced (instruments.md).
FREE_TO_REPRODUCE = "Free to reproduce"


def fhir_id(instrument_id: str) -> str:
    return instrument_id.replace("_", "-")


def instrument_for(resource_id: str) -> str | None:
    """The instrument a Questionnaire id names, or None."""
    wanted = resource_id.replace("-", "_")
    return wanted if wanted in instruments.ids() else None


def canonical(instrument_id: str) -> str:
    return f"{URL_PREFIX}{fhir_id(instrument_id)}"


def verified(definition: instruments.Instrument, code: str | None) -> str | None:
    return code if code and code not in definition.unverified_codes else None


def item_link_id(definition: instruments.Instrument, item: instruments.Item) -> str:
    return verified(definition, item.code) or f"item-{item.number}"


def _item(definition: instruments.Instrument, item: instruments.Item, free: bool) -> dict[str, Any]:
    boolean = all(isinstance(value, bool) for value in item.values)
    found: dict[str, Any] = {
        "linkId": item_link_id(definition, item),
        "text": item.text if free else item.label,
        "type": "boolean" if boolean else "integer",
        "required": item.required,
    }
    code = verified(definition, item.code)
    if code:
        found["code"] = [coding(LOINC, code)]
    if not boolean:
        found["answerOption"] = [{"valueInteger": value} for value in item.values]
    return found


def questionnaire_to_fhir(instrument_id: str) -> dict[str, Any]:
    definition = instruments.get(instrument_id)
    free = definition.licence_note.startswith(FREE_TO_REPRODUCE)
    group: dict[str, Any] = {
        "linkId": instrument_id,
        "text": definition.name,
        "type": "group",
        "item": [_item(definition, item, free) for item in definition.items],
    }
    panel = verified(definition, definition.loinc_panel)
    if panel:
        group["code"] = [coding(LOINC, panel)]
    description = f"{definition.name}. Source: {definition.source}"
    if definition.recall_period:
        description += f" Recall period: {definition.recall_period}."
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": fhir_id(instrument_id),
        "url": canonical(instrument_id),
        "name": "".join(part.capitalize() for part in instrument_id.split("_")),
        "title": definition.name,
        "status": "active",
        "subjectType": ["Patient"],
        "description": description,
        "copyright": definition.licence_note,
        "item": [group],
    }
    if panel:
        resource["code"] = [coding(LOINC, panel)]
    if definition.instructions and free:
        instructions = {"linkId": f"{instrument_id}-instructions", "text": definition.instructions, "type": "display"}
        group["item"].insert(0, instructions)
    return resource


def questionnaires() -> list[dict[str, Any]]:
    return [questionnaire_to_fhir(instrument_id) for instrument_id in instruments.ids()]
