"""Signing a patient in to the portal with a one-time link, and auditing what the portal shows them.

- ``request_link``: the patient gives an e-mail address or mobile number. Every request is recorded as salted hashes
  (``SignInRequest``) and counted per address and per client (``KETACLINIC_PORTAL_LINKS_PER_ADDRESS`` /
  ``_PER_CLIENT`` in ``_LINK_WINDOW_MIN``, clinic policy). The caller shows the same page whatever happens: a known
  address, an unknown one, or a refused request look alike, so the page tells nobody who is a patient here; and the
  request takes the same time, since the look-up and the sending (``send_links``) run after it, in the background.
- ``sign_in``: the link's first use asks the date of birth. A wrong one is counted; after
  ``KETACLINIC_PORTAL_DOB_ATTEMPTS`` the link is closed. A used, closed or expired link opens nothing.
- Every page that shows the patient's data writes ``portal.view`` with the patient as subject and no actor (the
  patient is not a staff user), like the reminder link (scheduling/services/reminders.py). Sign-in, sign-out and
  timeouts are audited too (knowledge/security.md H2, H4). No token is ever logged or audited.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import connection, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.audit import refusals
from ketaclinic.audit import services as audit
from ketaclinic.locking import lock
from ketaclinic.outcomes import sms
from ketaclinic.patients.models import Patient
from ketaclinic.portal.models import SignInLink, SignInRequest

RATE_LIMITED_ACTION = "portal.link_rate_limited"
UNKNOWN_ACTION = "portal.link_unknown_address"
REFUSED_ACTION = "portal.link_refused"
IDENTIFIER_MAX_CHARS = 254
logger = logging.getLogger(__name__)


class LinkUnavailable(ServiceError):
    """The link opens nothing: unknown, used, closed or expired (the same words for each)."""

    def __init__(self) -> None:
        super().__init__("This sign-in link cannot be used. Links work once and for a short time: ask for a new one.")


class WrongDateOfBirth(ServiceError):
    """The date of birth does not match; ``remaining`` tries are left on this link (0: it is closed)."""

    def __init__(self, remaining: int) -> None:
        if remaining:
            message = (
                f"That date of birth does not match our records. Check it and try again ({remaining} "
                f"{'try' if remaining == 1 else 'tries'} left on this link)."
            )
        else:
            message = "That date of birth does not match our records. This link is now closed: ask for a new one."
        super().__init__(message, field="date_of_birth")
        self.remaining = remaining


# --- the address the patient types ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    kind: str  # "email" or "sms"
    value: str  # the e-mail address in lower case, or the phone number's digits


def parse_address(text: str) -> Address:
    """An e-mail address or a mobile number (10 digits, or 11 starting with 1); anything else is refused with a
    message that says what to type (never whether the address is known)."""
    value = (text or "").strip()
    problem = ServiceError("Enter your e-mail address or your mobile number.", field="address")
    if not value or len(value) > IDENTIFIER_MAX_CHARS or "<" in value or ">" in value:
        raise problem
    if "@" in value:
        try:
            validate_email(value)
        except ValidationError:
            raise problem from None
        return Address("email", value.lower())
    if any(ch not in "0123456789 +-.()" for ch in value):
        raise problem
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        raise problem
    return Address("sms", digits)


def _hash(purpose: str, value: str) -> str:
    return salted_hmac(f"ketaclinic.portal.{purpose}", value, algorithm="sha256").hexdigest()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _mask(address: Address) -> str:
    if address.kind == "email":
        local, _, domain = address.value.partition("@")
        return f"{local[:1]}***@{domain}"[:60]
    return f"***-{address.value[-4:]}"


def patients_at(address: Address) -> list[Patient]:
    """The patients this address reaches (a family may share one): current records only."""
    current = Patient.objects.filter(entered_in_error=False)
    if address.kind == "email":
        return list(current.filter(email__iexact=address.value).order_by("pk"))
    # Phone numbers are stored as typed ("(217) 555-0123"): narrow by the last four digits, then compare digits.
    candidates = current.filter(phone__endswith=address.value[-4:]).order_by("pk")
    return [p for p in candidates if "".join(ch for ch in p.phone if ch.isdigit())[-10:] == address.value]


# --- asking for a link ----------------------------------------------------------------------------------------------


def sign_in_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + reverse("portal:open_link", kwargs={"token": token})


def _deliver(address: Address, patient: Patient, url: str, minutes: int) -> None:
    clinic = patient.location.clinic.name
    if address.kind == "email":
        body = (
            f"Hello {patient.given_name},\n\nHere is your link to sign in to {clinic}'s patient portal:\n{url}\n\n"
            f"It works once, for {minutes} minutes. We will ask for your date of birth.\n"
            "If you did not ask for it, ignore this message.\n"
        )
        send_mail(f"Your sign-in link for {clinic}", body, settings.DEFAULT_FROM_EMAIL, [patient.email])
    else:
        sms.get_backend().send(
            patient.phone, f"{clinic}: your portal sign-in link (works once, {minutes} min): {url} Not you? Ignore it."
        )


def _over_limit(address_hash: str, client_hash: str, since: dt.datetime) -> bool:
    recent = SignInRequest.objects.filter(requested_at__gte=since)
    return (
        recent.filter(address_hash=address_hash).count() >= settings.KETACLINIC_PORTAL_LINKS_PER_ADDRESS
        or recent.filter(client_hash=client_hash).count() >= settings.KETACLINIC_PORTAL_LINKS_PER_CLIENT
    )


def _in_background(work: Callable[[], object]) -> None:
    """Run ``work`` off the request path (``KETACLINIC_PORTAL_LINK_DELIVERY``): "background" starts a daemon thread
    with its own database connection, closed when it ends; "inline" runs it at once (the test suite, which runs
    on-commit callbacks by hand)."""
    if settings.KETACLINIC_PORTAL_LINK_DELIVERY == "inline":
        work()
        return

    def run() -> None:
        try:
            work()
        except Exception:  # the patient asks again; never log the address or a token
            logger.exception("portal: a sign-in link could not be prepared or sent")
        finally:
            connection.close()

    threading.Thread(target=run, name="portal-sign-in-link", daemon=True).start()


def request_link(*, address: Address, client_ip: str | None, base_url: str, now: dt.datetime | None = None) -> None:
    """Record the request and, unless a rate limit says no, hand the address to ``send_links`` off the request path.

    The request does the same work whether or not the address is a patient's (security.md "Input"; issue 18: "no way
    to tell whether an address is registered"): two counts and one ``SignInRequest`` row; looking the address up,
    making the link and sending it (SMTP or the SMS provider, the slow part) happen after the commit in a background
    thread (``_in_background``). The address lives only in that thread's memory: no row keeps it. The house pattern
    for mail after a write is ``transaction.on_commit`` (accounts' password reset, intake's confirmation); the thread
    is added here because only here the time the answer takes must not depend on the outcome. The scheduled jobs are
    no fit: a link lives 15 minutes and the jobs run every 5.
    """
    moment = now or timezone.now()
    address_hash, client_hash = _hash("address", address.value), _hash("client", client_ip or "unknown")
    client = refusals.client_key(client_ip)
    since = moment - dt.timedelta(minutes=settings.KETACLINIC_PORTAL_LINK_WINDOW_MIN)
    if _over_limit(address_hash, client_hash, since):
        refusals.note(action=RATE_LIMITED_ACTION, client=client, detail={"client": client})
        return
    with transaction.atomic():
        row = SignInRequest.objects.create(address_hash=address_hash, client_hash=client_hash, requested_at=moment)
        work = functools.partial(send_links, request_id=row.pk, address=address, client=client, base_url=base_url)
        transaction.on_commit(functools.partial(_in_background, work))


def send_links(*, request_id: int, address: Address, client: str, base_url: str) -> int:
    """The sender: a one-time sign-in link to each current patient the address reaches, made and audited in one
    transaction and sent after it commits; an unknown address is counted as a refusal. Returns how many were sent."""
    moment = timezone.now()
    minutes = settings.KETACLINIC_PORTAL_LINK_MINUTES
    with transaction.atomic():
        found = patients_at(address)
        SignInRequest.objects.filter(pk=request_id).update(matched=bool(found))
        for patient in found:
            token = secrets.token_urlsafe(32)  # 256 bits; only its hash is stored
            link = SignInLink.objects.create(
                patient=patient,
                token_hash=hash_token(token),
                channel=address.kind,
                sent_to=_mask(address),
                created_at=moment,
                expires_at=moment + dt.timedelta(minutes=minutes),
            )
            audit.record(
                actor=None,
                action="portal.link_sent",
                obj=link,
                patient_id=patient.pk,
                detail={"channel": address.kind, "sent_to": link.sent_to, "client": client},
            )
            transaction.on_commit(functools.partial(_deliver, address, patient, sign_in_url(base_url, token), minutes))
    if not found:
        refusals.note(action=UNKNOWN_ACTION, client=client, outcome="failure", detail={"client": client})
    return len(found)


# --- using a link ---------------------------------------------------------------------------------------------------


def find_link(token: str, *, client: str, now: dt.datetime | None = None) -> SignInLink:
    """The link, if it can still be used; else ``LinkUnavailable`` (counted as a refusal, never the token)."""
    link = SignInLink.objects.filter(token_hash=hash_token(token)).first() if token else None
    if link is None or not link.usable(now):
        refusals.note(action=REFUSED_ACTION, client=client, detail={"client": client})
        raise LinkUnavailable()
    return link


def _wrong_date(link: SignInLink, moment: dt.datetime, client: str) -> WrongDateOfBirth:
    link.dob_failures += 1
    limit = settings.KETACLINIC_PORTAL_DOB_ATTEMPTS
    if link.dob_failures >= limit:
        link.closed_at = moment
    link.save(update_fields=["dob_failures", "closed_at"])
    audit.record(
        actor=None,
        action="portal.sign_in_failed",
        obj=link,
        patient_id=link.patient_id,
        outcome="failure",
        detail={
            "reason": "date of birth",
            "failures": link.dob_failures,
            "closed": link.closed_at is not None,
            "client": client,
        },
    )
    return WrongDateOfBirth(max(limit - link.dob_failures, 0))


def sign_in(*, token: str, date_of_birth: dt.date, client: str, now: dt.datetime | None = None) -> Patient:
    """Spend the link when the date of birth matches and return the patient; a wrong date is counted (and kept,
    even though the call raises ``WrongDateOfBirth``); the patient's other open links close."""
    moment = now or timezone.now()
    refused: ServiceError | None = None
    with transaction.atomic():
        link = lock(SignInLink.objects.filter(token_hash=hash_token(token))).first()
        if link is None or not link.usable(moment):
            refused = LinkUnavailable()
        else:
            patient = Patient.objects.select_related("location__clinic").get(pk=link.patient_id)
            if patient.date_of_birth != date_of_birth:
                refused = _wrong_date(link, moment, client)
            else:
                link.used_at = moment
                link.save(update_fields=["used_at"])
                SignInLink.objects.filter(patient_id=patient.pk, used_at__isnull=True, closed_at__isnull=True).exclude(
                    pk=link.pk
                ).update(closed_at=moment)
                audit.record(
                    actor=None, action="portal.sign_in", obj=link, patient_id=patient.pk, detail={"client": client}
                )
    if refused is not None:
        if isinstance(refused, LinkUnavailable):
            refusals.note(action=REFUSED_ACTION, client=client, detail={"client": client})
        raise refused
    return patient


def note_sign_out(*, patient_id: int, reason: str) -> None:
    """The portal session ended: signed out, idle timeout or lifetime reached (security.md H2, H4)."""
    audit.record(actor=None, action="portal.sign_out", patient_id=patient_id, detail={"reason": reason})


def record_view(*, patient_id: int, page: str, obj: models.Model | None = None) -> None:
    """One page of the patient's own data was shown to them (ARCHITECTURE.md: every read is audited)."""
    audit.record(actor=None, action="portal.view", obj=obj, patient_id=patient_id, detail={"page": page})
