"""The patient's own answers about a booked appointment, from the patient portal: confirm it with the pre-visit
checklist, or ask the clinic to cancel it or find another time.

The checklist is the one the reminders send (``domain/scheduling/reminders.py``, sources in knowledge/scheduling.md
§5: esketamine label material [S32], PI §17 [S33]; the ride home after IV/IM ketamine is clinic policy [S34]). The
answers are stored as a ``PreVisitConfirmation`` and the chair's check-in shows them as "confirmed by the patient at
…". A confirmation or request is also an ``AppointmentMessage`` of kind ``portal``, so the day view's confirmed mark
and the front desk's "Patients asking for another time" queue read it exactly like an answer to a reminder link.

The patient is the caller (the portal's session has already established who they are); ``actor`` is therefore None in
the audit log and the patient is its subject, as for the reminder link (``services/reminders.py``). Every refusal
raises ``ServiceError`` and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.audit import services as audit
from ketaclinic.domain.scheduling import reminders as plan
from ketaclinic.locking import lock
from ketaclinic.patients.models import PHONE
from ketaclinic.scheduling.models import Appointment, AppointmentMessage, PreVisitConfirmation
from ketaclinic.scheduling.queries import settings_for
from ketaclinic.scheduling.services.reminders import NOTE_MAX_CHARS, checklist_for, hash_token

Response = AppointmentMessage.Response
NAME_MAX_CHARS = 100


@dataclass(frozen=True)
class Answers:
    """What the patient ticked and typed. ``None`` where the checklist does not ask (no such topic)."""

    fasting_as_instructed: bool | None = None
    medicines_held: bool | None = None
    ride_home_name: str = ""
    ride_home_phone: str = ""


def plain_text(value: str, *, field: str, label: str, max_chars: int) -> str:
    """Trimmed free text; markup and over-long text are refused with a message saying what to do."""
    value = (value or "").strip()
    if "<" in value or ">" in value:
        raise ServiceError(f"{label}: please write plain text, without < or >.", field=field)
    if len(value) > max_chars:
        raise ServiceError(f"{label}: please keep it under {max_chars} characters.", field=field)
    return value


def _booked_future(appointment: Appointment, now: dt.datetime) -> Appointment:
    current = lock(Appointment.objects.filter(pk=appointment.pk)).get()
    if current.status != Appointment.Status.BOOKED or current.starts_at <= now:
        raise ServiceError("This appointment can no longer be changed here. Please call the clinic.")
    return current


def _portal_message(appointment: Appointment, now: dt.datetime) -> AppointmentMessage:
    """The appointment's portal answer row, created on first use (never a usable link: its token is thrown away)."""
    message = lock(AppointmentMessage.objects.filter(appointment=appointment, kind=AppointmentMessage.Kind.PORTAL))
    found = message.first()
    if found is not None:
        return found
    return AppointmentMessage.objects.create(
        appointment=appointment,
        kind=AppointmentMessage.Kind.PORTAL,
        token_hash=hash_token(secrets.token_urlsafe(32)),
        expires_at=appointment.starts_at,
        channel="portal",
        sent_at=now,
    )


def _check_answers(appointment: Appointment, answers: Answers) -> tuple[list[str], Answers]:
    items = checklist_for(appointment)
    topics = plan.topics(items)
    errors: dict[str, str] = {}
    if plan.FASTING in topics and answers.fasting_as_instructed is not True:
        errors["fasting"] = "Please confirm you will fast as the checklist says, or call the clinic."
    if plan.MEDICINES in topics and answers.medicines_held is not True:
        errors["medicines"] = "Please confirm you will take your nasal medicine as the checklist says."
    name, phone = "", ""
    if plan.RIDE_HOME in topics:
        try:
            name = plain_text(
                answers.ride_home_name, field="ride_home_name", label="Driver's name", max_chars=NAME_MAX_CHARS
            )
        except ServiceError as bad:
            errors["ride_home_name"] = bad.message
        else:
            if not name:
                errors["ride_home_name"] = "Enter the name of the person who will take you home."
        phone = (answers.ride_home_phone or "").strip()
        try:
            PHONE(phone)
        except ValidationError:
            errors["ride_home_phone"] = "Enter your driver's phone number (7 to 20 digits; spaces and dashes allowed)."
    if errors:
        raise ValidationError(errors)
    return [item.text for item in items], Answers(
        fasting_as_instructed=True if plan.FASTING in topics else None,
        medicines_held=True if plan.MEDICINES in topics else None,
        ride_home_name=name,
        ride_home_phone=phone,
    )


def confirm(*, appointment: Appointment, answers: Answers, now: dt.datetime | None = None) -> PreVisitConfirmation:
    """The patient confirms a booked, future appointment with the checklist's answers (``ValidationError`` naming each
    missing answer; ``ServiceError`` when the appointment cannot be confirmed). Audited with the patient as subject."""
    moment = now or timezone.now()
    with transaction.atomic():
        current = _booked_future(appointment, moment)
        if PreVisitConfirmation.objects.filter(appointment=current).exists():
            raise ServiceError("You have already confirmed this appointment.")
        shown, clean = _check_answers(current, answers)
        message = _portal_message(current, moment)
        if message.response in AppointmentMessage.REQUESTS and message.handled_at is None:
            raise ServiceError("You have asked the clinic about this appointment; the front desk will contact you.")
        confirmation = PreVisitConfirmation.objects.create(
            appointment=current,
            confirmed_at=moment,
            checklist=shown,
            fasting_as_instructed=clean.fasting_as_instructed,
            medicines_held=clean.medicines_held,
            ride_home_name=clean.ride_home_name,
            ride_home_phone=clean.ride_home_phone,
        )
        message.used_at, message.response, message.patient_note = moment, Response.CONFIRMED, ""
        message.save(update_fields=["used_at", "response", "patient_note"])
        audit.record(
            actor=None,
            action="schedule.patient_confirmed",
            obj=current,
            patient_id=current.patient_id,
            detail={"via": "portal", "checklist_items": len(shown), "ride_home": bool(clean.ride_home_name)},
        )
    return confirmation


def request_allowed(appointment: Appointment, now: dt.datetime | None = None) -> bool:
    """Whether the patient may still ask online: more than the clinic's notice period before the start.

    The notice period is ``SchedulingSettings.late_cancel_notice_h`` (CLINIC POLICY; no published standard, so no
    default): while the clinic has not set it, a request may be made until the appointment starts."""
    moment = now or timezone.now()
    if appointment.status != Appointment.Status.BOOKED or appointment.starts_at <= moment:
        return False
    notice_h = settings_for(appointment.location).late_cancel_notice_h
    return notice_h is None or appointment.starts_at - moment > dt.timedelta(hours=notice_h)


def ask(*, appointment: Appointment, answer: str, note: str = "", now: dt.datetime | None = None) -> AppointmentMessage:
    """The patient asks to cancel (``cancel``) or for another time (``reschedule``), with an optional note; the
    request goes to the front desk's queue. Inside the clinic's notice period the patient is asked to call."""
    if answer not in AppointmentMessage.REQUESTS:
        raise ServiceError("Choose whether to cancel or to ask for another time.", field="answer")
    clean_note = plain_text(note, field="note", label="Your note", max_chars=NOTE_MAX_CHARS)
    moment = now or timezone.now()
    with transaction.atomic():
        current = _booked_future(appointment, moment)
        if not request_allowed(current, moment):
            raise ServiceError("It is too close to your appointment to ask here. Please call the clinic.")
        message = _portal_message(current, moment)
        if message.response in AppointmentMessage.REQUESTS and message.handled_at is None:
            raise ServiceError("You have already asked about this appointment; the front desk will contact you.")
        message.used_at, message.response, message.patient_note = moment, answer, clean_note
        message.handled_at, message.handled_by = None, None
        message.save(update_fields=["used_at", "response", "patient_note", "handled_at", "handled_by"])
        audit.record(
            actor=None,
            action=f"schedule.patient_{answer}",
            obj=current,
            patient_id=current.patient_id,
            detail={"via": "portal", "message": message.pk, "note": bool(clean_note)},
        )
    return message
