"""Holding a drawn volume against a container until the administration is posted (models/holds.py says why).

``hold`` is called when the drug is drawn (an IV infusion's start), ``change_hold`` when a witnessed correction says
the drawn volume was wrong, ``release`` when the administration is posted or the draw is otherwise accounted for.
Every one locks the container first, so two chairs drawing from one vial queue and the second sees what the first
took. Audited; nothing is deleted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.audit import services as audit
from ketaclinic.domain.controlled import draws
from ketaclinic.ledger.models import Container, Hold, LedgerEntry
from ketaclinic.ledger.services import chain
from ketaclinic.ledger.services.common import check_usable, held_ml, local_date, quantity, require, require_location


@dataclass(frozen=True)
class Availability:
    """A container's book balance, what is held against it (open holds, oldest first) and what is left to draw."""

    balance_ml: Decimal
    held_ml: Decimal
    available_ml: Decimal
    holds: tuple[Hold, ...]


def open_holds(container: Container) -> list[Hold]:
    return list(Hold.objects.filter(container_id=container.pk, released_at__isnull=True).order_by("held_at", "pk"))


def held_as_of(container: Container, moment: dt.datetime) -> Decimal:
    """What was drawn from ``container`` at a chair by ``moment`` and not yet in its books as of then: the volume a
    count at ``moment`` cannot find in the vial (held then, not released before it, and not posted by an entry that
    the books as of ``moment`` already include)."""
    held = Decimal("0.00")
    rows = Hold.objects.filter(container_id=container.pk, held_at__lte=moment).select_related("released_entry")
    for row in rows:
        if row.released_at is not None and row.released_at <= moment:
            continue
        if row.released_entry is not None and row.released_entry.occurred_at <= moment:
            continue
        held += row.quantity_ml
    return held


def availability(container: Container, *, excluding: Hold | None = None) -> Availability:
    holds = tuple(h for h in open_holds(container) if excluding is None or h.pk != excluding.pk)
    held = sum((h.quantity_ml for h in holds), Decimal(0))
    return Availability(container.balance_ml, held, draws.available_ml(container.balance_ml, held), holds)


def describe(hold: Hold, tz: dt.tzinfo) -> str:
    """ "4.10 mL drawn for Chair 3 since 10:04" in the location's time (a day is added when it is not today)."""
    local = timezone.localtime(hold.held_at, tz)
    today = timezone.localtime(timezone.now(), tz).date()
    when = f"{local:%H:%M}" if local.date() == today else f"{local:%m/%d %H:%M}"
    return f"{hold.quantity_ml} mL in use at {hold.holder} since {when}"


def not_enough(
    container: Container, wanted_ml: Decimal, *, excluding: Hold | None = None, field: str
) -> ValidationError:
    """The refusal that names what the container holds and who holds the rest."""
    state = availability(container, excluding=excluding)
    text = f"{container.label} has {state.available_ml} mL available; {wanted_ml} mL cannot be drawn from it."
    if state.holds:
        tz = ZoneInfo(container.location.clinic.timezone)
        text += f" Its book balance is {state.balance_ml} mL, of which " + "; ".join(
            describe(h, tz) for h in state.holds
        )
        text += " (drawn and not yet posted)."
    return ValidationError({field: text})


@transaction.atomic
def hold(
    *,
    by: User,
    container: Container,
    quantity_ml: Decimal | str,
    holder: str,
    reference: str,
    at: dt.datetime | None = None,
) -> Hold:
    """Hold ``quantity_ml`` drawn from ``container`` for ``holder`` (e.g. "Chair 3"). Refused when the container is
    not usable on the clinic's day or has less available than the draw."""
    require(by, "ledger.record")
    wanted = quantity(quantity_ml, field="drawn_ml")
    locked = chain.lock_containers([container.pk]).get(container.pk)
    if locked is None:
        raise ServiceError("No such container.", field="container")
    require_location(by, locked.location)
    at = at or timezone.now()
    check_usable(locked, local_date(at, locked.location))
    if wanted > availability(locked).available_ml:
        raise not_enough(locked, wanted, field="drawn_ml")
    if locked.status == Container.Status.SEALED:
        chain.set_status(locked, Container.Status.OPEN, opened_at=at)  # a vial drawn from is open
    row = Hold.objects.create(
        container=locked,
        quantity_ml=wanted,
        holder=holder.strip()[:100] or "a chair",
        reference=reference.strip()[:100],
        held_at=at,
        held_by=by,
    )
    audit.record(
        actor=by,
        action="ledger.hold",
        obj=row,
        detail={
            "container": locked.label,
            "quantity_ml": str(wanted),
            "holder": row.holder,
            "reference": row.reference,
        },
    )
    return row


@transaction.atomic
def change_hold(*, by: User, hold: Hold, quantity_ml: Decimal, reason: str) -> Hold:
    """A corrected draw: the hold becomes ``quantity_ml`` (the caller has the correction witnessed)."""
    wanted = quantity(quantity_ml, field="drawn_ml")
    locked = chain.lock_containers([hold.container_id]).get(hold.container_id)
    assert locked is not None  # a hold's container is PROTECTed
    row = Hold.objects.select_for_update().get(pk=hold.pk)
    if row.released_at is not None:
        raise ValidationError({"drawn_ml": "This draw is already posted; correct it in the ledger instead."})
    if wanted > availability(locked, excluding=row).available_ml:
        raise not_enough(locked, wanted, excluding=row, field="drawn_ml")
    before = row.quantity_ml
    row.quantity_ml = wanted
    row.save(update_fields=["quantity_ml"])
    audit.record(
        actor=by,
        action="ledger.hold_change",
        obj=row,
        detail={"container": locked.label, "from_ml": str(before), "to_ml": str(wanted), "reason": reason},
    )
    return row


def release(*, by: User, hold: Hold, note: str, entry: LedgerEntry | None = None) -> Hold:
    """Release an open hold (inside the caller's transaction: posting releases it in the same commit)."""
    row = Hold.objects.select_for_update().get(pk=hold.pk)
    if row.released_at is not None:
        raise ValidationError({"__all__": "This draw was already released."})
    row.released_at, row.released_by, row.release_note, row.released_entry = timezone.now(), by, note[:300], entry
    row.save(update_fields=["released_at", "released_by", "release_note", "released_entry"])
    audit.record(
        actor=by,
        action="ledger.hold_release",
        obj=row,
        detail={"container_id": row.container_id, "quantity_ml": str(row.quantity_ml), "note": row.release_note},
    )
    return row


__all__ = [
    "Availability",
    "availability",
    "change_hold",
    "describe",
    "held_as_of",
    "held_ml",
    "hold",
    "open_holds",
    "release",
]
