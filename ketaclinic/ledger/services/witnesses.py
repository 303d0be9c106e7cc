"""The second person: a licensed colleague who re-authenticates at signing (invariant 5).

The witness types their username, password and current one-time code into the same form as the entry. ``sign``
checks them (Django's ``authenticate``, so django-axes throttles guessing exactly as at sign-in, then the TOTP code
with django-otp's own throttling and replay protection), checks the witness may witness here, audits the outcome
either way, and returns a ``WitnessSignature``: a short-lived token (Django signing, 5 minutes) bound to the
witness and the actor. The recording services accept only a valid signature and check the witness again inside
their transaction. A refusal is audited in its own transaction, so it survives the refused write.

Other second-person signatures reuse this service with their own :class:`WitnessRule` (who qualifies, the audit
action, the label on the form): a treatment plan above the protocol's range is co-signed by a second prescriber this
way (plans.services.COSIGNER). A signature made under one rule is refused under another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import authenticate
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils import timezone

from ketaclinic.accounts import services as accounts
from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.ledger.services.common import clinical_licences

SALT = "ketaclinic.ledger.witness"
SIGNATURE_MAX_AGE_S = 300
REAUTHENTICATED = "password + one-time code"
DEMO_LOADER = "demo loader (synthetic data, no re-authentication)"


class WitnessRejected(ServiceError):
    """The witness could not sign; nothing was written. ``field`` names the form field to show it against."""


@dataclass(frozen=True)
class WitnessCredentials:
    """What the witness typed. Never logged: the password and code are left out of the repr."""

    username: str
    password: str = field(repr=False)
    otp_token: str = field(repr=False)
    prefix: str = "witness"  # the form fields' prefix, so an error lands next to the right witness


@dataclass(frozen=True)
class WitnessSignature:
    user: User
    method: str
    token: str = field(repr=False)


def eligibility_problem(witness: User, *, actor: User, location: Location, on: dt.date) -> str | None:
    """Why ``witness`` may not witness ``actor``'s entry at ``location`` today, or None."""
    if witness.pk == actor.pk:
        return "the witness must be a second person, not the one making the entry"
    if not witness.is_active:
        return f"{witness.username}'s account is not active"
    if not role_can(witness.role, "ledger.witness"):
        return f"{witness.username}'s role may not witness controlled-substance entries"
    if not clinical_licences(witness, on):
        return f"{witness.username} holds no current professional licence (a DEA registration alone is not enough)"
    if not witness.locations.filter(pk=location.pk).exists():
        return f"{witness.username} does not work at {location.name}"
    return None


@dataclass(frozen=True)
class WitnessRule:
    """Who may be the second person, and how their signature is named: ``purpose`` prefixes the audit actions
    (``<purpose>.signed`` / ``<purpose>.rejected``) and binds the signature; ``label`` starts a refusal message."""

    purpose: str
    label: str
    problem: Callable[..., str | None]
    """``problem(witness, actor=, location=, on=)``: why this person may not sign, or None."""
    role_problem: Callable[[User], str | None] | None = None
    """``role_problem(user)``: why this person's role can never sign, or None. Checked *before* the password, so the
    answer says what is wrong (the role) without saying whether the password was right."""


def role_problem(user: User) -> str | None:
    """A role that may not witness controlled-substance entries (front desk, clinic admin), said plainly."""
    if role_can(user.role, "ledger.witness"):
        return None
    return (
        f"{user.username} is {user.get_role_display().lower()} staff, and that role cannot witness "
        "controlled-substance entries; ask a nurse or prescriber at this location"
    )


LEDGER = WitnessRule(purpose="ledger.witness", label="Witness", problem=eligibility_problem, role_problem=role_problem)


def _refuse(*, actor: User, username: str, reason: str, field: str, rule: WitnessRule = LEDGER) -> WitnessRejected:
    audit.record(
        actor=actor,
        action=f"{rule.purpose}.rejected",
        outcome="denied",
        detail={"witness_username": username[:150], "reason": reason},
    )
    return WitnessRejected(f"{rule.label}: {reason}.", field=field)


def sign(
    *,
    request: HttpRequest,
    credentials: WitnessCredentials,
    actor: User,
    location: Location,
    rule: WitnessRule = LEDGER,
) -> WitnessSignature:
    """Re-authenticate the witness now (password and one-time code) and check they may witness here."""
    username = credentials.username.strip()
    prefix = credentials.prefix
    if rule.role_problem is not None:
        # A colleague of the same clinic whose role can never sign is told so before any password check: "wrong
        # role" after the password, or "no authenticator" (front desk needs none in the demo), would confirm the
        # password was right.
        colleague = (
            User.objects.filter(username=username, clinic_id=actor.clinic_id, is_active=True).first()
            if actor.clinic_id is not None
            else None
        )
        refusal = rule.role_problem(colleague) if colleague is not None else None
        if refusal:
            raise _refuse(actor=actor, username=username, reason=refusal, field=f"{prefix}_username", rule=rule)
    user = authenticate(request, username=username, password=credentials.password)
    if getattr(request, "axes_locked_out", False):
        # Keep django-axes's lockout (it refused the password) but answer here, not with the sign-in lockout page.
        request.axes_locked_out = False  # type: ignore[attr-defined]
        raise _refuse(
            actor=actor,
            username=username,
            reason="this account is locked after repeated failed attempts; try again later",
            field=f"{prefix}_username",
            rule=rule,
        )
    if user is None:
        raise _refuse(
            actor=actor,
            username=username,
            reason="that username and password do not match an active account",
            field=f"{prefix}_password",
            rule=rule,
        )
    device = accounts.confirmed_totp_device(user)
    if device is None:
        raise _refuse(
            actor=actor,
            username=username,
            reason="no authenticator app is set up",
            field=f"{prefix}_otp_token",
            rule=rule,
        )
    if not accounts.verify_totp(device=device, token=credentials.otp_token):
        raise _refuse(
            actor=actor,
            username=username,
            reason="the one-time code is not valid (wait for a new one)",
            field=f"{prefix}_otp_token",
            rule=rule,
        )
    problem = rule.problem(user, actor=actor, location=location, on=timezone.localdate())
    if problem:
        raise _refuse(actor=actor, username=username, reason=problem, field=f"{prefix}_username", rule=rule)
    audit.record(actor=actor, action=f"{rule.purpose}.signed", obj=user, detail={"witness_username": user.username})
    return _signature(user, actor, REAUTHENTICATED, rule)


def demo_signature(*, witness: User, actor: User) -> WitnessSignature:
    """For the demo loader's synthetic history only: marked in every entry it signs, refused in production."""
    if settings.ENVIRONMENT == "production":
        raise ImproperlyConfigured("demo witness signatures are refused in production")
    return _signature(witness, actor, DEMO_LOADER)


def _signature(witness: User, actor: User, method: str, rule: WitnessRule = LEDGER) -> WitnessSignature:
    token = signing.dumps({"w": witness.pk, "a": actor.pk, "m": method, "p": rule.purpose}, salt=SALT)
    return WitnessSignature(user=witness, method=method, token=token)


def accept(
    signature: WitnessSignature | None,
    *,
    actor: User,
    location: Location,
    on: dt.date,
    field: str = "witness",
    rule: WitnessRule = LEDGER,
) -> User:
    """Inside the write: the signature is genuine, fresh, for this actor and rule; the witness still qualifies."""
    if signature is None:
        raise WitnessRejected(
            "This entry needs a witness who signs with their password and one-time code.", field=field
        )
    try:
        payload = signing.loads(signature.token, salt=SALT, max_age=SIGNATURE_MAX_AGE_S)
    except signing.BadSignature:
        raise WitnessRejected("The witness's signature has expired; the witness signs again.", field=field) from None
    if (
        payload.get("w") != signature.user.pk
        or payload.get("a") != actor.pk
        or payload.get("m") != signature.method
        or payload.get("p") != rule.purpose
    ):
        raise WitnessRejected("The witness's signature does not belong to this entry.", field=field)
    witness = User.objects.get(pk=signature.user.pk)
    problem = rule.problem(witness, actor=actor, location=location, on=on)
    if problem:
        raise WitnessRejected(f"{rule.label}: {problem}.", field=field)
    return witness
