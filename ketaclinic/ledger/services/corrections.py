"""Corrections: nothing in the ledger is edited or deleted (invariant 4). A wrong entry gets a REVERSAL that points
at it; a book that disagrees with a count gets a witnessed ADJUSTMENT with a reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.audit import services as audit
from ketaclinic.ledger.models import Container, Kind, LedgerEntry
from ketaclinic.ledger.services import chain, witnesses
from ketaclinic.ledger.services.common import (
    Timing,
    policy_for,
    quantity,
    require,
    require_licensed_actor,
    require_location,
)

NOT_REVERSIBLE = (Kind.REVERSAL, Kind.INVENTORY_COUNT)
RESTORED_STATUS: dict[str, str] = {
    Kind.DESTROY: Container.Status.QUARANTINED,
    Kind.TRANSFER_OUT: Container.Status.QUARANTINED,
}


@transaction.atomic
def adjust(
    *,
    by: User,
    container: Container,
    quantity_ml: Decimal | str,
    reason: str,
    witness: witnesses.WitnessSignature | None,
    occurred_at: dt.datetime | None = None,
    backdate_reason: str = "",
) -> LedgerEntry:
    """Correct a container's books by a signed quantity (e.g. after a count), with a reason and a witness."""
    require(by, "ledger.record")
    amount = quantity(quantity_ml, positive=False)
    if amount == 0:
        raise ValidationError({"quantity_ml": "An adjustment moves a quantity: enter + or − mL."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the books are adjusted."})
    locked = chain.lock_containers([container.pk]).get(container.pk)
    if locked is None:
        raise ServiceError("No such container.", field="container")
    location = locked.location
    require_location(by, location)
    timing = Timing(occurred_at=occurred_at, reason=backdate_reason, policy=policy_for(location.clinic_id))
    require_licensed_actor(by, timezone.localdate())
    if locked.status == Container.Status.DISPOSED:
        raise ServiceError(f"{locked.label} is disposed; reverse the disposal instead.", field="container")
    signed_by = witnesses.accept(witness, actor=by, location=location, on=timezone.localdate())
    assert witness is not None
    entry = chain.append(
        container=locked,
        kind=Kind.ADJUSTMENT,
        quantity_ml=amount,
        actor=by,
        timing=timing,
        witness=signed_by,
        witness_method=witness.method,
        reason=reason.strip(),
    )
    _restatus(locked, timing)
    audit.record(
        actor=by,
        action="ledger.adjust",
        obj=entry,
        detail={"container": locked.label, "quantity_ml": str(amount), "witness": signed_by.username},
    )
    return entry


def _restatus(container: Container, timing: Timing, reversed_kind: str | None = None) -> None:
    if container.balance_ml == 0:
        if container.status in (Container.Status.SEALED, Container.Status.OPEN):
            chain.set_status(container, Container.Status.EMPTY)
        return
    if reversed_kind in RESTORED_STATUS:
        chain.set_status(container, RESTORED_STATUS[reversed_kind], reason="disposal reversed")
    elif container.status in (Container.Status.EMPTY, Container.Status.DISPOSED):
        chain.set_status(container, Container.Status.OPEN, opened_at=timing.occurred_at)


@transaction.atomic
def reverse(*, by: User, entry: LedgerEntry, reason: str, witness: witnesses.WitnessSignature | None) -> LedgerEntry:
    """Undo a wrong entry with an equal and opposite REVERSAL that points at it. The original stays, marked as
    reversed wherever it is shown. ketaclinic asks a witness for every reversal, as for an adjustment."""
    require(by, "ledger.record")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the entry is wrong."})
    if entry.kind in NOT_REVERSIBLE:
        raise ServiceError(f"A {entry.get_kind_display().lower()} cannot be reversed.")
    locked = chain.lock_containers([entry.container_id]).get(entry.container_id)
    if locked is None:
        raise ServiceError("No such container.")
    location = locked.location
    require_location(by, location)
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise ServiceError(f"Entry #{entry.seq} is already reversed.")
    timing = Timing(occurred_at=None, reason="", policy=policy_for(location.clinic_id))
    require_licensed_actor(by, timezone.localdate())
    signed_by = witnesses.accept(witness, actor=by, location=location, on=timezone.localdate())
    assert witness is not None
    reversal = chain.append(
        container=locked,
        kind=Kind.REVERSAL,
        quantity_ml=-entry.quantity_ml,
        actor=by,
        timing=timing,
        witness=signed_by,
        witness_method=witness.method,
        reverses=entry,
        patient_id=entry.patient_id,
        reason=reason.strip(),
    )
    _restatus(locked, timing, reversed_kind=entry.kind)
    audit.record(
        actor=by,
        action="ledger.reverse",
        obj=reversal,
        patient_id=entry.patient_id,
        detail={"reverses": entry.seq, "witness": signed_by.username},
    )
    return reversal
