"""Questionnaire links: issue, send, open, submit, revoke (the scheduler that issues them is ``schedule``).

Token security (security.md "Input"; followup/models.py): the raw token is ``secrets.token_urlsafe(32)`` (256
bits) and exists only in the message sent to the patient; the database keeps its SHA-256. A token is minted when the
link is *sent* (each delivery attempt mints a fresh one and replaces the stored hash), so issuing a link — which the
scheduler does idempotently under a unique ``schedule_key`` — never needs to remember a secret. The token is never
logged or audited.

Every write is keyword-only, atomic and audited; the patient is the actor ``None``. Public refusals (unknown or spent
token, bad answers, honeypot, the rate limit itself) are audited outside the refused transaction, with a salted hash
of the client address, through ``ketaclinic.audit.refusals``: the first of each address, kind and minute gets its own
audit row, repeats are counted and summarised (issue 13, defect 7: junk requests must not fill the undeletable log).
Those counters are what the per-address rate limit counts, so every app server enforces the same limit from the
database (like the consultation form's limit), nothing is kept in memory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import refusals
from ketaclinic.audit import services as audit
from ketaclinic.domain import instruments
from ketaclinic.followup.models import QuestionnaireLink
from ketaclinic.locking import lock as lock_rows
from ketaclinic.outcomes import sms
from ketaclinic.outcomes.models import Measurement, SafetyAlert
from ketaclinic.outcomes.services.measurements import record_measurement
from ketaclinic.outcomes.services.safety import raise_for_screen
from ketaclinic.patients.models import Patient

Purpose = QuestionnaireLink.Purpose
Channel = QuestionnaireLink.Channel

#: Self-report scales a link may open (instruments.md: PHQ-9, GAD-7 and the pain NRS are patient-rated), and the
#: home-programme screens (the bladder symptom check and AUDIT-C, domain.home_monitoring).
LINK_INSTRUMENTS = ("phq9", "gad7", "pain_nrs", "bladder_symptoms", "audit_c")
#: Clinic policy: delivery attempts before the scheduler gives up on a link (staff can send a new one).
MAX_SEND_ATTEMPTS = 3
PUBLIC_ACTION_PREFIX = "questionnaire.public."
REVOKE_REASON_MAX_CHARS = 300


class LinkUnavailable(ServiceError):
    """The token opens nothing. ``gone`` is True for a real link that is completed, revoked or expired (HTTP 410) and
    False for an unknown token (404); the patient sees the same words either way."""

    def __init__(self, *, gone: bool) -> None:
        super().__init__("This questionnaire link cannot be used.")
        self.gone = gone


class RateLimited(ServiceError):
    """Too many requests from one client address in the window; nothing was done."""


# --- tokens and small helpers ---------------------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def client_digest(ip_address: str | None) -> str:
    """Salted SHA-256 of the client address (first 16 hex digits): countable, not reversible."""
    return salted_hmac("ketaclinic.questionnaire.client", ip_address or "unknown", algorithm="sha256").hexdigest()[:16]


def over_rate_limit(digest: str, *, now: dt.datetime | None = None) -> bool:
    since = (now or timezone.now()) - dt.timedelta(minutes=settings.KETACLINIC_QUESTIONNAIRE_RATE_WINDOW_MIN)
    # Only refusals count (unknown or spent tokens, invalid forms, honeypot hits): guessing is what needs throttling,
    # and patients sharing one address (a clinic's guest Wi-Fi, carrier NAT) must not lock each other out.
    refused = refusals.refusals_since(client=digest, since=since, action_prefix=PUBLIC_ACTION_PREFIX)
    return refused >= settings.KETACLINIC_QUESTIONNAIRE_RATE_LIMIT


def note_public(what: str, *, client: str, link: QuestionnaireLink | None = None, outcome: str = "success") -> None:
    """Audit one public request (never the token); a refusal (outcome denied, no link) is counted by
    ``refusals.note``, and those counters are what the rate limit counts."""
    if outcome == "denied" and link is None:
        refusals.note(action=PUBLIC_ACTION_PREFIX + what, client=client, detail={"client": client})
        return
    audit.record(
        actor=None,
        action=PUBLIC_ACTION_PREFIX + what,
        obj=link,
        patient_id=link.patient_id if link is not None else None,
        outcome=outcome,
        detail={"client": client},
    )


def check_rate_limit(*, client: str) -> None:
    if over_rate_limit(client):
        refusals.note(action="questionnaire.rate_limited", client=client, detail={"client": client})
        raise RateLimited("Too many requests from your connection in a short time. Please try again in an hour.")


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"[:60]


def mask_phone(number: str) -> str:
    digits = "".join(ch for ch in number if ch.isdigit())
    return f"***-{digits[-4:]}" if len(digits) >= 4 else "***"


def link_status(link: QuestionnaireLink, now: dt.datetime | None = None) -> str:
    """completed, revoked, expired, opened, sent, failed (attempted, never delivered) or pending (not yet sent)."""
    moment = now or timezone.now()
    if link.completed_at is not None:
        return "completed"
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at <= moment:
        return "expired"
    if link.opened_at is not None:
        return "opened"
    if link.sent_at is not None:
        return "sent"
    return "failed" if link.send_attempts else "pending"


def _require(actor: User, patient: Patient) -> None:
    if not (actor.is_superuser or role_can(actor.role, "questionnaires.send")):
        raise PermissionDenied("Your role may not send questionnaires (questionnaires.send).")
    if not actor.locations.filter(pk=patient.location_id).exists():
        raise PermissionDenied("You do not work at this patient's location.")


def _clean_instruments(chosen: Sequence[str]) -> tuple[str, ...]:
    picked = tuple(dict.fromkeys(chosen))
    if not picked:
        raise ValidationError({"instruments": "Choose at least one questionnaire."})
    unknown = [name for name in picked if name not in LINK_INSTRUMENTS]
    if unknown:
        raise ValidationError({"instruments": f"A link can open only {', '.join(LINK_INSTRUMENTS)}, not {unknown}."})
    return tuple(name for name in LINK_INSTRUMENTS if name in picked)  # the published order


def clinic_zone(patient: Patient) -> ZoneInfo:
    return ZoneInfo(patient.location.clinic.timezone)


# --- issuing --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    link: QuestionnaireLink
    created: bool


def _existing(schedule_key: str) -> QuestionnaireLink | None:
    return QuestionnaireLink.objects.filter(schedule_key=schedule_key).first()


@transaction.atomic
def issue_link(
    *,
    by: User | None,
    patient: Patient,
    purpose: str,
    scales: Sequence[str],
    schedule_key: str,
    due_on: dt.date,
    expires_at: dt.datetime,
    session_order: Any = None,
) -> Issued:
    """Create the link for ``schedule_key`` unless it exists (then return that one, ``created=False``).

    Two schedulers racing on the same key: the loser's insert fails on the unique constraint inside a savepoint and
    it returns the winner's row, so the surrounding transaction carries on.
    """
    if purpose not in Purpose.values:
        raise ValueError(f"unknown questionnaire purpose {purpose!r}")
    chosen = _clean_instruments(scales)
    found = _existing(schedule_key)
    if found is not None:
        return Issued(found, False)
    try:
        with transaction.atomic():
            link = QuestionnaireLink.objects.create(
                patient=patient,
                token_hash=hash_token(new_token()),  # a hash nobody holds a token for: send_link mints it
                purpose=purpose,
                instruments=list(chosen),
                schedule_key=schedule_key,
                session_order=session_order,
                due_on=due_on,
                created_by=by,
                expires_at=expires_at,
            )
    except IntegrityError:
        return Issued(QuestionnaireLink.objects.get(schedule_key=schedule_key), False)
    audit.record(
        actor=by,
        action="questionnaire.issue",
        obj=link,
        patient_id=patient.pk,
        detail={"purpose": purpose, "instruments": list(chosen), "due_on": due_on.isoformat()},
    )
    return Issued(link, True)


# --- sending --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    link: QuestionnaireLink | None  # None: another process holds the row (it is sending it)
    sent: bool
    error: str = ""


def _message(url: str, expires_at: dt.datetime, zone: ZoneInfo) -> str:
    # No clinical content and no name: a message can be read by someone else on a shared phone or mailbox.
    closes = timezone.localtime(expires_at, zone).strftime("%B %-d at %H:%M")
    return (
        "Hello,\n\nYour care team asks you to answer a short questionnaire. It takes about five minutes:\n"
        f"{url}\n\nThe link works once and closes on {closes}.\n"
    )


def _deliver(link: QuestionnaireLink, url: str) -> tuple[str, str]:
    """Send the link by e-mail, else by text message; return (channel, masked address). Raises on failure."""
    patient = link.patient
    body = _message(url, link.expires_at, clinic_zone(patient))
    if patient.email:
        send_mail(
            subject="A short questionnaire from your care team",
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[patient.email],
        )
        return Channel.EMAIL, mask_email(patient.email)
    if patient.phone:
        sms.get_backend().send(patient.phone, body)
        return Channel.SMS, mask_phone(patient.phone)
    return Channel.NONE, ""


def public_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + reverse("questionnaire:fill", kwargs={"token": token})


@transaction.atomic
def send_link(*, by: User | None, link: QuestionnaireLink, base_url: str) -> Delivery:
    """Mint a fresh token for the link and deliver it (e-mail, else SMS); record the channel, the masked address, the
    attempt and any error.

    The row is locked with ``select_for_update(skip_locked=True)`` (PostgreSQL; a no-op on SQLite, where writes are
    serialised anyway): a second machine sending at the same moment skips it instead of sending it twice. Delivery
    happens while the lock is held, because its outcome is what the row records.
    """
    now = timezone.now()
    locked = (
        QuestionnaireLink.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("patient__location__clinic")
        .filter(pk=link.pk)
        .first()
    )
    if locked is None:
        return Delivery(None, False)
    if by is None and (locked.sent_at is not None or locked.send_attempts >= MAX_SEND_ATTEMPTS):
        return Delivery(None, False)  # the scheduler: another run sent it (or gave up) after this one listed it
    if not locked.usable(now) or not _order_still_open(locked):
        raise ServiceError("This link is completed, revoked or expired; send a new one.")
    token = new_token()
    locked.token_hash = hash_token(token)
    locked.send_attempts += 1
    try:
        channel, address = _deliver(locked, public_url(base_url, token))
    except Exception as exc:  # any provider failure is recorded, the scheduler retries
        # The exception's type only: provider messages can carry the recipient's address.
        channel, address, error = "", "", f"Delivery failed ({type(exc).__name__})."
    else:
        error = "" if channel != Channel.NONE else "No e-mail address or phone number on file."
    locked.channel = channel or locked.channel
    locked.last_error = error
    if channel and channel != Channel.NONE:
        locked.sent_to = address
        locked.sent_at = now
    locked.save(update_fields=["token_hash", "send_attempts", "channel", "last_error", "sent_to", "sent_at"])
    audit.record(
        actor=by,
        action="questionnaire.send",
        obj=locked,
        patient_id=locked.patient_id,
        outcome="success" if not error else "failure",
        detail={"channel": channel, "sent_to": address, "attempt": locked.send_attempts, "error": error[:120]},
    )
    return Delivery(locked, not error, error)


@transaction.atomic
def send_now(*, by: User, patient: Patient, scales: Sequence[str], base_url: str) -> Delivery:
    """A clinician sends the patient a link now (purpose manual), open for KETACLINIC_QUESTIONNAIRE_LINK_HOURS."""
    _require(by, patient)
    now = timezone.now()
    issued = issue_link(
        by=by,
        patient=patient,
        purpose=Purpose.MANUAL,
        scales=scales,
        schedule_key=f"manual:{uuid.uuid4().hex}",
        due_on=timezone.localtime(now, clinic_zone(patient)).date(),
        expires_at=now + dt.timedelta(hours=settings.KETACLINIC_QUESTIONNAIRE_LINK_HOURS),
    )
    return send_link(by=by, link=issued.link, base_url=base_url)


@transaction.atomic
def revoke_link(*, by: User, link: QuestionnaireLink, reason: str) -> QuestionnaireLink:
    """Close a link that has not been completed (sent to the wrong address, no longer wanted), with a reason."""
    _require(by, link.patient)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the link is revoked."})
    if len(reason) > REVOKE_REASON_MAX_CHARS:
        raise ValidationError({"reason": f"Keep the reason under {REVOKE_REASON_MAX_CHARS} characters."})
    locked = lock_rows(QuestionnaireLink).get(pk=link.pk)
    if locked.completed_at is not None or locked.revoked_at is not None:
        raise ValidationError({"__all__": "This link is already completed or revoked."})
    locked.revoked_at = timezone.now()
    locked.revoked_by = by
    locked.revoked_reason = reason
    locked.save(update_fields=["revoked_at", "revoked_by", "revoked_reason"])
    audit.record(actor=by, action="questionnaire.revoke", obj=locked, patient_id=locked.patient_id)
    return locked


# --- the patient's side ---------------------------------------------------------------------------------------------


def find_usable(token: str, *, lock: bool = False) -> QuestionnaireLink:
    rows = lock_rows(QuestionnaireLink) if lock else QuestionnaireLink.objects.all()
    link = rows.filter(token_hash=hash_token(token)).first() if token else None
    if link is None:
        raise LinkUnavailable(gone=False)
    if not link.usable(timezone.now()) or not _order_still_open(link):
        raise LinkUnavailable(gone=True)
    return link


def _order_still_open(link: QuestionnaireLink) -> bool:
    """A pre-session questionnaire measures the patient before dosing: once its session has started (the order is
    given) or the order is cancelled (the plan stopped), the link closes, so a score taken after dosing is never
    read as the pre-dose score (clinical-rules.md §5 stop signal: the score after infusion k, before infusion k+1)."""
    order = link.session_order
    return order is None or order.status == "open"  # plans.models.SessionOrder.Status.OPEN


@transaction.atomic
def _open(token: str, client: str) -> QuestionnaireLink:
    link = find_usable(token, lock=True)
    if link.opened_at is None:
        link.opened_at = timezone.now()
        link.save(update_fields=["opened_at"])
    note_public("open", client=client, link=link)
    return link


def open_link(*, token: str, client: str = "") -> QuestionnaireLink:
    """The patient opens the page: the link, marked opened the first time. Raises ``LinkUnavailable``."""
    try:
        return _open(token, client)
    except LinkUnavailable as refused:
        note_public("refused", client=client, outcome="denied")
        raise refused


@dataclass(frozen=True)
class Submitted:
    link: QuestionnaireLink
    measurements: tuple[Measurement, ...]
    alerts: tuple[SafetyAlert, ...] = field(default=())

    @property
    def suicidality(self) -> bool:
        return any(instruments.SUICIDALITY in m.flags for m in self.measurements)


def score_answers(scales: Sequence[str], answers: Mapping[str, Sequence[object]]) -> list[instruments.Score]:
    """Score every scale of the link; a missing scale or an invalid answer is a ``ValidationError`` naming the item."""
    errors: dict[str, list[str]] = {}
    scores = []
    for name in scales:
        try:
            scores.append(instruments.score(name, list(answers.get(name) or [])))
        except instruments.InvalidAnswers as exc:
            errors[name] = [f"{instruments.get(name).name}: {problem}" for problem in exc.problems]
    if errors:
        raise ValidationError(errors)
    return scores


@transaction.atomic
def _submit(token: str, answers: Mapping[str, Sequence[object]], client: str) -> Submitted:
    return _store(find_usable(token, lock=True), answers, client)


def _store(link: QuestionnaireLink, answers: Mapping[str, Sequence[object]], client: str) -> Submitted:
    """Score and store the answers of a usable link the caller has locked (inside the caller's transaction)."""
    scores = score_answers(link.instruments, answers)
    patient = Patient.objects.get(pk=link.patient_id)
    now = timezone.now()
    rows = tuple(
        record_measurement(by=None, patient=patient, score=score, context="home", source=link, taken_at=now)
        for score in scores
    )
    alerts = tuple(
        alert
        for score in scores
        if (alert := raise_for_screen(by=None, patient=patient, score=score, source=link, where="from home"))
    )
    link.completed_at = now
    link.opened_at = link.opened_at or now
    link.save(update_fields=["completed_at", "opened_at"])
    note_public("submit", client=client, link=link)
    audit.record(
        actor=None,
        action="questionnaire.complete",
        obj=link,
        patient_id=link.patient_id,
        detail={"instruments": list(link.instruments), "alerts": len(alerts)},
    )
    return Submitted(link, rows, alerts)


def submit_answers(*, token: str, answers: Mapping[str, Sequence[object]], client: str = "") -> Submitted:
    """Score and store the patient's answers, all or nothing.

    Every scale of the link is scored with ``ketaclinic.domain.instruments``; a missing scale, a partial answer or an
    out-of-range value raises ``ValidationError`` naming the item and stores nothing. On success each scale becomes a
    ``Measurement`` (context ``home``, source the link), a positive suicide-risk screen raises the safety alert, and
    the link is completed — in one transaction. A spent or unknown token raises ``LinkUnavailable``.
    """
    try:
        return _submit(token, answers, client)
    except LinkUnavailable as refused:
        note_public("refused", client=client, outcome="denied")
        raise refused
    except ValidationError:
        note_public("invalid", client=client, outcome="denied")
        raise


# --- the same questionnaires from the patient portal (signed in: the link is found by id, never by token) ------------


def due_for_patient(patient_id: int, *, now: dt.datetime | None = None) -> list[QuestionnaireLink]:
    """The patient's questionnaires open for answers now (sent, not completed, revoked or expired), soonest due first.
    The e-mailed links keep working; the portal opens the same link by id for the signed-in patient."""
    moment = now or timezone.now()
    links = QuestionnaireLink.objects.filter(
        patient_id=patient_id, completed_at__isnull=True, revoked_at__isnull=True, expires_at__gt=moment
    ).select_related("session_order")
    return sorted((link for link in links if _order_still_open(link)), key=lambda link: (link.due_on, link.pk))


def find_for_patient(*, link_id: int, patient_id: int, lock: bool = False) -> QuestionnaireLink:
    """One of the patient's own usable links; another patient's link is unknown (``LinkUnavailable(gone=False)``)."""
    rows = lock_rows(QuestionnaireLink) if lock else QuestionnaireLink.objects.all()
    link = rows.filter(pk=link_id, patient_id=patient_id).first()
    if link is None:
        raise LinkUnavailable(gone=False)
    if not link.usable(timezone.now()) or not _order_still_open(link):
        raise LinkUnavailable(gone=True)
    return link


@transaction.atomic
def submit_for_patient(*, link_id: int, patient_id: int, answers: Mapping[str, Sequence[object]]) -> Submitted:
    """``submit_answers`` for the signed-in patient of the portal: the same scoring, storage, safety alert and audit
    (``client`` "portal"), all or nothing."""
    return _store(find_for_patient(link_id=link_id, patient_id=patient_id, lock=True), answers, "portal")
