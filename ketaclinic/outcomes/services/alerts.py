"""Raising, acknowledging and escalating safety alerts: keyword-only, atomic, audited; e-mail goes out after commit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, models, transaction
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can, roles_with
from ketaclinic.audit import services as audit
from ketaclinic.locking import lock
from ketaclinic.outcomes.models import SafetyAlert
from ketaclinic.patients.models import Patient

NOTE_MAX_CHARS = 2000


def _can_receive(user: User | None, patient: Patient) -> bool:
    return (
        user is not None
        and user.is_active
        and role_can(user.role, "alerts.view")
        and user.locations.filter(pk=patient.location_id).exists()
    )


def addressee_for(patient: Patient, recorder: User | None) -> tuple[User | None, str]:
    """The patient's primary clinician; if there is none who can see the patient, the clinician who recorded the
    screen; if neither, nobody in particular (the alert then shows to every clinician at the patient's location)."""
    if _can_receive(patient.primary_clinician, patient):
        return patient.primary_clinician, SafetyAlert.Assignment.PRIMARY_CLINICIAN
    if _can_receive(recorder, patient):
        return recorder, SafetyAlert.Assignment.RECORDER
    return None, SafetyAlert.Assignment.UNASSIGNED


def _mail(alert_id: int, severity: str, action: str, address: str) -> None:
    # No patient identifiers in an e-mail: it says where to look, the application shows who.
    send_mail(
        subject="ketaclinic: a safety alert needs your review",
        message=(
            f"A suicide-risk screen is positive (severity: {severity}).\n"
            f"Recommended action: {action}\n\n"
            f"Sign in to ketaclinic and open Alerts (alert #{alert_id}). Acknowledge it there with your follow-up.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[address],
    )


@transaction.atomic
def raise_alert(
    *,
    by: User | None,
    patient: Patient,
    kind: str,
    severity: str,
    instrument: str,
    score_total: float | None,
    score_band: str,
    source: models.Model,
    message: str,
    recommended_action: str,
) -> SafetyAlert:
    """Record an alert for the patient's primary clinician (or the fallback of ``addressee_for``) and e-mail them
    after the transaction commits."""
    if kind not in SafetyAlert.Kind.values:
        raise ValueError(f"unknown alert kind {kind!r}")
    if severity not in SafetyAlert.Severity.values:
        raise ValueError(f"unknown alert severity {severity!r}")
    assigned_to, assignment = addressee_for(patient, by)
    alert = SafetyAlert.objects.create(
        patient=patient,
        kind=kind,
        severity=severity,
        instrument=instrument,
        score_total=score_total,
        score_band=score_band,
        source_type=source._meta.label_lower,
        source_id=source.pk,
        message=message,
        recommended_action=recommended_action,
        assigned_to=assigned_to,
        assignment=assignment,
        raised_by=by,
    )
    audit.record(
        actor=by,
        action="alert.raise",
        obj=alert,
        patient_id=patient.pk,
        detail={
            "kind": kind,
            "severity": severity,
            "instrument": instrument,
            "assigned_to": assigned_to.pk if assigned_to else None,
            "assignment": assignment,
        },
    )
    if assigned_to is not None and assigned_to.email:
        label = alert.get_severity_display()
        address = assigned_to.email
        transaction.on_commit(lambda: _mail(alert.pk, label, recommended_action, address), robust=True)
    return alert


@transaction.atomic
def acknowledge_alert(*, by: User, alert: SafetyAlert, follow_up_note: str) -> SafetyAlert:
    """A clinician confirms they acted on the alert; the follow-up note says what was done. Once only."""
    if not role_can(by.role, "alerts.acknowledge"):
        raise PermissionDenied("Your role may not acknowledge alerts (alerts.acknowledge).")
    if not by.locations.filter(pk=alert.patient.location_id).exists():
        raise PermissionDenied("This patient is not at one of your locations.")
    note = follow_up_note.strip()
    if not note:
        raise ValidationError({"follow_up_note": "Say what you did or arranged in response to this alert."})
    if len(note) > NOTE_MAX_CHARS:
        raise ValidationError({"follow_up_note": f"Keep the note under {NOTE_MAX_CHARS} characters."})
    locked = lock(SafetyAlert).get(pk=alert.pk)
    if locked.acknowledged_at is not None:
        raise ValidationError({"__all__": "This alert has already been acknowledged."})
    locked.acknowledged_by = by
    locked.acknowledged_at = timezone.now()
    locked.follow_up_note = note
    locked.save(update_fields=["acknowledged_by", "acknowledged_at", "follow_up_note"])
    audit.record(
        actor=by,
        action="alert.acknowledge",
        obj=locked,
        patient_id=locked.patient_id,
        detail={"assigned_to_self": locked.assigned_to_id == by.pk},
    )
    return locked


# --- Escalation ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Escalation:
    """One alert escalated by ``escalate_overdue_alerts``: who it went to (usernames; empty when nobody could be
    addressed) and how long it had been open."""

    alert_id: int
    minutes_open: int
    escalated_to: tuple[str, ...]


def escalation_minutes() -> int:
    """KETACLINIC_ALERT_ESCALATION_MINUTES (clinic policy, a setting): how long an alert may stay unacknowledged."""
    return int(settings.KETACLINIC_ALERT_ESCALATION_MINUTES)


def admins_for(patient: Patient) -> list[User]:
    """The active users whose role holds ``alerts.escalated`` (clinic admins) at the patient's location."""
    return list(
        User.objects.filter(
            is_active=True,
            role__in=[str(role) for role in roles_with("alerts.escalated")],
            locations=patient.location_id,
        )
        .distinct()
        .order_by("pk")
    )


def _escalation_mail(alert_id: int, minutes_open: int, severity: str, address: str) -> None:
    # Like _mail: no patient identifiers, only where to look.
    send_mail(
        subject="ketaclinic: a safety alert has not been acknowledged",
        message=(
            f"A suicide-risk alert (severity: {severity}) has been open for {minutes_open} minutes without a "
            "clinician's acknowledgement.\n"
            f"Sign in to ketaclinic and open Alerts (alert #{alert_id}) to see who it is assigned to, and make sure a "
            "clinician acts on it today. Acknowledging it stays with the clinician.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[address],
    )


def _due_alerts(cutoff: dt.datetime) -> models.QuerySet[SafetyAlert]:
    due = SafetyAlert.objects.filter(
        acknowledged_at__isnull=True, escalated_at__isnull=True, created_at__lte=cutoff
    ).order_by("created_at", "pk")
    if connection.features.has_select_for_update_skip_locked:
        # Two cron runs at once (PostgreSQL): each takes the alerts the other has not locked; none is escalated twice.
        # SQLite has no row locks; its IMMEDIATE transactions already serialise writers.
        due = due.select_for_update(skip_locked=True, of=("self",))
    return due


@transaction.atomic
def escalate_overdue_alerts(*, now: dt.datetime | None = None) -> list[Escalation]:
    """Escalate, once, every alert still unacknowledged KETACLINIC_ALERT_ESCALATION_MINUTES after it was raised.

    It goes to the clinic admins at the patient's location (in-app: ``escalated_to``; e-mail after commit). With no
    such admin it is still marked escalated, to nobody, and the audit log says so. Acknowledging remains a clinical
    action (``acknowledge_alert``): escalation only makes sure somebody sees that no clinician has yet. Idempotent:
    an escalated alert is never picked again, so this is safe to run from cron every few minutes.
    """
    moment = now or timezone.now()
    minutes = escalation_minutes()
    done: list[Escalation] = []
    for alert in _due_alerts(moment - dt.timedelta(minutes=minutes)):
        patient = Patient.objects.get(pk=alert.patient_id)
        admins = admins_for(patient)
        minutes_open = int((moment - alert.created_at).total_seconds() // 60)
        alert.escalated_at = moment
        alert.save(update_fields=["escalated_at"])
        alert.escalated_to.set(admins)
        audit.record(
            actor=None,
            action="alert.escalate",
            obj=alert,
            patient_id=alert.patient_id,
            detail={
                "escalated_to": [admin.pk for admin in admins],
                "nobody": not admins,
                "minutes_open": minutes_open,
                "after_minutes": minutes,
                "assigned_to": alert.assigned_to_id,
            },
        )
        severity = alert.get_severity_display()
        for admin in admins:
            if admin.email:
                transaction.on_commit(
                    partial(_escalation_mail, alert.pk, minutes_open, severity, admin.email), robust=True
                )
        done.append(Escalation(alert.pk, minutes_open, tuple(admin.username for admin in admins)))
    return done
