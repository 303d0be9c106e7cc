"""What every session write does first and last: role, location, row lock, replay guard, version check; then bump
the version. Also the session's protocol and time helpers shared by the services."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.domain import protocols
from ketaclinic.domain.protocols import Protocol
from ketaclinic.infusions.models import FormSubmission, TreatmentSession
from ketaclinic.locking import lock
from ketaclinic.plans.models import ProtocolTuning

ACTIVE = (
    TreatmentSession.Status.CHECK_IN,
    TreatmentSession.Status.INFUSING,
    TreatmentSession.Status.OBSERVATION,
)
STARTED = (TreatmentSession.Status.INFUSING, TreatmentSession.Status.OBSERVATION)


class StaleSession(ServiceError):
    """The form was filled in on an older version of the session: nothing was written."""

    def __init__(self, current: int) -> None:
        super().__init__(
            f"Someone else changed this session while you were entering this (it is now at version {current}). "
            "Nothing was saved: check the record, then submit again."
        )
        self.current = current


class SessionLocked(ServiceError):
    """The session's note is signed (or the session was cancelled): the record cannot change any more."""


def require(actor: User, capability: str) -> None:
    if not (actor.is_superuser or role_can(actor.role, capability)):
        raise PermissionDenied(f"Your role may not do this ({capability}).")


def require_location(actor: User, location: Location) -> None:
    if not actor.locations.filter(pk=location.pk).exists():
        raise PermissionDenied("You do not work at that location.", field="location")


def open_write(
    *,
    by: User,
    session: TreatmentSession,
    capability: str = "sessions.record",
    version: int | None,
    token: uuid.UUID | None = None,
    statuses: Iterable[str] | None = ACTIVE,
    allow_signed: bool = False,
) -> tuple[TreatmentSession, FormSubmission | None]:
    """Lock the session row and run the checks every write shares. Returns the locked session and, when ``token``
    was already used for a write on this session, that earlier submission (the caller returns its result unchanged:
    a double tap or a retried POST records once). A replay is recognised before the version check, because the first
    submission is what moved the version on. ``allow_signed`` lets an administrative fact recorded after signing (the
    REMS submission) through the signed-and-locked refusal."""
    require(by, capability)
    locked = lock(TreatmentSession).select_related("patient", "location", "order").get(pk=session.pk)
    require_location(by, locked.location)
    if token is not None:
        earlier = FormSubmission.objects.filter(session=locked, token=token).first()
        if earlier is not None:
            return locked, earlier
    if locked.is_locked and not (allow_signed and locked.status == TreatmentSession.Status.SIGNED):
        state = "signed and locked" if locked.status == TreatmentSession.Status.SIGNED else "cancelled"
        raise SessionLocked(f"This session is {state}: its record cannot change any more.")
    if statuses is not None and locked.status not in tuple(statuses):
        raise ServiceError(f"Not possible now: the session is “{locked.get_status_display().lower()}”.")
    if version is not None and version != locked.version:
        raise StaleSession(locked.version)
    return locked, None


def finish_write(
    session: TreatmentSession,
    *,
    token: uuid.UUID | None = None,
    kind: str = "",
    obj: models.Model | None = None,
    fields: Iterable[str] = (),
) -> TreatmentSession:
    """Save the changed ``fields`` of the locked session, bump its version and remember ``token``."""
    session.version += 1
    session.updated_at = timezone.now()
    session.save(update_fields=[*fields, "version", "updated_at"])
    if token is not None:
        FormSubmission.objects.create(session=session, token=token, kind=kind, object_id=getattr(obj, "pk", None))
    return session


M = TypeVar("M", bound=models.Model)


def replayed(model: type[M], submission: FormSubmission) -> M:
    """The object an earlier submission of the same form created (what a replay returns)."""
    return model._default_manager.get(pk=submission.object_id or 0)


def within(value: str, *, limit: int, field: str) -> str:
    """``value`` stripped, or a refusal naming ``field`` when it is longer than its column: a name is never cut."""
    value = value.strip()
    if len(value) > limit:
        raise ValidationError({field: f"Keep this to {limit} characters (it has {len(value)}); nothing was saved."})
    return value


def protocol_for(session: TreatmentSession) -> Protocol:
    """The protocol with the clinic's tuning as it was when the patient checked in (a snapshot version)."""
    base = protocols.get(session.protocol_id)
    if not session.protocol_tuning_version:
        return base
    tuning = ProtocolTuning.objects.filter(
        clinic_id=session.location.clinic_id,
        protocol_id=session.protocol_id,
        version=session.protocol_tuning_version,
    ).first()
    return base if tuning is None else protocols.apply_overrides(base, tuning.overrides)


def moment(
    value: dt.datetime | None, *, field: str, not_before: dt.datetime | None = None, what: str = ""
) -> dt.datetime:
    """A time the nurse entered (None: now). Not in the future; not before ``not_before`` when given."""
    now = timezone.now()
    if value is None:
        return now
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now:
        raise ValidationError({field: "This time is in the future."})
    # Times are typed to the minute: a start typed as 10:05 is not "before" a check-in at 10:05:30.
    if not_before is not None and value < not_before.replace(second=0, microsecond=0):
        local = timezone.localtime(not_before)
        raise ValidationError({field: f"This time is before {what or 'the previous entry'} ({local:%H:%M})."})
    return value


def instrument_errors(exc: Exception) -> ValidationError:
    """``instruments.InvalidAnswers`` as a ValidationError naming each item (``item_3``) or ``answers``."""
    errors: dict[str, list[str]] = {}
    for problem in getattr(exc, "problems", ()):
        key = f"item_{problem.item.number}" if problem.item else "answers"
        errors.setdefault(key, []).append(str(problem))
    return ValidationError(errors or {"answers": [str(exc)]})
