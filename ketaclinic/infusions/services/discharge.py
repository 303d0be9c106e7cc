"""Discharge and the session note: the discharge score (modified Aldrete or PADSS) and ``domain.monitoring``'s
readiness rules (≥ the protocol's score; esketamine also ≥ 120 min after dosing, BP falling and stable, no sedation,
dissociation or respiratory depression); the escort and the driving rule; then the note, assembled from the record,
signed by a clinician and locked (clinical-rules.md §4 "Discharge"; ARCHITECTURE.md "Signed means locked")."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.audit import services as audit
from ketaclinic.domain import instruments, monitoring
from ketaclinic.infusions.models import SessionScore, TreatmentSession
from ketaclinic.infusions.services.common import (
    finish_write,
    instrument_errors,
    moment,
    open_write,
    protocol_for,
    within,
)
from ketaclinic.infusions.services.notes import assemble_note
from ketaclinic.scheduling import services as calendar
from ketaclinic.scheduling.models import Appointment

DISCHARGE_SCALES = ("aldrete", "padss")
EARLY_HINT = " Earlier discharge needs the prescriber's written reason."
STANDARD_INSTRUCTIONS = (
    "Go home with the responsible adult named below; rest for the remainder of the day.",
    "Do not make important decisions, drink alcohol or take sedating medicines not prescribed today.",
    "Call the clinic, or 911 in an emergency, for chest pain, severe headache, confusion or thoughts of self-harm.",
)


def instructions_for(session: TreatmentSession) -> list[str]:
    """The discharge instructions: the protocol's no-driving rule first (label or clinic setting), then the rest."""
    protocol = protocol_for(session)
    basis = "Spravato label" if protocol.no_driving_basis == "label" else "clinic setting"
    return [f"{protocol.no_driving_rule} ({basis})", *STANDARD_INSTRUCTIONS]


def post_dose_bp(session: TreatmentSession, *, until: dt.datetime | None = None) -> list[monitoring.VitalSigns]:
    readings = session.readings.filter(
        entered_in_error=False, systolic_mmhg__isnull=False, diastolic_mmhg__isnull=False
    )
    if session.started_at is not None:
        readings = readings.filter(taken_at__gt=session.started_at)
    if until is not None:
        readings = readings.filter(taken_at__lte=until)
    return [r.as_vital_signs() for r in readings.order_by("taken_at", "pk")]


def end_of_dosing(session: TreatmentSession) -> dt.datetime | None:
    """When dosing ended: the end of an IV infusion (None while it runs), otherwise the start of dosing."""
    return session.infusion_ended_at if session.is_infusion else session.started_at


def observation(session: TreatmentSession, *, at: dt.datetime) -> monitoring.ObservationCheck | None:
    """The protocol's minimum observation after the end of dosing (IV and IM: a clinic policy; esketamine's label
    minimum is checked by ``discharge_readiness`` itself); None when the protocol sets none or dosing has not ended."""
    protocol = protocol_for(session)
    ended = end_of_dosing(session)
    if session.is_esketamine or not protocol.min_observation_min or ended is None:
        return None
    return monitoring.observation_check(
        minutes_since_end_of_dosing=max((at - ended).total_seconds() / 60, 0),
        minimum_min=protocol.min_observation_min,
        basis=protocol.min_observation_basis,
    )


def earliest_discharge(session: TreatmentSession) -> dt.datetime | None:
    """The end of dosing plus the protocol's minimum observation (the chair page's "not before")."""
    minimum = protocol_for(session).min_observation_min
    ended = end_of_dosing(session)
    return ended + dt.timedelta(minutes=minimum) if ended and minimum else None


def readiness(
    session: TreatmentSession,
    *,
    at: dt.datetime,
    scores: dict[str, float],
    sedation: bool | None,
    dissociation: bool | None,
    respiratory_depression: bool | None,
    early_allowed: bool = False,
) -> monitoring.DischargeReadiness:
    """``domain.monitoring.discharge_readiness`` for this session at ``at``, plus what the record itself requires:
    an ended infusion, no open alert, and the protocol's minimum observation after the end of dosing (waived only
    with ``early_allowed``: a prescriber's written reason)."""
    protocol = protocol_for(session)
    minimum = max(protocol.min_observation_min or 0, monitoring.ESKETAMINE_MIN_OBSERVATION_MIN)
    result = monitoring.discharge_readiness(
        aldrete_total=int(scores["aldrete"]) if "aldrete" in scores else None,
        padss_total=int(scores["padss"]) if "padss" in scores else None,
        score_threshold=protocol.discharge_score_min,
        esketamine=session.is_esketamine,
        # Whole minutes, rounded down: 119.9 min is not yet 120 (and the message reads "119 min").
        minutes_since_dosing=math.floor(session.t_min(at) or 0) if session.started_at else None,
        bp_readings=post_dose_bp(session, until=at),
        sedation=sedation,
        dissociation=dissociation,
        respiratory_depression=respiratory_depression,
        min_observation_min=minimum,
    )
    unmet = list(result.unmet)
    if session.status == TreatmentSession.Status.INFUSING:
        unmet.insert(0, "The infusion is still running: end it first.")
    observed = observation(session, at=at)
    if observed is not None and not observed.met and not early_allowed:
        unmet.append(observed.message + EARLY_HINT)
    open_alerts = session.alerts.filter(acknowledged_at__isnull=True).count()
    if open_alerts:
        unmet.append(f"{open_alerts} alert{'s are' if open_alerts > 1 else ' is'} not acknowledged.")
    return monitoring.DischargeReadiness(ready=not unmet, unmet=tuple(unmet))


@transaction.atomic
def discharge_patient(
    *,
    by: User,
    session: TreatmentSession,
    version: int | None,
    scale: str,
    answers: Sequence[object],
    sedation: bool | None,
    dissociation: bool | None,
    respiratory_depression: bool | None,
    escort_name: str,
    instructions_given: bool,
    discharged_at: Any = None,
    early_discharge_reason: str = "",
    token: uuid.UUID | None = None,
) -> TreatmentSession:
    """Score the discharge scale and discharge when every criterion is met; otherwise refuse, listing each unmet
    criterion, and write nothing. The session note is assembled from the record.

    Before the protocol's minimum observation after the end of dosing (IV and IM: a clinic policy), only a
    prescriber may discharge, with ``early_discharge_reason`` (kept on the session, in the note and in the audit
    event). Esketamine's 2 h is the label's and is never waived."""
    locked, replay = open_write(
        by=by, session=session, version=version, token=token, statuses=[TreatmentSession.Status.OBSERVATION]
    )
    if replay is not None:
        return locked
    if scale not in DISCHARGE_SCALES:
        raise ValidationError({"scale": "Choose the modified Aldrete or PADSS."})
    limit = TreatmentSession._meta.get_field("discharge_escort_name").max_length or 200
    escort_name = within(escort_name, limit=limit, field="escort_name")
    protocol = protocol_for(locked)
    try:
        score = instruments.score(scale, list(answers), discharge_threshold=protocol.discharge_score_min)
    except instruments.InvalidAnswers as exc:
        raise instrument_errors(exc) from None
    when = moment(discharged_at, field="discharged_at", not_before=locked.started_at, what="the start")
    observed = observation(locked, at=when)
    early = observed is not None and not observed.met
    early_discharge_reason = early_discharge_reason.strip() if early else ""
    prescriber = by.role == "prescriber" or by.is_superuser
    result = readiness(
        locked,
        at=when,
        scores={scale: float(score.total)},
        sedation=sedation,
        dissociation=dissociation,
        respiratory_depression=respiratory_depression,
        early_allowed=bool(early_discharge_reason) and prescriber,
    )
    errors: dict[str, list[str]] = {}
    if early and not prescriber:
        errors["early_discharge_reason"] = [
            "Only a prescriber can discharge before the minimum observation, with a written reason."
        ]
    elif early and not early_discharge_reason:
        errors["early_discharge_reason"] = ["Write why the patient may leave before the minimum observation."]
    if not result.ready:
        errors["__all__"] = ["Not ready for discharge:", *result.unmet]
    if not escort_name.strip():
        errors["escort_name"] = ["Name the responsible adult who takes the patient home."]
    if not instructions_given:
        errors["instructions_given"] = ["Give the discharge instructions (including the driving rule) first."]
    if errors:
        raise ValidationError(errors)
    row = SessionScore.objects.create(
        session=locked,
        instrument=scale,
        answers=list(score.answers),
        total=float(score.total),
        band="",
        flags=sorted(score.flags),
        taken_at=when,
        recorded_by=by,
    )
    locked.status = TreatmentSession.Status.DISCHARGED
    locked.discharged_at, locked.discharged_by = when, by
    locked.discharge_escort_name = escort_name
    locked.discharge_instructions = "\n".join(instructions_for(locked))
    locked.discharge_assessment = {
        "scale": scale,
        "total": score.total,
        "threshold": protocol.discharge_score_min,
        "sedation": sedation,
        "dissociation": dissociation,
        "respiratory_depression": respiratory_depression,
        "monitoring_min": round(locked.t_min(when) or 0),
    }
    if observed is not None:
        locked.discharge_assessment.update(
            observed_after_dosing_min=observed.minutes_observed,
            minimum_observation_min=observed.minimum_min,
            minimum_observation_basis=observed.basis,
        )
    locked.early_discharge_reason = early_discharge_reason
    locked.note_text = assemble_note(locked)
    finish_write(
        locked,
        token=token,
        kind="discharge",
        obj=row,
        fields=[
            "status",
            "discharged_at",
            "discharged_by",
            "discharge_escort_name",
            "discharge_instructions",
            "discharge_assessment",
            "early_discharge_reason",
            "note_text",
        ],
    )
    audit.record(
        actor=by,
        action="session.discharge",
        obj=locked,
        patient_id=locked.patient_id,
        detail={
            "scale": scale,
            "total": score.total,
            "monitoring_min": locked.discharge_assessment["monitoring_min"],
            "early_discharge_reason": early_discharge_reason,
            **({"observed_after_dosing_min": observed.minutes_observed} if observed is not None else {}),
        },
    )
    return locked


@transaction.atomic
def sign_note(*, by: User, session: TreatmentSession, version: int | None) -> TreatmentSession:
    """Sign the session note: it is assembled once more from the record, then the session is locked.

    Signing is the moment the session counts as done (discharge still leaves the note open to correct): the
    appointment it was checked in from becomes completed in the same transaction (``scheduling.mark_completed``,
    audited ``schedule.complete``); a refusal by the calendar leaves the note unsigned."""
    locked, _ = open_write(
        by=by,
        session=session,
        version=version,
        capability="sessions.sign",
        statuses=[TreatmentSession.Status.DISCHARGED],
    )
    locked.note_signed_by, locked.note_signed_at = by, timezone.now()
    locked.status = TreatmentSession.Status.SIGNED
    locked.note_text = assemble_note(locked)
    finish_write(locked, fields=["note_signed_by", "note_signed_at", "status", "note_text"])
    audit.record(actor=by, action="session.sign", obj=locked, patient_id=locked.patient_id)
    if locked.appointment_id is not None:
        appointment = Appointment.objects.get(pk=locked.appointment_id)
        if appointment.status == Appointment.Status.CHECKED_IN:
            try:
                calendar.mark_completed(by=by, appointment=appointment)
            except PermissionDenied:
                raise
            except ServiceError as error:
                raise ValidationError({"__all__": error.message}) from error
    return locked


__all__ = [
    "DISCHARGE_SCALES",
    "discharge_patient",
    "earliest_discharge",
    "end_of_dosing",
    "instructions_for",
    "observation",
    "readiness",
    "sign_note",
]
