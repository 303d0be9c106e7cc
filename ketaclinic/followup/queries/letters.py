"""What a progress letter reports, gathered from the chart (issue 20 "Progress letters out").

``gather(patient)`` reads, for one patient:

- the indication, route and planned sessions of the current signed plan;
- the treatment given: the *signed* sessions only (a session is a fact once its note is signed), each with its date,
  route and dose (delivered, else the ordered dose, and said so);
- for every scale with published change rules (PHQ-9, GAD-7, pain NRS, PEG, BPI, MADRS, QIDS-SR16) the patient has
  scores on: baseline, latest, change and the response / remission / pain-improvement classification of
  ``domain.outcomes.assess_change`` (clinical rules §5), with the remission definition and its source;
- the side effects and adverse events recorded in those sessions.

The result is plain JSON: signing freezes it into ``ProgressLetter.content``, and the PDF and the FHIR document are
made from it, so what was signed is what is sent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from ketaclinic.domain import outcomes as rules
from ketaclinic.domain.vocabulary import INDICATION_CHOICES
from ketaclinic.followup.models import ProgressLetter
from ketaclinic.followup.queries.trajectory import PREFERRED_SCALES, _current_plan, route_label, scale_label
from ketaclinic.infusions.models import SideEffect, TreatmentSession
from ketaclinic.outcomes.models import Measurement, OutcomeCourse
from ketaclinic.outcomes.services.measurements import madrs_remission_cutoff
from ketaclinic.patients.hooks import ChartPrompt
from ketaclinic.patients.models import Patient

INDICATIONS = dict(INDICATION_CHOICES)
#: The definitions the letter applies, each with its source (clinical rules §5), printed under the outcomes table.
RESPONSE_DEFINITION = "Response: ≥ 50 % reduction from baseline; partial response 25–49 % (clinical rules §5)."
PAIN_DEFINITION = "Pain: ≥ 30 % reduction = moderate, ≥ 50 % = substantial improvement (IMMPACT, Dworkin et al. 2008)."


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _treatment(patient: Patient) -> dict[str, Any]:
    rows = (
        TreatmentSession.objects.filter(patient=patient, status=TreatmentSession.Status.SIGNED)
        .select_related("order")
        .order_by("started_at", "checked_in_at", "pk")
    )
    sessions = []
    for row in rows:
        delivered = row.dose_delivered_mg is not None
        dose = row.dose_delivered_mg if delivered else row.order.dose_mg
        moment = row.started_at or row.checked_in_at
        sessions.append(
            {
                "id": row.pk,
                "at": moment.isoformat(),
                "date": moment.date().isoformat(),
                "route": row.route,
                "route_label": route_label(row.route),
                "dose_mg": f"{dose.normalize():f}" if dose is not None else None,
                "dose_delivered": delivered,
            }
        )
    doses = sorted({str(s["dose_mg"]) for s in sessions if s["dose_mg"]}, key=lambda dose: float(dose))
    return {
        "sessions": sessions,
        "count": len(sessions),
        "first": sessions[0]["date"] if sessions else None,
        "last": sessions[-1]["date"] if sessions else None,
        "routes": sorted({s["route_label"] for s in sessions}),
        "dose_range_mg": [doses[0], doses[-1]] if doses else [],
    }


def _scales(patient: Patient, cutoff: int) -> list[dict[str, Any]]:
    rows = list(
        Measurement.objects.filter(
            patient=patient, entered_in_error=False, instrument__in=sorted(rules.CHANGE_INSTRUMENTS)
        ).order_by("taken_at", "pk")
    )
    courses = {c.instrument: c for c in OutcomeCourse.objects.filter(patient=patient)}
    found = []
    order = [s for s in PREFERRED_SCALES if s in rules.CHANGE_INSTRUMENTS]
    for instrument in sorted({r.instrument for r in rows}, key=lambda i: (order.index(i) if i in order else 99, i)):
        points = [r for r in rows if r.instrument == instrument]
        course = courses.get(instrument)
        baseline = course.baseline_total if course and course.baseline_total is not None else points[0].total
        baseline_at = course.baseline_at if course and course.baseline_at else points[0].taken_at
        latest = points[-1]
        change = rules.assess_change(instrument, baseline, latest.total, madrs_remission_at_most=cutoff)
        found.append(
            {
                "instrument": instrument,
                "label": scale_label(instrument),
                "baseline": {"total": baseline, "at": _iso(baseline_at)},
                "latest": {"total": latest.total, "at": _iso(latest.taken_at)},
                "points": [{"id": p.pk, "at": _iso(p.taken_at), "total": p.total} for p in points],
                "follow_ups": len([p for p in points if p.taken_at > baseline_at]),
                "percent_reduction": None if change.percent_reduction is None else round(change.percent_reduction, 1),
                "response": change.response,
                "partial_response": change.partial_response,
                "remission": change.remission,
                "moderate_improvement": change.moderate_improvement,
                "substantial_improvement": change.substantial_improvement,
                "remission_rule": rules.remission_rule(instrument, madrs_remission_at_most=cutoff),
            }
        )
    return found


def _adverse_events(session_ids: list[int]) -> list[dict[str, Any]]:
    rows = SideEffect.objects.filter(session_id__in=session_ids, entered_in_error=False).order_by("started_at", "pk")
    return [
        {
            "session_id": row.session_id,
            "date": row.started_at.date().isoformat(),
            "effect": row.other_text
            if row.effect == SideEffect.Effect.OTHER and row.other_text
            else row.get_effect_display(),
            "severity": row.get_severity_display(),
            "adverse_event": row.adverse_event,
            "outcome": row.get_outcome_display(),
            "action_taken": row.action_taken,
        }
        for row in rows
    ]


def gather(patient: Patient) -> dict[str, Any]:
    """The letter's content as JSON (see the module's docstring)."""
    version = _current_plan(patient)
    cutoff = madrs_remission_cutoff(patient)
    treatment = _treatment(patient)
    scales = _scales(patient, cutoff)
    definitions = [RESPONSE_DEFINITION]
    definitions += [s["remission_rule"] for s in scales if s["remission_rule"]]
    if any(s["instrument"] in rules.PAIN_INSTRUMENTS for s in scales):
        definitions.append(PAIN_DEFINITION)
    return {
        "indication": INDICATIONS.get(version.indication, version.indication) if version else "",
        "indication_code": version.indication if version else "",
        "plan": {
            "route_label": route_label(version.route),
            "sessions_planned": version.sessions_planned,
            "signed_at": _iso(version.signed_at),
        }
        if version
        else None,
        "treatment": treatment,
        "scales": scales,
        "adverse_events": _adverse_events([s["id"] for s in treatment["sessions"]]),
        "definitions": list(dict.fromkeys(definitions)),
    }


def series_complete(patient: Patient) -> bool:
    """The current plan's series is complete: as many signed sessions of that plan as it planned."""
    version = _current_plan(patient)
    if version is None:
        return False
    signed = TreatmentSession.objects.filter(
        patient=patient, status=TreatmentSession.Status.SIGNED, order__plan_version__plan=version.plan
    ).count()
    planned: int = version.sessions_planned
    return signed >= planned


def letter_prompts(patient: Patient) -> list[ChartPrompt]:
    """The chart's prompt: the current plan's series is complete and no signed letter reports every signed session."""
    if not series_complete(patient):
        return []
    sessions = TreatmentSession.objects.filter(patient=patient, status=TreatmentSession.Status.SIGNED).count()
    reported = ProgressLetter.objects.filter(
        patient=patient, status=ProgressLetter.Status.SIGNED, entered_in_error=False
    ).values_list("content", flat=True)
    if any(content.get("treatment", {}).get("count", 0) >= sessions for content in reported):
        return []
    return [
        ChartPrompt(
            text="The treatment series is complete: write a progress letter to the referring clinician.",
            url=reverse("letters:patient", kwargs={"patient_id": patient.pk}),
            link_label="Write the letter",
            capability="letters.write",
            key="letter",
        )
    ]
