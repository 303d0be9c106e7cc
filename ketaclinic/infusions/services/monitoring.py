"""Vital signs with their alerts, alert acknowledgement, entered-in-error, and the timer to the next reading.

Every number comes from ``domain.monitoring``: plausibility (an impossible reading is refused, naming the field, and
raises no alert), the alert table and esketamine rules R1-R3 (``check_vitals`` against the pre-dose baseline;
``esketamine_predose_check``), the protocol's cadence (``cadence_for``, ``next_reading_due_min``, ``is_overdue``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError, fitted
from ketaclinic.accounts.models import User
from ketaclinic.audit import services as audit
from ketaclinic.domain import monitoring
from ketaclinic.domain import sessions as chairside
from ketaclinic.infusions.models import (
    RescueMedication,
    SessionAlert,
    SessionScore,
    SideEffect,
    TreatmentSession,
    VitalReading,
)
from ketaclinic.infusions.services import checklist
from ketaclinic.infusions.services.common import finish_write, moment, open_write, protocol_for, replayed
from ketaclinic.locking import lock
from ketaclinic.outcomes import services as outcomes

VITAL_FIELDS = (
    "systolic_mmhg",
    "diastolic_mmhg",
    "heart_rate_per_min",
    "spo2_percent",
    "respiratory_rate_per_min",
    "temperature_c",
    "moaas",
    "rass",
)
FIELD_LABELS = {
    "systolic_mmhg": "Systolic BP",
    "diastolic_mmhg": "Diastolic BP",
    "heart_rate_per_min": "Heart rate",
    "spo2_percent": "SpO2",
    "respiratory_rate_per_min": "Respiratory rate",
    "temperature_c": "Temperature",
    "moaas": "MOAA/S",
    "rass": "RASS",
}


SCHEDULED_LABELS = {
    "systolic_mmhg": "blood pressure",
    "diastolic_mmhg": "blood pressure",
    "heart_rate_per_min": "heart rate",
    "spo2_percent": "SpO2",
    "respiratory_rate_per_min": "respiratory rate",
}


def saved_message(reading: VitalReading) -> str:
    """What the nurse is told after saving: a sedation check or a partial set does not count as the scheduled
    reading, and says what is missing."""
    if reading.kind == VitalReading.Kind.VITALS:
        return "Vitals saved."
    protocol = protocol_for(reading.session)
    missing = monitoring.missing_for_scheduled(
        reading.as_vital_signs(), respiratory_rate_required=protocol.respiratory_rate_with_vitals
    )
    what = "Sedation check saved" if reading.kind == VitalReading.Kind.SEDATION else "Partial reading saved"
    needed = ", ".join(dict.fromkeys(SCHEDULED_LABELS[name] for name in missing))
    return f"{what}. It does not count as the scheduled vitals: still needed {needed}."


def implausible_message(exc: monitoring.ImplausibleVitals) -> str:
    """The domain's refusal in words for the nurse: what was entered, the accepted range, and that nothing was saved."""
    problem = str(exc).split(": ", 1)[-1].split(" (got ")[0]
    return f"{FIELD_LABELS.get(exc.field, exc.field)} {exc.value}: {problem}. Nothing was saved."


def _vital_signs(values: Mapping[str, Any]) -> monitoring.VitalSigns:
    unknown = set(values) - set(VITAL_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Not a vital sign."))
    present = {name: value for name, value in values.items() if value is not None and value != ""}
    if not present:
        raise ValidationError({"__all__": "Enter at least one reading."})
    numbers = {name: (float(value) if name == "temperature_c" else value) for name, value in present.items()}
    try:
        return monitoring.VitalSigns(**cast(dict[str, Any], numbers))
    except monitoring.ImplausibleVitals as exc:
        raise ValidationError({exc.field: implausible_message(exc)}) from None


def baseline(session: TreatmentSession) -> VitalReading | None:
    """The pre-dose reading the rise and sedation rules compare with: the last one before dosing."""
    readings = checklist.predose_readings(session) if session.started_at else []
    return readings[-1] if readings else None


@transaction.atomic
def record_vitals(
    *,
    by: User,
    session: TreatmentSession,
    version: int | None,
    values: Mapping[str, Any],
    taken_at: dt.datetime | None = None,
    note: str = "",
    token: uuid.UUID | None = None,
) -> VitalReading:
    """Record one set of vital signs and raise its alerts. The same ``token`` twice records once (a double tap or a
    retried request); an impossible value is refused with the field named, and nothing is saved."""
    locked, replay = open_write(by=by, session=session, version=version, token=token)
    if replay is not None:
        return replayed(VitalReading, replay)
    signs = _vital_signs(values)
    when = moment(taken_at, field="taken_at")
    # Only a full set is the scheduled reading: a sedation score alone is recorded as its own kind of entry and does
    # not reset the vitals timer (issue 15, item 7).
    kind = monitoring.reading_kind(signs, respiratory_rate_required=protocol_for(locked).respiratory_rate_with_vitals)
    reading = VitalReading(
        session=locked, taken_at=when, note=fitted(note, field="note", limit=200), recorded_by=by, kind=kind
    )
    for name in VITAL_FIELDS:
        value = values.get(name)
        setattr(reading, name, None if value in (None, "") else value)
    reading.save()
    post_dose = locked.started_at is not None and when > locked.started_at
    base = baseline(locked) if post_dose else None
    alerts = list(
        monitoring.check_vitals(
            signs, baseline=base.as_vital_signs() if base else None, esketamine=locked.is_esketamine
        )
    )
    if any(a.code in monitoring.SEDATION_CODES for a in alerts) and _sedation_unchanged(locked, reading, signs):
        alerts = list(monitoring.without_sedation(alerts))
    if not post_dose and locked.is_esketamine and signs.systolic_mmhg is not None and signs.diastolic_mmhg is not None:
        alerts += monitoring.esketamine_predose_check(signs)
    rows = [
        SessionAlert.objects.create(
            session=locked,
            reading=reading,
            code=alert.code,
            level=alert.level,
            parameter=alert.parameter,
            value=alert.value,
            threshold=alert.threshold,
            message=alert.message,
            action=alert.action,
            source=alert.source,
            raised_at=reading.recorded_at,
        )
        for alert in alerts
    ]
    finish_write(locked, token=token, kind="vitals", obj=reading)
    audit.record(
        actor=by,
        action="session.vitals",
        obj=reading,
        patient_id=locked.patient_id,
        detail={"alerts": [row.code for row in rows], "pre_dose": not post_dose, "kind": kind},
    )
    return reading


def _sedation_unchanged(session: TreatmentSession, reading: VitalReading, signs: monitoring.VitalSigns) -> bool:
    """Whether this reading's sedation state is the one the session's last sedation alert (open or acknowledged, not
    withdrawn with its reading) was raised for, unchanged in every reading since (issue 15: no repeat alerts)."""
    current = monitoring.sedation_state(signs)
    last = (
        SessionAlert.objects.filter(session=session, code__in=monitoring.SEDATION_CODES, reading__isnull=False)
        .exclude(reading__entered_in_error=True)
        .exclude(reading=reading)
        .select_related("reading")
        .order_by("-raised_at", "-pk")
        .first()
    )
    if current is None or last is None or last.reading is None:
        return False
    between = session.readings.filter(entered_in_error=False, taken_at__gt=last.reading.taken_at).exclude(
        pk__in=(reading.pk, last.reading.pk)
    )
    since = [state for r in between if (state := monitoring.sedation_state(r.as_vital_signs())) is not None]
    return monitoring.sedation_unchanged(
        current, last_alerted=monitoring.sedation_state(last.reading.as_vital_signs()), since=since
    )


def as_finding(row: SessionAlert) -> monitoring.Alert:
    """A stored alert row back as the domain's finding."""
    level: monitoring.AlertLevel = "stop" if row.level == SessionAlert.Level.STOP else "alert"
    return monitoring.Alert(
        row.code, level, row.parameter, row.value, row.threshold, row.message, row.action, row.source
    )


@dataclass(frozen=True)
class ReadingAlert:
    """The open alert of one reading as staff see and acknowledge it: every finding of the reading in one card
    (issue 15, alert fatigue). ``pk`` is the row the acknowledge form posts to (any row of the reading will do); the
    esketamine R1 alert stays on its own, as it needs the prescriber's risk/benefit note."""

    pk: int
    code: str
    rows: tuple[SessionAlert, ...]
    summary: monitoring.AlertSummary
    raised_at: dt.datetime

    @property
    def level(self) -> str:
        return self.summary.level

    def get_level_display(self) -> str:
        return self.summary.label

    @property
    def needs_prescriber(self) -> bool:
        return self.code == checklist.R1_CODE

    @property
    def message(self) -> str:
        return " ".join(self.summary.messages)

    @property
    def headline(self) -> str:
        """The first finding, and how many more (for the floor board's one line)."""
        more = len(self.summary.messages) - 1
        return self.summary.messages[0] + (f" (+{more} more finding{'s' if more > 1 else ''})" if more else "")


def _group_key(row: SessionAlert) -> tuple[Any, ...]:
    return ("r1", row.pk) if row.code == checklist.R1_CODE or row.reading_id is None else ("reading", row.reading_id)


def open_alerts(session: TreatmentSession) -> list[ReadingAlert]:
    """The session's open alerts, one per reading (stops first, then the newest)."""
    groups: dict[tuple[Any, ...], list[SessionAlert]] = {}
    for row in session.alerts.filter(acknowledged_at__isnull=True).order_by("raised_at", "pk"):
        groups.setdefault(_group_key(row), []).append(row)
    alerts = [
        ReadingAlert(
            pk=rows[0].pk,
            code=rows[0].code,
            rows=tuple(rows),
            summary=monitoring.summarise([as_finding(r) for r in rows]),
            raised_at=rows[0].raised_at,
        )
        for rows in groups.values()
    ]
    alerts.sort(key=lambda a: a.raised_at, reverse=True)
    alerts.sort(key=lambda a: a.level != "stop")
    return alerts


@transaction.atomic
def acknowledge_alert(
    *, by: User, session: TreatmentSession, version: int | None, alert: SessionAlert, note: str = ""
) -> SessionAlert:
    """The nurse has seen the alert and acted on its recommended action (``note`` says what was done).

    One reading is one alert: acknowledging any of its findings acknowledges every open finding of that reading with
    the same note. A stop-and-evaluate alert is refused without a note (``domain.monitoring.acknowledgement_refusal``),
    and nothing changes."""
    locked, _ = open_write(by=by, session=session, version=version, statuses=None)
    row = lock(SessionAlert).get(pk=alert.pk, session=locked)
    if row.acknowledged_at is not None:
        raise ValidationError({"__all__": "This alert has already been acknowledged."})
    if row.code == checklist.R1_CODE:
        raise ServiceError("This alert needs the prescriber's risk/benefit acknowledgement (esketamine rule R1).")
    rows = [row]
    if row.reading_id is not None:
        rows = list(
            lock(SessionAlert)
            .filter(session=locked, reading_id=row.reading_id, acknowledged_at__isnull=True)
            .exclude(code=checklist.R1_CODE)
            .order_by("raised_at", "pk")
        )
    summary = monitoring.summarise([as_finding(r) for r in rows])
    refusal = monitoring.acknowledgement_refusal(summary.level, note)
    if refusal:
        raise ValidationError({"note": refusal})
    now, text = timezone.now(), fitted(note, field="note", limit=2000)
    for each in rows:
        each.acknowledged_by, each.acknowledged_at, each.acknowledgement_note = by, now, text
        each.save(update_fields=["acknowledged_by", "acknowledged_at", "acknowledgement_note"])
    finish_write(locked)
    audit.record(
        actor=by,
        action="session.alert.acknowledge",
        obj=row,
        patient_id=locked.patient_id,
        detail={"code": row.code, "codes": [r.code for r in rows], "level": summary.level},
    )
    row.refresh_from_db()
    return row


CORRECTABLE: dict[str, type[Any]] = {
    "reading": VitalReading,
    "score": SessionScore,
    "side_effect": SideEffect,
    "rescue_medication": RescueMedication,
}


@transaction.atomic
def mark_entered_in_error(*, by: User, session: TreatmentSession, version: int | None, row: Any, reason: str) -> None:
    """Withdraw a wrong reading, score, side effect or rescue medication: kept, struck through, with who and why. The
    alerts of a withdrawn reading are closed with that reason."""
    locked, _ = open_write(by=by, session=session, version=version, statuses=None)
    if type(row) not in CORRECTABLE.values() or row.session_id != locked.pk:
        raise ValueError("this row cannot be marked entered in error here")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why this entry is wrong."})
    if row.entered_in_error:
        raise ValidationError({"__all__": "This entry is already marked entered in error."})
    now = timezone.now()
    type(row).objects.filter(pk=row.pk).update(
        entered_in_error=True, entered_in_error_reason=reason, entered_in_error_by=by, entered_in_error_at=now
    )
    if isinstance(row, VitalReading):
        row.alerts.filter(acknowledged_at__isnull=True).update(
            acknowledged_by=by, acknowledged_at=now, acknowledgement_note=f"Reading entered in error: {reason}"
        )
    if isinstance(row, SessionScore):  # its copy in the outcome series goes too (issue 8)
        outcomes.withdraw_measurements_of(by=by, source=row, reason=reason)
    finish_write(locked)
    audit.record(
        actor=by,
        action="session.entered_in_error",
        obj=row,
        patient_id=locked.patient_id,
        detail={"reason": reason},
    )


# --- The timer ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timer:
    """Where the session stands now: minutes since the start, when the next reading is due (None: as indicated),
    whether it is overdue, and the next CADSS time of the protocol."""

    elapsed_min: float | None
    next_due_at: dt.datetime | None
    due_in_s: int | None
    overdue: bool
    cadss_due_min: int | None
    cadss_overdue: bool


def timer(session: TreatmentSession, *, now: dt.datetime | None = None) -> Timer:
    now = now or timezone.now()
    if session.status not in ("check_in", "infusing", "observation"):
        return Timer(session.t_min(session.discharged_at or now), None, None, False, None, False)
    protocol = protocol_for(session)
    # The cadence is met by full sets only: a sedation check or a partial set leaves the next reading due.
    readings = list(
        session.readings.filter(entered_in_error=False, kind=VitalReading.Kind.VITALS).order_by("taken_at", "pk")
    )
    if session.started_at is None:
        due_at = None if readings else now
        return Timer(None, due_at, 0 if due_at else None, False, None, False)
    now_min = (now - session.started_at).total_seconds() / 60
    last_min = session.t_min(readings[-1].taken_at) if readings else None
    cadence = monitoring.cadence_for(protocol)
    end_min = _infusion_end_min(session, last_min)
    due_min = monitoring.next_reading_due_min(cadence, last_reading_min=last_min, infusion_end_min=end_min)
    overdue = monitoring.is_overdue(cadence, now_min=now_min, last_reading_min=last_min, infusion_end_min=end_min)
    due_at = session.started_at + dt.timedelta(minutes=due_min) if due_min is not None else None
    done = [session.t_min(s.taken_at) or 0.0 for s in session.scores.filter(instrument="cadss", entered_in_error=False)]
    # Once dosing has started, a missed pre-dose CADSS can no longer be taken: the timer looks at the later times.
    later = [c for c in protocol.cadss_checks_min if c > 0]
    cadss_due, cadss_overdue, _ = chairside.checks_due(later, done_min=done, now_min=now_min)
    return Timer(
        elapsed_min=now_min,
        next_due_at=due_at,
        due_in_s=int((due_at - now).total_seconds()) if due_at else None,
        overdue=overdue,
        cadss_due_min=cadss_due,
        cadss_overdue=cadss_overdue,
    )


def _infusion_end_min(session: TreatmentSession, last_min: float | None) -> float | None:
    """The infusion's end for the cadence: its real end once it has ended; while it runs, after the last reading (so
    that reading counts as during the infusion); None for routes without an infusion."""
    if not session.is_infusion:
        return None
    if session.infusion_ended_at is not None:
        return session.t_min(session.infusion_ended_at)
    return (last_min or 0.0) + 1.0
