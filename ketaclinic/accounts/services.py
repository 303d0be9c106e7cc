"""Every write to users, clinics, licences, MFA devices and API tokens (keyword-only, atomic, audited)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from functools import partial
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.accounts.models import ApiToken, Clinic, Licence, Location, User, UserSession
from ketaclinic.accounts.roles import Role, role_can
from ketaclinic.audit import refusals
from ketaclinic.audit import services as audit
from ketaclinic.audit.models import AuditEvent
from ketaclinic.locking import lock

TOKEN_BYTES = 32  # 256 bits: security.md asks ≥ 128-bit unguessable tokens


def _require(actor: User | None, capability: str) -> None:
    if actor is not None and not (actor.is_superuser or role_can(actor.role, capability)):
        raise PermissionDenied(f"Your role may not do this ({capability}).")


@transaction.atomic
def create_clinic(*, by: User | None, name: str, timezone_name: str = "America/New_York") -> Clinic:
    clinic = Clinic(name=name, timezone=timezone_name)
    clinic.full_clean()
    clinic.save()
    audit.record(actor=by, action="clinic.create", obj=clinic, detail={"name": name})
    return clinic


@transaction.atomic
def create_location(*, by: User | None, clinic: Clinic, name: str, address: str = "", phone: str = "") -> Location:
    _require(by, "users.manage")
    location = Location(clinic=clinic, name=name, address=address, phone=phone)
    location.full_clean()
    location.save()
    audit.record(actor=by, action="location.create", obj=location, detail={"name": name})
    return location


@transaction.atomic
def create_user(
    *,
    by: User | None,
    username: str,
    password: str,
    role: Role | str,
    clinic: Clinic,
    locations: Iterable[Location],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    title: str = "",
) -> User:
    """Create a workforce user. ``by=None`` only for bootstrap and the demo loader (audited as the system)."""
    _require(by, "users.manage")
    locations = list(locations)
    if any(location.clinic_id != clinic.pk for location in locations):
        raise ValidationError({"locations": "Every location must belong to the user's clinic."})
    user = User(
        username=username,
        role=str(role),
        clinic=clinic,
        first_name=first_name,
        last_name=last_name,
        email=email,
        title=title,
    )
    validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.is_staff = user.role == Role.CLINIC_ADMIN  # clinic admins use the back office (Django admin)
    user.save()
    _assign_locations(user, locations)
    if user.is_staff:
        _grant_back_office(user)
    audit.record(actor=by, action="user.create", obj=user, detail={"username": username, "role": str(role)})
    return user


BACK_OFFICE_PERMISSIONS = (
    ("accounts", "user", ("view", "add", "change")),
    ("accounts", "clinic", ("view", "change")),
    ("accounts", "location", ("view", "add", "change")),
    ("accounts", "licence", ("view", "add", "change")),
    ("accounts", "apitoken", ("view",)),
    ("audit", "auditevent", ("view",)),
    ("patients", "patient", ("view",)),
)


def _grant_back_office(user: User) -> None:
    from django.contrib.auth.models import Permission

    codenames = [(app, f"{action}_{model}") for app, model, actions in BACK_OFFICE_PERMISSIONS for action in actions]
    query = Permission.objects.none()
    for app, codename in codenames:
        query = query | Permission.objects.filter(content_type__app_label=app, codename=codename)
    user.user_permissions.add(*query)


@transaction.atomic
def add_licence(*, by: User | None, user: User, kind: str, number: str, state: str, expires_on: dt.date) -> Licence:
    _require(by, "users.manage")
    licence = Licence(user=user, kind=kind, number=number.strip(), state=state.strip().upper(), expires_on=expires_on)
    licence.full_clean()
    licence.save()
    audit.record(actor=by, action="licence.add", obj=licence, detail={"user": user.username, "kind": kind})
    return licence


@transaction.atomic
def deactivate_user(*, by: User | None, user: User, reason: str) -> None:
    """End every session and API token of the user at once (security.md H12); the account is kept, not deleted."""
    _require(by, "users.manage")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the account is deactivated."})
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(is_active=False, deactivated_at=now)
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    user.refresh_from_db()
    audit.record(
        actor=by,
        action="user.deactivate",
        obj=user,
        detail={"reason": reason, "sessions_ended": len(keys), "tokens_revoked": revoked},
    )


@transaction.atomic
def _assign_locations(user: User, locations: list[Location]) -> None:
    """The user's locations become ``locations``, the new ones added one by one in the order given: the first
    assigned is where reports open (ledger ``home_location``). Django's ``set()`` adds through a set of ids, whose
    order depends on the ids' hashes."""
    wanted = [location.pk for location in locations]
    user.locations.remove(*[pk for pk in user.locations.values_list("pk", flat=True) if pk not in wanted])
    have = set(user.locations.values_list("pk", flat=True))
    for location in locations:
        if location.pk not in have:
            user.locations.add(location)
            have.add(location.pk)


def set_user_access(*, by: User, user: User, role: str, locations: Iterable[Location]) -> None:
    """Change a user's role or locations (a permission change, audited with before and after)."""
    _require(by, "users.manage")
    locations = list(locations)
    before = {"role": user.role, "locations": sorted(user.locations.values_list("pk", flat=True))}
    user.role = role
    user.full_clean(exclude=["password"])
    user.save(update_fields=["role"])
    _assign_locations(user, locations)
    after = {"role": role, "locations": sorted(location.pk for location in locations)}
    audit.record(actor=by, action="user.permissions_change", obj=user, detail={"before": before, "after": after})


def create_api_token(*, by: User | None, user: User, name: str = "", expires_at: dt.datetime | None = None) -> str:
    """Make a token, store only its hash, and return the token itself: it is shown once."""
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        if not user.is_active:
            raise ValidationError({"user": f"{user.username} is deactivated."})
        token = ApiToken.objects.create(
            user=user, name=name, prefix=raw[:8], token_hash=ApiToken.hash_token(raw), expires_at=expires_at
        )
        audit.record(actor=by, action="api_token.create", obj=token, detail={"user": user.username, "name": name})
    return raw


@transaction.atomic
def revoke_api_token(*, by: User, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit.record(actor=by, action="api_token.revoke", obj=token)


def authenticate_token(raw: str) -> User | None:
    """The user a bearer token belongs to, or None; notes when it was last used."""
    now = timezone.now()
    token = ApiToken.objects.select_related("user").filter(token_hash=ApiToken.hash_token(raw)).first()
    if token is None or not token.is_usable(now):
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # bookkeeping, not a clinical write
    return token.user


# --- Sign-in bookkeeping ---------------------------------------------------------------------------------------------


@transaction.atomic
def note_login(*, user: User, session_key: str, method: str) -> None:
    UserSession.objects.get_or_create(session_key=session_key, defaults={"user": user})
    audit.record(actor=user, action="auth.login", obj=user, detail={"method": method})


@transaction.atomic
def note_logout(*, user: User, session_key: str | None, reason: str = "logout") -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()
    action = "auth.logout" if reason == "logout" else "auth.timeout"
    audit.record(actor=user, action=action, obj=user, detail={"reason": reason})


def note_failed_login(*, username: str, reason: str) -> None:
    """Audit a failed sign-in (security.md H4). Every failure against a real account gets its own row (django-axes
    locks the username + address after a few, H8). A made-up username names no account: the first from an address
    in a minute gets its own row, repeats are counted and summarised (issue 13, defect 7; ``audit.refusals``)."""
    user = User.objects.filter(username=username).first()
    if user is None:
        refusals.note(
            action="auth.login_failed",
            client=refusals.current_client(),
            username=username,
            outcome="failure",
            detail={"reason": reason, "account_known": False},
        )
        return
    audit.record(
        actor=None,
        username=username,
        action="auth.login_failed",
        obj=user,
        outcome="failure",
        detail={"reason": reason},
    )


def note_lockout(*, username: str) -> None:
    """Audit a sign-in refused because the username + address is locked out (security.md H4/H8): the first per
    username, address and minute gets its own row, the refused retries are counted (issue 13, defect 7)."""
    refusals.note(
        action="auth.lockout",
        client=refusals.current_client(),
        subject=refusals.subject_key(username),
        username=username,
        outcome="denied",
        detail={},
    )


# --- TOTP enrolment (django-otp) -------------------------------------------------------------------------------------


def confirmed_totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@transaction.atomic
def start_totp_enrolment(*, user: User) -> TOTPDevice:
    """An unconfirmed device whose secret the enrolment page shows as a QR code; confirmed by a first valid code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
        audit.record(actor=user, action="auth.mfa_enrolment_started", obj=user)
    return device


@transaction.atomic
def confirm_totp_enrolment(*, user: User, device: TOTPDevice, token: str) -> bool:
    if device.user_id != user.pk or device.confirmed:
        raise PermissionDenied("That device is not being enrolled for you.")
    if not verify_totp(device=device, token=token):
        return False
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    device.confirmed = True
    audit.record(actor=user, action="auth.mfa_enrolled", obj=user)
    return True


def verify_totp(*, device: TOTPDevice, token: str) -> bool:
    """Check a 6-digit code with django-otp's own throttling (it doubles the wait after each failure).

    django-otp refuses a code at or before the device's ``last_t``, but it reads and writes that row without a lock:
    two sign-ins submitting the same code at once would both read the old ``last_t`` and both pass. Holding the
    device row (PostgreSQL; SQLite's IMMEDIATE transactions already serialise writers) makes the second request wait
    for the first to commit, then see the code as used."""
    with transaction.atomic():
        locked = lock(TOTPDevice).get(pk=device.pk)
        allowed, _ = locked.verify_is_allowed()
        verified = allowed and bool(locked.verify_token(token.strip().replace(" ", "")))
    for field in ("last_t", "drift", "throttling_failure_count", "throttling_failure_timestamp", "last_used_at"):
        setattr(device, field, getattr(locked, field))  # the caller's copy matches the row
    return verified


@transaction.atomic
def create_totp_device_with_key(*, user: User, key_hex: str) -> TOTPDevice:
    """Demo loader only: a confirmed device with a known secret, so the credentials file can give it out."""
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", key=key_hex, confirmed=True)
    audit.record(actor=None, action="auth.mfa_enrolled", obj=user, detail={"by": "demo loader"})
    return device


def audited_admin_save(*, by: User, obj: Any, change: bool) -> None:
    """Back-office edits in Django admin: saved and audited in one transaction."""
    with transaction.atomic():
        obj.full_clean()
        obj.save()
        audit.record(actor=by, action=f"admin.{'change' if change else 'add'}", obj=obj)


# --- Self-service password reset and the clinic admin's second-factor reset (issue 13) -------------------------------

RESET_REQUEST_ACTION = "auth.password_reset_requested"


def reset_client_digest(ip_address: str | None) -> str:
    """Salted SHA-256 of the client address (16 hex digits): countable for the rate limit, not reversible."""
    return salted_hmac("ketaclinic.accounts.reset.client", ip_address or "unknown", algorithm="sha256").hexdigest()[:16]


def _accounts_for_reset(email: str) -> list[User]:
    """Django's own policy (PasswordResetForm.get_users): active accounts with a usable password and that address."""
    if not email:
        return []
    return [
        user
        for user in User.objects.filter(email__iexact=email, is_active=True).order_by("pk")
        if user.has_usable_password() and user.email.casefold() == email.casefold()
    ]


def _reset_rate_limited(*, client: str, user: User | None, since: dt.datetime) -> str:
    """Which limit a new request is past ('' for none). Shared by every app server: per client address every request
    counts, refused ones too (a flood stays refused) — the e-mails sent (one audit event each) plus the unmatched and
    refused requests (counted in the audit log's refusal tallies, ``ketaclinic.audit.refusals``, so junk cannot fill
    the undeletable log: issue 13, defect 7); per account only the e-mails actually sent count, so a flood cannot stop
    its owner for longer than the window."""
    sent = AuditEvent.objects.filter(action=RESET_REQUEST_ACTION, occurred_at__gte=since, outcome="success")
    from_client = sent.filter(detail__client=client, detail__matched=True).count()
    from_client += refusals.refusals_since(client=client, since=since, actions=[RESET_REQUEST_ACTION])
    if from_client >= settings.KETACLINIC_PASSWORD_RESET_RATE_LIMIT:
        return "client address"
    to_account = sent.filter(object_type=User._meta.label_lower, object_id=str(user.pk)).count() if user else 0
    if user is not None and to_account >= settings.KETACLINIC_PASSWORD_RESET_ACCOUNT_LIMIT:
        return "account"
    return ""


@transaction.atomic
def request_password_reset(*, email: str, client_ip: str | None, base_url: str) -> int:
    """Send a one-time reset link to each active account with this e-mail address; returns how many were sent.

    The caller shows the same confirmation whatever happens (no account enumeration). Each e-mail sent is audited with
    a salted digest of the client address, never the link or its token. A request for no account, or past the rate
    limit (nothing is sent), is an anonymous refusal: audited the first time per address, account and minute, the
    repeats counted (``refusals.note``). The e-mails leave after the transaction commits."""
    client = reset_client_digest(client_ip)
    since = timezone.now() - dt.timedelta(minutes=settings.KETACLINIC_PASSWORD_RESET_RATE_WINDOW_MIN)
    users = _accounts_for_reset(email.strip())
    if not users:
        limited = _reset_rate_limited(client=client, user=None, since=since)
        refusals.note(
            action=RESET_REQUEST_ACTION,
            client=client,
            username=email.strip()[:150],
            outcome="denied" if limited else "success",
            detail={"client": client, "matched": False, "refused": limited},
        )
        return 0
    sent = 0
    for user in users:
        limited = _reset_rate_limited(client=client, user=user, since=since)
        detail = {"client": client, "matched": True, "refused": limited}
        if limited:
            refusals.note(
                action=RESET_REQUEST_ACTION,
                client=client,
                subject=refusals.subject_key(str(user.pk)),
                username=user.username,
                obj=user,
                detail=detail,
            )
            continue
        audit.record(actor=None, username=user.username, action=RESET_REQUEST_ACTION, obj=user, detail=detail)
        link = base_url.rstrip("/") + reverse(
            "accounts:password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        transaction.on_commit(partial(_send_reset_email, user=user, link=link))
        sent += 1
    return sent


def _send_reset_email(*, user: User, link: str) -> None:
    context = {"user": user, "link": link, "minutes": settings.PASSWORD_RESET_TIMEOUT // 60}
    subject = render_to_string("accounts/password_reset_subject.txt", context).strip()
    body = render_to_string("accounts/password_reset_email.txt", context)
    send_mail(subject, body, None, [user.email])


def _end_sessions(user: User) -> int:
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


@transaction.atomic
def complete_password_reset(*, user: User, password: str) -> None:
    """Set the new password chosen through an e-mailed link (the caller has checked the link).

    The password validators apply. Every session of the user ends (the changed password would end them at their next
    request anyway: Django's session auth hash). Nobody is signed in: the next sign-in asks for the new password and
    then the second factor. The lockout (django-axes) for this username is cleared: it counted guesses at the old
    password, and whoever holds the mailbox could reset it anyway; the second factor and its own throttling stay."""
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    sessions_ended = _end_sessions(user)
    lockout_cleared = AxesProxyHandler.reset_attempts(username=user.username)
    audit.record(
        actor=user,
        action="auth.password_reset",
        obj=user,
        detail={"via": "e-mailed link", "sessions_ended": sessions_ended, "lockout_cleared": bool(lockout_cleared)},
    )


def note_password_reset_link_refused(*, user: User | None) -> None:
    """An e-mailed link that is unknown, used or expired was opened (audited; it opens nothing)."""
    audit.record(
        actor=None,
        username=user.username if user is not None else "",
        action="auth.password_reset_link_refused",
        obj=user,
        outcome="denied",
        detail={"account_known": user is not None},
    )


@transaction.atomic
def reset_second_factor(*, by: User, user: User, reason: str) -> int:
    """A clinic admin removes a colleague's authenticator (lost or replaced phone); returns how many were removed.

    Every TOTP device of the user is deleted, not just disabled: enrolment would otherwise offer the old secret again.
    At the next sign-in, after the password, the user enrols a new app. Their sessions end (each rested on the removed
    device). Nothing else is touched. Audited with the written reason."""
    _require(by, "users.manage")
    if not by.is_superuser and user.clinic_id != by.clinic_id:
        raise PermissionDenied("That user is not at your clinic.")
    if user.pk == by.pk:
        raise PermissionDenied("Ask another clinic admin to reset your own second factor.")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the second factor is reset."})
    devices = list(lock(TOTPDevice).filter(user=user).values_list("pk", flat=True))
    TOTPDevice.objects.filter(pk__in=devices).delete()
    sessions_ended = _end_sessions(user)
    audit.record(
        actor=by,
        action="auth.mfa_reset",
        obj=user,
        detail={"reason": reason, "devices_removed": len(devices), "sessions_ended": sessions_ended},
    )
    return len(devices)
