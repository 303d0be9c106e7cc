"""Esketamine (Spravato) REMS: the Patient Monitoring Form assembled from the session, its 7-calendar-day deadline,
and recording that it was submitted with the REMS confirmation reference (clinical-rules.md §3 "REMS").

The form's fields: dose, lot number(s), blood pressure before dosing, at ~40 min and before leaving, pulse oximetry,
sedation, dissociation and respiratory depression (and whether each resolved), concomitant benzodiazepines, sedatives,
stimulants, MAOIs and opioids, and the total monitoring time. ketaclinic does not transmit the form: the clinic
submits it on the REMS portal and records the confirmation here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.audit import services as audit
from ketaclinic.domain import eligibility
from ketaclinic.domain import sessions as chairside
from ketaclinic.infusions.models import SideEffect, TreatmentSession
from ketaclinic.infusions.services.common import finish_write, moment, open_write, protocol_for

CONCOMITANT_CLASSES = {
    "benzodiazepine": "benzodiazepines",
    "z_drug": "sedatives (Z-drugs)",
    "barbiturate": "sedatives (barbiturates)",
    "psychostimulant": "stimulants",
    "maoi": "MAOIs",
    "opioid": "opioids",
}
"""The concomitant drug groups the form asks about, from the eligibility drug-class table (clinical-rules.md §2)."""


def _effect(session: TreatmentSession, effect: str, *, flagged: bool) -> dict[str, Any]:
    """Present: seen in the readings or scales, or recorded as a side effect. Resolved: no such side effect is still
    ongoing and the discharge assessment found it absent (None while the patient has not been discharged)."""
    rows = list(session.side_effects.filter(effect=effect, entered_in_error=False))
    present = flagged or bool(rows)
    at_discharge = (session.discharge_assessment or {}).get(effect)
    ongoing = any(r.outcome == SideEffect.Outcome.ONGOING for r in rows)
    resolved = None if not present or at_discharge is None else (at_discharge is False and not ongoing)
    return {"present": present, "resolved": resolved}


def _bp(point: chairside.BpPoint | None) -> dict[str, Any] | None:
    if point is None:
        return None
    return {"t_min": round(point.t_min), "systolic_mmhg": point.systolic_mmhg, "diastolic_mmhg": point.diastolic_mmhg}


def rems_form(session: TreatmentSession) -> dict[str, Any]:
    """The Patient Monitoring Form's data as the record holds it now (what is missing is None)."""
    protocol = protocol_for(session)
    readings = list(session.readings.filter(entered_in_error=False).order_by("taken_at", "pk"))
    points = [
        chairside.BpPoint(session.t_min(r.taken_at) or 0.0, float(r.systolic_mmhg), float(r.diastolic_mmhg))
        for r in readings
        if r.systolic_mmhg is not None
        and r.diastolic_mmhg is not None
        and session.started_at is not None
        and (session.discharged_at is None or r.taken_at <= session.discharged_at)
    ]
    checkpoint = max([c for c in protocol.vitals_checkpoints_min if c > 0] or [40])
    bp = chairside.rems_blood_pressure(points, checkpoint_min=checkpoint)
    spo2 = [r.spo2_percent for r in readings if r.spo2_percent is not None]
    post = [r for r in readings if session.started_at and r.taken_at > session.started_at]
    base_moaas = next((r.moaas for r in reversed(readings) if r not in post and r.moaas is not None), None)
    sedated = any(
        (r.moaas is not None and base_moaas is not None and r.moaas < base_moaas) or (r.rass is not None and r.rass < 0)
        for r in post
    )
    resp = any(a.code in ("respiratory_rate_low", "spo2_low") for a in session.alerts.all())
    cadss = list(session.scores.filter(instrument="cadss", entered_in_error=False).order_by("taken_at"))
    timed = [(session.t_min(s.taken_at) or 0.0, s.total) for s in cadss]
    pre_cadss = next((total for t, total in reversed(timed) if t <= 0), None)
    # Dissociation is the change from the pre-dose CADSS (instruments.md); without one, any post-dose score above 0.
    dissociated = any(total > (pre_cadss or 0) for t, total in timed if t > 0)
    concomitant: dict[str, list[str]] = {}
    for medication in session.patient.medications.filter(entered_in_error=False, stopped_on__isnull=True):
        for cls in eligibility.drug_classes_of(medication.generic_name):
            if cls in CONCOMITANT_CLASSES:
                concomitant.setdefault(CONCOMITANT_CLASSES[cls], []).append(medication.generic_name)
    administrations = list(session.administrations.all())
    end = session.discharged_at
    return {
        "patient": session.patient.full_name,
        "date": timezone.localdate(session.started_at).isoformat() if session.started_at else None,
        "dose_mg": str(session.order.dose_mg),
        "devices": len(administrations),
        "lot_numbers": sorted({a.lot_number for a in administrations}),
        "bp_before_dosing": _bp(bp.before_dosing),
        "bp_at_40_min": _bp(bp.near_checkpoint),
        "bp_before_leaving": _bp(bp.before_leaving),
        "pulse_oximetry": {"monitored": bool(spo2), "lowest_spo2_percent": min(spo2) if spo2 else None},
        "sedation": _effect(session, SideEffect.Effect.SEDATION, flagged=sedated),
        "dissociation": _effect(session, SideEffect.Effect.DISSOCIATION, flagged=dissociated),
        "respiratory_depression": _effect(session, SideEffect.Effect.RESPIRATORY_DEPRESSION, flagged=resp),
        "concomitant": concomitant,
        "total_monitoring_min": round(session.t_min(end) or 0) if end and session.started_at else None,
    }


def missing_fields(form: dict[str, Any]) -> list[str]:
    labels = {
        "bp_before_dosing": "BP before dosing",
        "bp_at_40_min": "BP at ~40 min",
        "bp_before_leaving": "BP before leaving",
        "total_monitoring_min": "total monitoring time (discharge first)",
    }
    return [label for key, label in labels.items() if form.get(key) is None]


def status(session: TreatmentSession, today: dt.date | None = None) -> chairside.RemsStatus | None:
    if not session.is_esketamine or session.rems_due_on is None:
        return None
    return chairside.rems_status(
        due_on=session.rems_due_on, today=today or timezone.localdate(), submitted=session.rems_submitted_at is not None
    )


def outstanding(sessions: QuerySet[TreatmentSession]) -> QuerySet[TreatmentSession]:
    """Esketamine sessions whose form is still to be submitted, soonest deadline first."""
    return (
        sessions.filter(route="intranasal_esketamine", rems_due_on__isnull=False, rems_submitted_at__isnull=True)
        .exclude(status="cancelled")
        .order_by("rems_due_on", "pk")
    )


@transaction.atomic
def submit(
    *,
    by: User,
    session: TreatmentSession,
    version: int | None,
    confirmation: str,
    submitted_at: dt.datetime | None = None,
) -> TreatmentSession:
    """Record that the form was submitted on the REMS portal, with its confirmation reference; the form is kept as
    submitted. Allowed once the patient is discharged (also after the note is signed)."""
    locked, _ = open_write(
        by=by,
        session=session,
        version=version,
        capability="sessions.sign",
        statuses=[TreatmentSession.Status.DISCHARGED, TreatmentSession.Status.SIGNED],
        allow_signed=True,
    )
    if not locked.is_esketamine:
        raise ServiceError("Only esketamine sessions have a REMS Patient Monitoring Form.")
    if locked.rems_submitted_at is not None:
        raise ValidationError({"__all__": "The REMS form of this session was already recorded as submitted."})
    confirmation = confirmation.strip()
    if not confirmation:
        raise ValidationError({"confirmation": "Enter the confirmation reference the REMS portal gave."})
    form = rems_form(locked)
    missing = missing_fields(form)
    if missing:
        raise ValidationError({"__all__": "The form is incomplete: " + ", ".join(missing) + "."})
    locked.rems_submitted_at = moment(
        submitted_at, field="submitted_at", not_before=locked.discharged_at, what="discharge"
    )
    locked.rems_submitted_by, locked.rems_confirmation = by, confirmation[:60]
    locked.rems_form = form
    finish_write(locked, fields=["rems_submitted_at", "rems_submitted_by", "rems_confirmation", "rems_form"])
    audit.record(
        actor=by,
        action="session.rems_submitted",
        obj=locked,
        patient_id=locked.patient_id,
        detail={"confirmation": locked.rems_confirmation, "due_on": str(locked.rems_due_on)},
    )
    return locked


__all__ = ["CONCOMITANT_CLASSES", "missing_fields", "outstanding", "rems_form", "status", "submit"]
