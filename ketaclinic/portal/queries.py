"""The signed-in patient's own records, and nothing else: every read here is filtered by the patient's id inside the
query, so another patient's id in an address is simply not found (404), never a different page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone

from ketaclinic.audit.models import AuditEvent
from ketaclinic.domain import instruments
from ketaclinic.followup.queries.trajectory import scale_label
from ketaclinic.homecare import queries as home_queries
from ketaclinic.outcomes.models import Measurement
from ketaclinic.patients.models import ChartDocument, Patient
from ketaclinic.portal import consent_queries
from ketaclinic.portal.models import Message
from ketaclinic.scheduling.models import Appointment

#: The scales a patient fills in themselves; clinician-rated scores (MADRS, sedation, discharge) are not shown here.
SELF_REPORTED = ("phq9", "gad7", "qids_sr16", "pain_nrs", "peg", "bpi")
#: What each scale asks about, in plain words.
ABOUT = {
    "phq9": "depression",
    "gad7": "anxiety",
    "qids_sr16": "depression",
    "pain_nrs": "pain",
    "peg": "pain and daily life",
    "bpi": "pain and daily life",
}


def appointments(patient_id: int, *, now: dt.datetime | None = None) -> tuple[list[Appointment], list[Appointment]]:
    """(upcoming booked, past or closed) appointments of the patient, soonest upcoming first, latest past first."""
    moment = now or timezone.now()
    rows = list(
        Appointment.objects.filter(patient_id=patient_id)
        .select_related("location__clinic", "previsit")
        .order_by("starts_at", "pk")
    )
    upcoming = [a for a in rows if a.status == Appointment.Status.BOOKED and a.starts_at > moment]
    past = [a for a in reversed(rows) if a not in upcoming]
    return upcoming, past


def appointment_for(patient_id: int, appointment_id: int) -> Appointment:
    appointment = (
        Appointment.objects.filter(pk=appointment_id, patient_id=patient_id)
        .select_related("location__clinic", "patient", "previsit")
        .first()
    )
    if appointment is None:
        raise Http404("No such appointment.")
    return appointment


@dataclass(frozen=True)
class ScoreLine:
    taken_at: dt.datetime
    scale: str
    about: str
    total: str
    out_of: str
    band: str


def _number(value: float) -> str:
    return f"{value:g}"


def score_history(patient_id: int, *, limit: int = 50) -> list[ScoreLine]:
    """The patient's own questionnaire scores, latest first, in words: the scale, what it asks about, the total out
    of its maximum and the band's name (no codes)."""
    rows = Measurement.objects.filter(
        patient_id=patient_id, entered_in_error=False, instrument__in=SELF_REPORTED
    ).order_by("-taken_at", "-pk")[:limit]
    lines = []
    for row in rows:
        definition = instruments.get(row.instrument)
        lines.append(
            ScoreLine(
                taken_at=row.taken_at,
                scale=scale_label(row.instrument),
                about=ABOUT.get(row.instrument, ""),
                total=_number(row.total),
                out_of=_number(definition.total_range[1]),
                band=row.band.replace("_", " "),
            )
        )
    return lines


# --- the menu's counts ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MenuCounts:
    consents: int  # published consents the portal asks for, not yet signed (consent_queries.to_sign)
    messages: int  # the care team's messages the patient has not opened
    documents: int  # documents the clinic put on the chart since the patient last opened their documents
    home_dose: bool = False  # enrolled in the supervised home programme: the menu offers the home-dose check-in


def menu_counts(patient: Patient) -> MenuCounts:
    """The badges on the portal's menu, read for the signed-in patient only (filtered in each query)."""
    unread = Message.objects.filter(
        thread__patient_id=patient.pk, author__isnull=False, read_at__isnull=True, entered_in_error=False
    ).count()
    last_seen = (
        AuditEvent.objects.filter(patient_id=patient.pk, action="portal.view", detail__page="documents")
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )
    new = ChartDocument.objects.filter(patient_id=patient.pk, entered_in_error=False, source=ChartDocument.Source.STAFF)
    if last_seen is not None:
        new = new.filter(uploaded_at__gt=last_seen)
    return MenuCounts(
        consents=len(consent_queries.to_sign(patient)),
        messages=unread,
        documents=new.count(),
        home_dose=home_queries.active_programme(patient) is not None,
    )
