"""Checks every ledger write makes: role, licence, location, registration, timing; and the clinic's policy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import Clinic, Licence, Location, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.domain.controlled import books, deadlines, expiry, quantities
from ketaclinic.ledger.models import Container, Hold, Kind, LedgerPolicy, Registrant


class InsufficientStock(ServiceError):
    """Invariant 1: the entry would leave the container with a negative balance; nothing was written."""

    def __init__(self, container: Container, requested_ml: Decimal) -> None:
        super().__init__(
            f"{container.label} holds {container.balance_ml} mL; {requested_ml} mL cannot be taken from it.",
            field="quantity_ml",
        )


class HeldStock(InsufficientStock):
    """The entry would take volume drawn at a chair and not yet posted (a held draw); nothing was written."""

    def __init__(self, container: Container, requested_ml: Decimal, held_ml: Decimal) -> None:
        ServiceError.__init__(
            self,
            f"{container.label} holds {container.balance_ml} mL, but {held_ml} mL of it is drawn for a patient and "
            f"not yet posted: {requested_ml} mL cannot be taken from it (the container's page shows who holds it).",
            field="quantity_ml",
        )


USABLE = (Container.Status.SEALED, Container.Status.OPEN)


def check_usable(container: Container, on: dt.date) -> None:
    """Refuse a container that may not be given: quarantined, closed, or expired on the clinic's day ``on``
    (outdated drugs are never available for patient use, 42 CFR 482.25(b)(3))."""
    if container.status == Container.Status.QUARANTINED:
        raise ServiceError(
            f"{container.label} is quarantined ({container.status_reason or 'set aside'}): it is never given; it "
            "leaves the books by destruction (DEA Form 41) or transfer to a reverse distributor.",
            field="container",
        )
    if container.status not in USABLE:
        raise ServiceError(f"{container.label} is {container.get_status_display().lower()}.", field="container")
    if container.is_expired(on):
        raise ServiceError(
            f"{container.label} expired on {container.lot.expires_on:%Y-%m-%d} (lot {container.lot.lot_number}): "
            f"expired stock is never given ({expiry.NOT_FOR_USE_SOURCE}). Set it aside for destruction or return.",
            field="container",
        )


def held_ml(container: Container, *, excluding: int | None = None) -> Decimal:
    """Volume drawn from ``container`` at a chair and not yet posted (its open holds), less one hold if given."""
    holds = Hold.objects.filter(container_id=container.pk, released_at__isnull=True)
    if excluding is not None:
        holds = holds.exclude(pk=excluding)
    return Decimal(holds.aggregate(total=Sum("quantity_ml"))["total"] or 0).quantize(Decimal("0.01"))


def require(actor: User, capability: str) -> None:
    if not role_can(actor.role, capability):
        raise PermissionDenied(f"Your role may not do this ({capability}).")


def clinical_licences(user: User, on: dt.date) -> list[Licence]:
    """Current licences other than a DEA registration ("any licence kind except DEA alone")."""
    return [licence for licence in user.active_licences(on) if licence.kind != Licence.Kind.DEA]


def require_licensed_actor(actor: User, on: dt.date) -> None:
    """Invariant 5 ("both active, authorised, licensed"): ketaclinic asks it of everyone who makes an entry."""
    if not actor.is_active:
        raise PermissionDenied("Your account is not active.")
    if not clinical_licences(actor, on):
        raise PermissionDenied(
            "Ledger entries are made by licensed clinicians: no current licence is on file for you "
            "(a clinic admin adds it in the back office)."
        )


def require_location(actor: User, location: Location) -> None:
    if not actor.locations.filter(pk=location.pk).exists():
        raise PermissionDenied("You do not work at that location.", field="location")


def require_registration(location: Location, on: dt.date) -> None:
    registrant = Registrant.objects.filter(location=location).first()  # fresh: never a cached relation
    if registrant is None:
        raise ServiceError(f"{location.name} has no DEA registration on file; a clinic admin adds it first.")
    if not registrant.is_current(on):
        raise ServiceError(f"The DEA registration of {location.name} expired on {registrant.expires_on}.")


def policy_for(clinic: Clinic | int | None) -> LedgerPolicy:
    """The clinic's saved policy, or an unsaved one holding the defaults (reading never writes)."""
    clinic_id = clinic.pk if isinstance(clinic, Clinic) else clinic
    if clinic_id is None:
        return LedgerPolicy()
    policy = LedgerPolicy.objects.filter(clinic_id=clinic_id).first()
    return policy if policy is not None else LedgerPolicy(clinic_id=clinic_id)


def local_date(moment: dt.datetime, location: Location) -> dt.date:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(location.clinic.timezone)).date()


def quantity(value: Decimal | int | str, *, field: str = "quantity_ml", positive: bool = True) -> Decimal:
    try:
        result = quantities.exact_ml(value, name=field)
    except (quantities.QuantityError, TypeError) as exc:
        raise ValidationError({field: str(exc)}) from None
    if positive and result <= 0:
        raise ValidationError({field: "Enter a quantity greater than zero."})
    return result


class Timing:
    """When an entry happened and was recorded, with the back-dating rule applied (invariant 6)."""

    def __init__(self, *, occurred_at: dt.datetime | None, reason: str, policy: LedgerPolicy) -> None:
        self.recorded_at = timezone.now()
        self.occurred_at = occurred_at or self.recorded_at
        try:
            result = deadlines.timing(self.occurred_at, self.recorded_at, limit=policy.backdate_limit)
        except deadlines.TimingError as exc:
            raise ValidationError({"occurred_at": str(exc)}) from None
        self.backdated = result.backdated
        self.reason = reason.strip() if result.backdated else ""
        if self.backdated and not self.reason:
            raise ValidationError(
                {
                    "backdate_reason": f"This is recorded more than {policy.backdate_limit_hours} h after it "
                    "happened: say why (it is flagged in the records)."
                }
            )


def kind_label(kind: str) -> str:
    return str(dict(Kind.choices).get(kind, kind)) if kind in books.KINDS else kind
