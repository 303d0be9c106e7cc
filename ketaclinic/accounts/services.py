"""Every write to users, clinics, licences, MFA devices and API tokens (keyword-only, atomic, audited)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.accounts.models import ApiToken, Clinic, Licence, Location, User, UserSession
from ketaclinic.accounts.roles import Role, role_can
from ketaclinic.audit import services as audit

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
    user.locations.set(locations)
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
def set_user_access(*, by: User, user: User, role: str, locations: Iterable[Location]) -> None:
    """Change a user's role or locations (a permission change, audited with before and after)."""
    _require(by, "users.manage")
    locations = list(locations)
    before = {"role": user.role, "locations": sorted(user.locations.values_list("pk", flat=True))}
    user.role = role
    user.full_clean(exclude=["password"])
    user.save(update_fields=["role"])
    user.locations.set(locations)
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
    user = User.objects.filter(username=username).first()
    audit.record(
        actor=None,
        username=username,
        action="auth.login_failed",
        obj=user,
        outcome="failure",
        detail={"reason": reason},
    )


def note_lockout(*, username: str) -> None:
    audit.record(actor=None, username=username, action="auth.lockout", outcome="denied", detail={})


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
    """Check a 6-digit code with django-otp's own throttling (it doubles the wait after each failure)."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return False
    return bool(device.verify_token(token.strip().replace(" ", "")))


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
