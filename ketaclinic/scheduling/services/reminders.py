"""Appointment confirmations and reminders by e-mail or SMS, and the patient's one-time confirm/reschedule link
(issue 17 "Patients").

``run_reminders`` is what ``ketaclinic manage send_reminders`` (one of the ``ketaclinic jobs``) runs: for every
future booked appointment it sends the messages the domain says are due (a confirmation once booked; reminders at
``SchedulingSettings.reminder_early_hours`` and ``reminder_day_before_hours`` before the start). Each message is a row
of ``AppointmentMessage`` unique on (appointment, kind), inserted in the transaction that delivers it: a second runner
inserting the same row waits for the first to commit, then fails on the constraint and skips it (PostgreSQL; SQLite
serialises writers). A failed delivery keeps its row unsent and is retried (``MAX_SEND_ATTEMPTS``) under
``select_for_update(skip_locked=True)``.

Privacy: the message names the patient by first name only and never says what the visit treats (a text or e-mail can
be read by someone else); the checklist says what to do, not why. The link's raw token (256 bits) exists only in the
message; the row keeps its SHA-256 (like questionnaire links, followup/models.py). It works once and closes when the
appointment starts. Public refusals are counted through ``audit.refusals`` (no token is ever logged or audited).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import refusals
from ketaclinic.audit import services as audit
from ketaclinic.domain.scheduling import CHAIR_KINDS
from ketaclinic.domain.scheduling import reminders as plan
from ketaclinic.domain.scheduling.video import VIDEO_KINDS
from ketaclinic.locking import lock
from ketaclinic.outcomes import sms
from ketaclinic.scheduling.models import Appointment, AppointmentMessage
from ketaclinic.scheduling.queries import settings_for

Kind = AppointmentMessage.Kind
Response = AppointmentMessage.Response

#: Clinic policy: delivery attempts before the job gives up on one message.
MAX_SEND_ATTEMPTS = 3
NOTE_MAX_CHARS = 300
PUBLIC_ACTION = "schedule.link.refused"


class LinkUnavailable(ServiceError):
    """The token opens nothing: unknown, already used, expired, or the appointment is no longer booked."""

    def __init__(self) -> None:
        super().__init__("This link cannot be used.")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"[:60]


def _mask_phone(number: str) -> str:
    digits = "".join(ch for ch in number if ch.isdigit())
    return f"***-{digits[-4:]}" if len(digits) >= 4 else "***"


def public_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + reverse("visit:respond", kwargs={"token": token})


# --- what the message says ----------------------------------------------------------------------------------------


def holds_for(appointment: Appointment) -> list[tuple[str, str]]:
    """The medicines to hold that the prescriber listed on the plan version of the appointment's session order."""
    if appointment.order is None:
        return []
    return [(h["medicine"], h["instruction"]) for h in appointment.order.plan_version.medicine_holds]


def checklist_for(appointment: Appointment, *, holds_in_full: bool = True) -> tuple[plan.ChecklistItem, ...]:
    """The pre-visit checklist; messages pass ``holds_in_full=False`` so an e-mail or SMS never lists medicines to hold
    (the visit page behind the one-time link does)."""
    medicines = appointment.patient.medications.filter(entered_in_error=False, stopped_on__isnull=True)
    return plan.checklist(
        appointment.kind,
        medicines.values_list("generic_name", flat=True),
        holds=holds_for(appointment),
        holds_in_full=holds_in_full,
    )


def visit_words(kind: str) -> str:
    """What the visit is called in a message: never the treatment or the condition."""
    if kind in CHAIR_KINDS:
        return "treatment visit"
    return "video appointment" if kind == "telehealth" else "appointment"


def when_words(appointment: Appointment) -> str:
    local = appointment.starts_at.astimezone(ZoneInfo(appointment.location.clinic.timezone))
    return f"{local:%A} {local.day} {local:%B} at {local:%H:%M}"


@dataclass(frozen=True)
class Text:
    subject: str
    email: str
    sms: str


def compose(appointment: Appointment, kind: str, url: str) -> Text:
    location, patient = appointment.location, appointment.patient
    clinic = location.clinic.name
    visit, when = visit_words(appointment.kind), when_words(appointment)
    opening = {
        Kind.CONFIRMATION: f"Your {visit} is booked.",
        Kind.EARLY: f"A reminder of your {visit}.",
        Kind.DAY_BEFORE: f"A reminder: your {visit} is coming up soon.",
    }[Kind(kind)]
    items = [item.text for item in checklist_for(appointment, holds_in_full=False)]
    call = f"Questions? Call {clinic} on {location.phone}." if location.phone else f"Questions? Call {clinic}."
    email = [f"Hello {patient.given_name},", "", f"This is {clinic}. {opening}", "", f"When: {when}"]
    if appointment.kind in VIDEO_KINDS:
        email.append(f"Join by video: {appointment.video_url}" if appointment.video_url else "Where: by video")
    else:
        email.append(f"Where: {location.name}" + (f", {location.address}" if location.address else ""))
    if items:
        email += ["", "Before you come:", *[f"- {text}" for text in items]]
    email += [
        "",
        "Please tell us you are coming, or ask us for another time:",
        url,
        "The link works once and closes when the appointment starts.",
        "",
        call,
        "",
    ]
    place = (appointment.video_url or "by video") if appointment.kind in VIDEO_KINDS else location.name
    short = f"Hello {patient.given_name}, {clinic}: {opening} {when}, {place}."
    if items:
        short += " Before you come: " + " ".join(items)
    short += f" Confirm or ask for another time: {url} {call}"
    return Text(subject=f"Your {visit} at {clinic}, {when}", email="\n".join(email), sms=short)


def _deliver(appointment: Appointment, kind: str, url: str) -> tuple[str, str]:
    """E-mail when the patient has an address, else SMS; (channel, masked address). Raises on a provider failure."""
    patient = appointment.patient
    text = compose(appointment, kind, url)
    if patient.email:
        send_mail(text.subject, text.email, settings.DEFAULT_FROM_EMAIL, [patient.email])
        return "email", _mask_email(patient.email)
    if patient.phone:
        sms.get_backend().send(patient.phone, text.sms)
        return "sms", _mask_phone(patient.phone)
    return "none", ""


# --- sending ------------------------------------------------------------------------------------------------------


def _send(message: AppointmentMessage, base_url: str, now: dt.datetime) -> bool:
    """Mint the token, deliver, record the outcome and audit it (inside the caller's transaction)."""
    token = secrets.token_urlsafe(32)
    message.token_hash = hash_token(token)
    message.send_attempts += 1
    try:
        channel, address = _deliver(message.appointment, message.kind, public_url(base_url, token))
    except Exception as exc:  # any provider failure is recorded; the job retries
        channel, address, error = "", "", f"Delivery failed ({type(exc).__name__})."
    else:
        error = "" if channel != "none" else "No e-mail address or phone number on file."
    message.channel = channel or message.channel
    message.last_error = error
    if not error:
        message.sent_to, message.sent_at = address, now
    message.save()
    audit.record(
        actor=None,
        action="schedule.message_sent",
        obj=message.appointment,
        patient_id=message.appointment.patient_id,
        outcome="success" if not error else "failure",
        detail={"kind": message.kind, "channel": channel, "sent_to": address, "error": error[:120]},
    )
    return not error


def send_new(appointment: Appointment, kind: str, *, base_url: str, now: dt.datetime) -> bool | None:
    """Send ``kind`` for the appointment unless some runner already did (then None). True when delivered."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                message = AppointmentMessage.objects.create(
                    appointment=appointment,
                    kind=kind,
                    token_hash=hash_token(secrets.token_urlsafe(32)),
                    expires_at=appointment.starts_at,
                )
        except IntegrityError:  # another runner sent (or is sending) it
            return None
        return _send(message, base_url, now)


def _retry(pk: int, *, base_url: str, now: dt.datetime) -> bool | None:
    with transaction.atomic():
        message = (
            AppointmentMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("appointment__location__clinic", "appointment__patient")
            .filter(pk=pk, sent_at__isnull=True, send_attempts__lt=MAX_SEND_ATTEMPTS)
            .first()
        )
        if message is None or message.appointment.status != Appointment.Status.BOOKED:
            return None
        return _send(message, base_url, now)


@dataclass
class Report:
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"sent {key}" for key in self.sent] + [f"could not send {key}" for key in self.failed]
        out += [f"skipped {key} (another runner has it)" for key in self.skipped]
        out.append(f"sent {len(self.sent)}, failed {len(self.failed)}, skipped {len(self.skipped)}")
        return out


def _note(report: Report, key: str, outcome: bool | None) -> None:
    (report.skipped if outcome is None else report.sent if outcome else report.failed).append(key)


def run_reminders(*, base_url: str, now: dt.datetime | None = None) -> Report:
    """Send every confirmation and reminder due now, and retry the failed ones. Idempotent (see the module doc)."""
    moment = now or timezone.now()
    report = Report()
    upcoming = (
        Appointment.objects.filter(status=Appointment.Status.BOOKED, starts_at__gt=moment)
        .select_related("location__clinic", "patient")
        .prefetch_related("messages")
        .order_by("starts_at", "pk")
    )
    for appointment in upcoming:
        policy = settings_for(appointment.location)
        due = plan.due_messages(
            start=appointment.starts_at,
            booked_at=appointment.created_at,
            now=moment,
            already=[m.kind for m in appointment.messages.all()],
            early_hours=policy.reminder_early_hours,
            day_before_hours=policy.reminder_day_before_hours,
        )
        for kind in due:
            _note(report, f"{kind} #{appointment.pk}", send_new(appointment, kind, base_url=base_url, now=moment))
    unsent = AppointmentMessage.objects.filter(
        sent_at__isnull=True,
        send_attempts__lt=MAX_SEND_ATTEMPTS,
        expires_at__gt=moment,
        appointment__status=Appointment.Status.BOOKED,
    )
    for pk, kind, appointment_id in unsent.order_by("pk").values_list("pk", "kind", "appointment_id"):
        key = f"{kind} #{appointment_id}"
        if key in report.failed:
            continue  # just tried in this run
        _note(report, f"{key} (retry)", _retry(pk, base_url=base_url, now=moment))
    return report


# --- the patient's link -------------------------------------------------------------------------------------------


def _refuse(client: str) -> LinkUnavailable:
    refusals.note(action=PUBLIC_ACTION, client=client, detail={"client": client})
    return LinkUnavailable()


def find(token: str, *, client: str, now: dt.datetime | None = None) -> AppointmentMessage:
    """The message whose link this is, if it can still be used; else LinkUnavailable (counted, never the token)."""
    moment = now or timezone.now()
    message = (
        AppointmentMessage.objects.select_related("appointment__location__clinic", "appointment__patient")
        .filter(token_hash=hash_token(token), sent_at__isnull=False)
        .first()
    )
    if (
        message is None
        or message.used_at is not None
        or message.expires_at <= moment
        or message.appointment.status != Appointment.Status.BOOKED
    ):
        raise _refuse(client)
    return message


def respond(*, token: str, answer: str, note: str = "", client: str) -> AppointmentMessage:
    """The patient confirms or asks to reschedule; the link is spent. A refusal changes nothing."""
    if answer not in Response.values:
        raise ServiceError("Choose confirm or reschedule.", field="answer")
    note = note.strip()
    if len(note) > NOTE_MAX_CHARS:
        raise ServiceError(f"Please keep the note under {NOTE_MAX_CHARS} characters.", field="note")
    found = find(token, client=client)
    with transaction.atomic():
        message = lock(AppointmentMessage.objects.filter(pk=found.pk)).get()
        appointment = Appointment.objects.get(pk=message.appointment_id)
        now = timezone.now()
        if message.used_at is not None or message.expires_at <= now or appointment.status != Appointment.Status.BOOKED:
            raise LinkUnavailable()
        message.used_at, message.response = now, answer
        message.patient_note = note if answer == Response.RESCHEDULE else ""
        message.save(update_fields=["used_at", "response", "patient_note"])
        audit.record(
            actor=None,
            action=f"schedule.patient_{answer}",
            obj=appointment,
            patient_id=appointment.patient_id,
            detail={"client": client, "message": message.pk},
        )
    found.refresh_from_db()
    return found


# --- the front desk's queue ---------------------------------------------------------------------------------------


def reschedule_requests(location_id: int) -> list[AppointmentMessage]:
    """Open requests to reschedule or cancel at one location (from a reminder link or the patient portal), oldest
    first (shown on the day view)."""
    return list(
        AppointmentMessage.objects.filter(
            response__in=AppointmentMessage.REQUESTS,
            handled_at__isnull=True,
            appointment__location_id=location_id,
        )
        .select_related("appointment__patient", "appointment__location__clinic")
        .order_by("used_at", "pk")
    )


def confirmed_ids(location_id: int, day_start: dt.datetime, day_end: dt.datetime) -> set[int]:
    """Appointments at the location starting in [day_start, day_end) that the patient confirmed (one query)."""
    return set(
        AppointmentMessage.objects.filter(
            appointment__location_id=location_id,
            appointment__starts_at__gte=day_start,
            appointment__starts_at__lt=day_end,
            response=Response.CONFIRMED,
        ).values_list("appointment_id", flat=True)
    )


def mark_handled(*, by: User, message: AppointmentMessage) -> AppointmentMessage:
    """The front desk dealt with a reschedule request (called the patient, moved or kept the appointment)."""
    if not role_can(by.role, "schedule.book"):
        raise PermissionDenied("Your role does not allow this (schedule.book).")
    if not by.locations.filter(pk=message.appointment.location_id).exists():
        raise PermissionDenied("You do not work at that location.")
    with transaction.atomic():
        current = lock(AppointmentMessage.objects.filter(pk=message.pk)).get()
        if current.response not in AppointmentMessage.REQUESTS or current.handled_at is not None:
            raise ServiceError("This request is already dealt with.")
        current.handled_at, current.handled_by = timezone.now(), by
        current.save(update_fields=["handled_at", "handled_by"])
        audit.record(
            actor=by,
            action="schedule.reschedule_handled",
            obj=message.appointment,
            patient_id=message.appointment.patient_id,
            detail={"message": current.pk},
        )
    return current
