"""Progress letters as FHIR: the Composition and its document Bundle (issue 20 "Progress letters out").

A signed letter (``followup.ProgressLetter``) is a Composition of LOINC type 11506-3 "Progress note", attested
(``legal``) by the prescriber who signed it, with one section per part of the letter: indication, treatment given
(entries: the sessions' MedicationAdministration), response to treatment (entries: the score Observations the letter
reports), side effects, plan. ``GET Composition/{id}/$document`` answers the FHIR document: a Bundle of type
``document`` with the Composition first, then the Patient, the Practitioner, the clinic's Organization, the
Observations and the MedicationAdministrations it references (FHIR R4 documents.html). Everything is made from the
content frozen at signing, so the document says what the signed PDF says.
"""

from __future__ import annotations

import html
from typing import Any

from ketaclinic.fhir.resources.common import LOINC, coding, concept, instant, meta, patient_ref

LETTER_SYSTEM = "urn:ketaclinic:progress-letter"
#: LOINC 11506-3 "Progress note" (the document type of the letter).
PROGRESS_NOTE = ("11506-3", "Progress note")
XHTML = "http://www.w3.org/1999/xhtml"
BUNDLE_PREFIX = "letter-"
#: Composition ids of addenda (a letter's Composition id is its primary key).
ADDENDUM_PREFIX = "addendum"


def _div(*paragraphs: str) -> dict[str, str]:
    body = "".join(f"<p>{html.escape(text)}</p>" for text in paragraphs if text) or "<p>None.</p>"
    return {"status": "generated", "div": f'<div xmlns="{XHTML}">{body}</div>'}


def _table(header: list[str], rows: list[list[str]]) -> dict[str, str]:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    lines = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return {"status": "generated", "div": f'<div xmlns="{XHTML}"><table><tr>{head}</tr>{lines}</table></div>'}


def _change(percent: float | None) -> str:
    if percent is None:
        return "—"
    rounded = round(percent)
    return "0 %" if rounded == 0 else (f"−{rounded} %" if rounded > 0 else f"+{-rounded} %")


def _classification(scale: dict[str, Any]) -> str:
    if not scale.get("follow_ups"):
        return "baseline only"
    words = [w for w, on in (("remission", scale.get("remission")), ("response", scale.get("response"))) if on]
    if not scale.get("response") and scale.get("partial_response"):
        words.append("partial response")
    if scale.get("substantial_improvement"):
        words.append("substantial improvement")
    elif scale.get("moderate_improvement"):
        words.append("moderate improvement")
    return ", ".join(words) or "no response yet"


def _sections(letter: Any, content: dict[str, Any]) -> list[dict[str, Any]]:
    treatment = content.get("treatment", {})
    sessions = treatment.get("sessions", [])
    scales = content.get("scales", [])
    events = content.get("adverse_events", [])
    plan = content.get("plan") or {}
    indication = content.get("indication") or "No signed treatment plan on file."
    if plan:
        indication += f" Planned: {plan.get('sessions_planned')} sessions, {plan.get('route_label')}."
    given: dict[str, Any] = {
        "title": "Treatment given",
        "text": _table(
            ["#", "Date", "Route", "Dose"],
            [
                [str(n), s["date"], s["route_label"], f"{s['dose_mg']} mg" if s.get("dose_mg") else "—"]
                for n, s in enumerate(sessions, start=1)
            ],
        )
        if sessions
        else _div("No signed treatment session yet."),
    }
    if sessions:
        given["entry"] = [{"reference": f"MedicationAdministration/{s['id']}"} for s in sessions]
    response: dict[str, Any] = {
        "title": "Response to treatment",
        "text": _table(
            ["Scale", "Baseline", "Latest", "Change", "Classification"],
            [
                [
                    s["label"],
                    f"{s['baseline']['total']:g} ({(s['baseline']['at'] or '')[:10]})",
                    f"{s['latest']['total']:g} ({(s['latest']['at'] or '')[:10]})",
                    _change(s.get("percent_reduction")),
                    _classification(s),
                ]
                for s in scales
            ]
            + [["Definitions", " · ".join(content.get("definitions", [])), "", "", ""]],
        )
        if scales
        else _div("No scores recorded."),
    }
    points = [p for s in scales for p in s.get("points", [])]
    if points:
        response["entry"] = [{"reference": f"Observation/score-{p['id']}"} for p in points]
    return [
        {"title": "Indication", "text": _div(indication)},
        given,
        response,
        {
            "title": "Side effects and adverse events",
            "text": _table(
                ["Date", "Effect", "Severity", "Adverse event", "Outcome"],
                [
                    [e["date"], e["effect"], e["severity"], "yes" if e["adverse_event"] else "no", e["outcome"]]
                    for e in events
                ],
            )
            if events
            else _div("None recorded in the signed sessions."),
        },
        {"title": "Plan going forward", "text": _div(letter.plan_text or "Not written.")},
    ]


def composition_to_fhir(letter: Any) -> dict[str, Any]:
    """A signed letter as a Composition (``final``; ``entered-in-error`` once withdrawn)."""
    signer = f"Practitioner/{letter.signed_by_id}"
    return {
        "resourceType": "Composition",
        "id": str(letter.pk),
        "meta": meta(letter.updated_at, letter.version),
        "identifier": {"system": LETTER_SYSTEM, "value": str(letter.pk)},
        "status": "entered-in-error" if letter.entered_in_error else "final",
        "type": concept(coding(LOINC, *PROGRESS_NOTE), text="Progress letter to the referring clinician"),
        "subject": patient_ref(letter.patient_id),
        "date": instant(letter.signed_at),
        "author": [{"reference": signer}],
        "title": f"Progress letter to {letter.recipient_name}",
        "attester": [{"mode": "legal", "time": instant(letter.signed_at), "party": {"reference": signer}}],
        "custodian": {"reference": f"Organization/{letter.patient.location.clinic_id}"},
        "section": _sections(letter, letter.content),
    }


def bundle_id(letter_id: int) -> str:
    """The id of a letter's document Bundle (``Bundle/letter-<id>``)."""
    return f"{BUNDLE_PREFIX}{letter_id}"


def document_bundle(
    letter: Any,
    *,
    base: str,
    patient: dict[str, Any],
    author: dict[str, Any],
    custodian: dict[str, Any],
    observations: list[dict[str, Any]],
    administrations: list[dict[str, Any]],
) -> dict[str, Any]:
    """The FHIR document: Composition first, then every resource it references (R4 documents.html)."""
    resources = [composition_to_fhir(letter), patient, author, custodian, *observations, *administrations]
    return {
        "resourceType": "Bundle",
        "id": bundle_id(letter.pk),
        "identifier": {"system": LETTER_SYSTEM, "value": f"document-{letter.pk}-v{letter.version}"},
        "type": "document",
        "timestamp": instant(letter.signed_at),
        "entry": [
            {"fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}", "resource": resource}
            for resource in resources
        ],
    }


def addendum_to_fhir(addendum: Any) -> dict[str, Any]:
    """An addendum to a signed letter: its own Composition (signed, attested by its author) that ``appends`` the
    letter's Composition (R4 Composition.relatesTo, document-relationship-type ``appends``). The letter's document is
    not changed by it."""
    signer = f"Practitioner/{addendum.signed_by_id}"
    letter = addendum.letter
    changed = addendum.entered_in_error_at or addendum.signed_at
    title = f"Addendum to the progress letter to {letter.recipient_name}"
    return {
        "resourceType": "Composition",
        "id": f"{ADDENDUM_PREFIX}-{addendum.pk}",
        # Version 1 as signed; 2 once entered in error (the one change a signed addendum may see).
        "meta": meta(changed, 2 if addendum.entered_in_error else 1),
        "identifier": {"system": LETTER_SYSTEM, "value": f"{ADDENDUM_PREFIX}-{addendum.pk}"},
        "status": "entered-in-error" if addendum.entered_in_error else "final",
        "type": concept(coding(LOINC, *PROGRESS_NOTE), text="Addendum to a progress letter"),
        "subject": patient_ref(letter.patient_id),
        "date": instant(addendum.signed_at),
        "author": [{"reference": signer}],
        "title": title,
        "attester": [{"mode": "legal", "time": instant(addendum.signed_at), "party": {"reference": signer}}],
        "custodian": {"reference": f"Organization/{letter.patient.location.clinic_id}"},
        "relatesTo": [{"code": "appends", "targetReference": {"reference": f"Composition/{letter.pk}"}}],
        "section": [
            {"title": "Addendum", "text": _div(*addendum.text.split("\n"))},
            {"title": "Why it is added", "text": _div(*addendum.reason.split("\n"))},
        ],
    }
