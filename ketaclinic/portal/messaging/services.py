"""Every write of the secure messages: the patient starts a thread or replies; staff at the patient's location reply,
assign, close and reopen, and mark their own message sent in error.

- Non-urgent only: the pages say so next to the crisis line; nothing here triages.
- Text limits are clinic policy (``domain.messaging``): over the limit is refused with the count, never cut; text that
  looks like HTML is refused with words that say what to do. A refusal raises ``ServiceError`` and writes nothing.
- Nothing is deleted. A message sent in error keeps its row, is hidden from the patient and shown struck through to
  staff, with the reason and who marked it.
- Every write is audited with the patient as subject (``actor`` None when the patient wrote, as for the portal's
  other writes). The patient's notification of a staff reply is sent after commit and carries **no content**: an
  e-mail or a text may be read by someone else, so it names the clinic and the portal's sign-in address only.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.domain import messaging as rules
from ketaclinic.locking import lock
from ketaclinic.outcomes import sms
from ketaclinic.patients.models import Patient
from ketaclinic.portal.models import Message, Thread

CAPABILITY = "messages.handle"


def _clean(text: str, *, label: str, limit: int, field: str) -> str:
    value = (text or "").strip()
    problem = rules.text_problem(value, label=label, limit=limit)
    if problem:
        raise ServiceError(problem, field=field)
    return value


def _staff_at(user: User, thread: Thread) -> None:
    """The user handles messages and works at the thread's location (else refused, nothing written)."""
    allowed = role_can(user.role, CAPABILITY) and user.locations.filter(pk=thread.location_id).exists()
    if not (user.is_active and allowed):
        raise ServiceError("Only the care team at the patient's location can do this.")


def _locked(thread_id: int) -> Thread:
    return lock(Thread.objects.filter(pk=thread_id)).get()


# --- the patient ----------------------------------------------------------------------------------------------------


def start_thread(*, patient: Patient, subject: str, text: str) -> Thread:
    """A new conversation with the care team of the patient's location; it joins that location's inbox. Bad input
    raises ``ValidationError`` naming each field at fault."""
    clean_subject, clean_text = (subject or "").strip(), (text or "").strip()
    problems = {
        "subject": rules.text_problem(clean_subject, label="Subject", limit=rules.SUBJECT_MAX_CHARS),
        "text": rules.text_problem(clean_text, label="Your message", limit=rules.TEXT_MAX_CHARS),
    }
    if any(problems.values()):  # both fields' problems at once, so the patient fixes them in one go
        raise ValidationError({field: said for field, said in problems.items() if said})
    now = timezone.now()
    with transaction.atomic():
        thread = Thread.objects.create(
            patient=patient,
            location_id=patient.location_id,
            subject=clean_subject,
            created_at=now,
            last_message_at=now,
            waiting_since=now,
        )
        message = Message.objects.create(thread=thread, text=clean_text, sent_at=now)
        audit.record(
            actor=None,
            action="portal.message_sent",
            obj=message,
            patient_id=patient.pk,
            detail={"thread": thread.pk, "new_thread": True, "chars": len(clean_text)},
        )
        transaction.on_commit(functools.partial(_notify_location, thread.location_id))
    return thread


def patient_reply(*, patient: Patient, thread_id: int, text: str) -> Message:
    """The patient writes again in one of their threads; a closed thread opens again."""
    clean_text = _clean(text, label="Your message", limit=rules.TEXT_MAX_CHARS, field="text")
    now = timezone.now()
    with transaction.atomic():
        thread = lock(Thread.objects.filter(pk=thread_id, patient_id=patient.pk)).first()
        if thread is None:
            raise ServiceError("No such conversation.")
        message = Message.objects.create(thread=thread, text=clean_text, sent_at=now)
        reopened = thread.status == Thread.Status.CLOSED
        thread.status = Thread.Status.OPEN
        thread.last_message_at = now
        thread.waiting_since = thread.waiting_since or now
        thread.save(update_fields=["status", "last_message_at", "waiting_since"])
        audit.record(
            actor=None,
            action="portal.message_sent",
            obj=message,
            patient_id=patient.pk,
            detail={"thread": thread.pk, "reopened": reopened, "chars": len(clean_text)},
        )
        transaction.on_commit(functools.partial(_notify_location, thread.location_id))
    return message


def mark_read_by_patient(*, patient: Patient, thread: Thread) -> int:
    """The patient opened the thread: the care team's messages are read now. Returns how many were new."""
    with transaction.atomic():
        return Message.objects.filter(
            thread_id=thread.pk, thread__patient_id=patient.pk, author__isnull=False, read_at__isnull=True
        ).update(read_at=timezone.now())


def location_notice_words(location: Location) -> tuple[str, str]:
    """(subject, body) of the notice to the location's inbox e-mail: that a patient wrote, and where to read it;
    never who, about what, or any of the words (an e-mail box is not the record, and may be shared)."""
    url = settings.KETACLINIC_PUBLIC_URL.rstrip("/") + reverse("portal:inbox") + f"?location={location.pk}"
    body = f"A patient has sent a new message in the patient portal. Sign in to read it in the inbox: {url}"
    return f"New patient message at {location.name}", body


def _notify_location(location_id: int) -> None:
    """The location's "inbox notification e-mail" (``Location.inbox_email``; blank: none) hears of a new message."""
    location = Location.objects.get(pk=location_id)
    if location.inbox_email:
        subject, body = location_notice_words(location)
        send_mail(subject, body + "\n", settings.DEFAULT_FROM_EMAIL, [location.inbox_email])


def set_inbox_email(*, by: User, location: Location, email: str) -> Location:
    """A clinic admin sets (or blanks) where the location's inbox sends its notice; the change is audited."""
    if not (by.is_active and role_can(by.role, "inbox.settings") and location.clinic_id == by.clinic_id):
        raise ServiceError("Only a clinic admin of this clinic can change this setting.")
    value = (email or "").strip()
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise ServiceError(
                "Enter an e-mail address such as frontdesk@example.org, or leave it blank.", field="email"
            ) from None
    with transaction.atomic():
        locked = lock(Location.objects.filter(pk=location.pk)).get()
        before = locked.inbox_email
        locked.inbox_email = value
        locked.save(update_fields=["inbox_email"])
        audit.record(actor=by, action="location.inbox_email", obj=locked, detail={"before": before, "after": value})
    return locked


# --- the care team --------------------------------------------------------------------------------------------------


def staff_start_thread(*, by: User, patient: Patient, subject: str, text: str, base_url: str) -> Thread:
    """The care team writes first: a new conversation with the patient at the patient's location, waiting for the
    patient. The patient is told a message is there (after commit, without its content), as for a reply. Refused
    (nothing written) for anyone but the care team at the patient's location, or with bad subject or text."""
    clean_subject, clean_text = (subject or "").strip(), (text or "").strip()
    problems = {
        "subject": rules.text_problem(clean_subject, label="Subject", limit=rules.SUBJECT_MAX_CHARS),
        "text": rules.text_problem(clean_text, label="Message", limit=rules.TEXT_MAX_CHARS),
    }
    if any(problems.values()):
        raise ValidationError({field: said for field, said in problems.items() if said})
    at_location = by.locations.filter(pk=patient.location_id).exists()
    if not (by.is_active and role_can(by.role, CAPABILITY) and at_location) or patient.entered_in_error:
        raise ServiceError("Only the care team at the patient's location can do this.")
    now = timezone.now()
    with transaction.atomic():
        thread = Thread.objects.create(
            patient=patient,
            location_id=patient.location_id,
            subject=clean_subject,
            status=Thread.Status.WAITING,
            created_at=now,
            last_message_at=now,
            started_by=by,
        )
        message = Message.objects.create(thread=thread, author=by, text=clean_text, sent_at=now)
        audit.record(
            actor=by,
            action="portal.thread_started",
            obj=message,
            patient_id=patient.pk,
            detail={"thread": thread.pk, "chars": len(clean_text)},
        )
        transaction.on_commit(functools.partial(_notify, patient.pk, base_url))
    return thread


def portal_login_url(base_url: str) -> str:
    return base_url.rstrip("/") + reverse("portal:login")


def notification_words(patient: Patient, base_url: str) -> tuple[str, str]:
    """(subject, body) of the notice of a new message: the clinic's name and where to sign in, nothing else."""
    clinic = patient.location.clinic.name
    body = f"You have a new message from {clinic}. Sign in to read it: {portal_login_url(base_url)}"
    return f"New message from {clinic}", body


def _notify(patient_id: int, base_url: str) -> None:
    patient = Patient.objects.select_related("location__clinic").get(pk=patient_id)
    subject, body = notification_words(patient, base_url)
    if patient.email:
        send_mail(subject, body + "\n", settings.DEFAULT_FROM_EMAIL, [patient.email])
    elif patient.phone:
        sms.get_backend().send(patient.phone, body)


def staff_reply(*, by: User, thread: Thread, text: str, base_url: str) -> Message:
    """A reply from the care team. The thread waits for the patient now; the patient is told a message is there
    (after commit, without its content)."""
    clean_text = _clean(text, label="Reply", limit=rules.TEXT_MAX_CHARS, field="text")
    _staff_at(by, thread)
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(thread.pk)
        message = Message.objects.create(thread=locked, author=by, text=clean_text, sent_at=now)
        Message.objects.filter(thread=locked, author__isnull=True, read_at__isnull=True).update(read_at=now)
        first = locked.first_reply_at is None
        locked.status = Thread.Status.WAITING
        locked.last_message_at = now
        locked.waiting_since = None
        locked.first_reply_at = locked.first_reply_at or now
        locked.save(update_fields=["status", "last_message_at", "waiting_since", "first_reply_at"])
        audit.record(
            actor=by,
            action="portal.message_replied",
            obj=message,
            patient_id=locked.patient_id,
            detail={"thread": locked.pk, "first_reply": first, "chars": len(clean_text)},
        )
        transaction.on_commit(functools.partial(_notify, locked.patient_id, base_url))
    return message


def assign(*, by: User, thread: Thread, assignee: User | None) -> Thread:
    """Give the thread to a member of the care team at its location (``None``: nobody)."""
    _staff_at(by, thread)
    if assignee is not None:
        try:
            _staff_at(assignee, thread)
        except ServiceError:
            raise ServiceError("Choose someone of the care team at this location.", field="assignee") from None
    with transaction.atomic():
        locked = _locked(thread.pk)
        before = locked.assignee_id
        locked.assignee = assignee
        locked.save(update_fields=["assignee"])
        audit.record(
            actor=by,
            action="portal.thread_assigned",
            obj=locked,
            patient_id=locked.patient_id,
            detail={"from": before, "to": assignee.pk if assignee else None},
        )
    return locked


def set_status(*, by: User, thread: Thread, close: bool) -> Thread:
    """Close a thread (nothing more to do) or reopen it; closing while the patient waits for an answer is refused."""
    _staff_at(by, thread)
    with transaction.atomic():
        locked = _locked(thread.pk)
        if close and locked.status == Thread.Status.CLOSED:
            raise ServiceError("This conversation is already closed.")
        if not close and locked.status != Thread.Status.CLOSED:
            raise ServiceError("This conversation is open already.")
        if close and locked.waiting_since is not None:
            raise ServiceError("The patient is waiting for an answer: reply before closing the conversation.")
        locked.status = Thread.Status.CLOSED if close else Thread.Status.OPEN
        locked.save(update_fields=["status"])
        audit.record(
            actor=by,
            action="portal.thread_closed" if close else "portal.thread_reopened",
            obj=locked,
            patient_id=locked.patient_id,
        )
    return locked


def mark_in_error(*, by: User, message: Message, reason: str) -> Message:
    """A staff message sent in error (wrong patient, wrong words): kept, hidden from the patient, struck through for
    staff with the reason. Only its author marks it."""
    clean_reason = _clean(reason, label="Reason", limit=rules.REASON_MAX_CHARS, field="reason")
    _staff_at(by, message.thread)
    if message.author_id != by.pk:
        raise ServiceError("Only the person who sent a message can mark it as sent in error.")
    with transaction.atomic():
        locked = lock(Message.objects.filter(pk=message.pk)).get()
        if locked.entered_in_error:
            raise ServiceError("This message is already marked as sent in error.")
        locked.entered_in_error = True
        locked.error_reason = clean_reason
        locked.error_by = by
        locked.error_at = timezone.now()
        locked.save(update_fields=["entered_in_error", "error_reason", "error_by", "error_at"])
        audit.record(
            actor=by,
            action="portal.message_entered_in_error",
            obj=locked,
            patient_id=message.thread.patient_id,
            detail={"thread": locked.thread_id, "reason": clean_reason},
        )
    return locked


def mark_read_by_staff(*, by: User, thread: Thread) -> int:
    """A member of the care team opened the thread: the patient's messages are read now (the inbox's unread count)."""
    with transaction.atomic():
        return Message.objects.filter(thread_id=thread.pk, author__isnull=True, read_at__isnull=True).update(
            read_at=timezone.now()
        )


def record_thread_view(*, by: User, thread: Thread) -> None:
    """A staff read of one thread, with the patient as subject."""
    audit.record(actor=by, action="portal.thread_viewed", obj=thread, patient_id=thread.patient_id)


def record_inbox_view(*, by: User, location: Location, patients: list[int], shown: str) -> None:
    """A staff read of a location's inbox: which patients' threads it listed."""
    audit.record(
        actor=by,
        action="portal.inbox_viewed",
        obj=location,
        detail={"patients": sorted(set(patients)), "shown": shown},
    )
