"""Getting rid of stock: witnessed waste, quarantine, transfer to a reverse distributor, destruction (Form 41),
and theft or loss (notice within 1 business day, DEA Form 106 within 45 days)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError, fitted
from ketaclinic.accounts.models import Location, User
from ketaclinic.audit import services as audit
from ketaclinic.domain.controlled import deadlines
from ketaclinic.ledger.models import Container, DestructionRecord, Kind, LedgerEntry, Supplier, TheftLossReport
from ketaclinic.ledger.services import chain, witnesses
from ketaclinic.ledger.services.administration import after_removal
from ketaclinic.ledger.services.common import (
    Timing,
    policy_for,
    quantity,
    require,
    require_licensed_actor,
    require_location,
)
from ketaclinic.locking import lock

ON_HAND = (Container.Status.SEALED, Container.Status.OPEN, Container.Status.QUARANTINED)


def _lock_one(container: Container, by: User) -> Container:
    locked = chain.lock_containers([container.pk]).get(container.pk)
    if locked is None:
        raise ServiceError("No such container.", field="container")
    require_location(by, locked.location)
    return locked


def _lock_many(containers: Sequence[Container], by: User) -> tuple[Location, list[Container]]:
    if not containers:
        raise ValidationError({"containers": "Choose at least one container."})
    locked = chain.lock_containers(container.pk for container in containers)
    if len(locked) != len({container.pk for container in containers}):
        raise ValidationError({"containers": "One of the containers does not exist."})
    locations = {container.location_id for container in locked.values()}
    if len(locations) != 1:
        raise ValidationError({"containers": "All containers must be at one location."})
    location = next(iter(locked.values())).location
    require_location(by, location)
    return location, [locked[pk] for pk in sorted(locked)]


@transaction.atomic
def waste(
    *,
    by: User,
    container: Container,
    quantity_ml: Decimal | str,
    manner: str,
    reason: str,
    witness: witnesses.WitnessSignature | None,
    occurred_at: dt.datetime | None = None,
    related_entry: LedgerEntry | None = None,
    close: bool = False,
    backdate_reason: str = "",
) -> LedgerEntry:
    """Waste ``quantity_ml`` from an open container, witnessed. ``close`` wastes the whole remainder and closes the
    container (invariant 3: an opened vial is closed only once its remainder is wasted or destroyed)."""
    require(by, "ledger.record")
    locked = _lock_one(container, by)
    location = locked.location
    timing = Timing(occurred_at=occurred_at, reason=backdate_reason, policy=policy_for(location.clinic_id))
    require_licensed_actor(by, timezone.localdate())
    amount = locked.balance_ml if close else quantity(quantity_ml)
    if close and amount <= 0:
        raise ServiceError(f"{locked.label} is already empty.", field="container")
    if locked.status not in (Container.Status.OPEN, Container.Status.SEALED, Container.Status.QUARANTINED):
        raise ServiceError(f"{locked.label} is {locked.get_status_display().lower()}.", field="container")
    if not manner.strip():
        raise ValidationError({"manner": "Say how it was wasted (e.g. into the drug-waste container)."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why it was wasted."})
    if related_entry is not None:
        pending = _undisposed_draw(related_entry)
        if related_entry.container_id != locked.pk or amount > pending:
            raise ValidationError(
                {"quantity_ml": f"Administration #{related_entry.seq} has {pending} mL drawn and not yet accounted."}
            )
    if amount > locked.balance_ml:
        raise ValidationError({"quantity_ml": f"{locked.label} holds only {locked.balance_ml} mL."})
    signed_by = witnesses.accept(witness, actor=by, location=location, on=timezone.localdate())
    assert witness is not None
    entry = chain.append(
        container=locked,
        kind=Kind.WASTE,
        quantity_ml=-amount,
        actor=by,
        timing=timing,
        witness=signed_by,
        witness_method=witness.method,
        manner=fitted(manner, field="manner", limit=200),
        reason=reason.strip(),
        related_entry=related_entry,
    )
    after_removal(locked, timing)
    audit.record(
        actor=by,
        action="ledger.waste",
        obj=entry,
        detail={"container": locked.label, "quantity_ml": str(amount), "witness": signed_by.username, "close": close},
    )
    return entry


def _undisposed_draw(administration: LedgerEntry) -> Decimal:
    if administration.kind != Kind.ADMINISTER or administration.drawn_ml is None:
        raise ValidationError({"related_entry": "A waste can only be linked to an administration."})
    used = -administration.quantity_ml
    for linked in administration.linked_entries.filter(kind=Kind.WASTE):
        used -= linked.quantity_ml
    return administration.drawn_ml - used


@transaction.atomic
def quarantine(*, by: User, container: Container, reason: str) -> Container:
    """Set a container aside (expired, damaged, or an opened vial to be destroyed): it can no longer be used, and
    leaves the books only by destruction, transfer to a reverse distributor, or witnessed waste."""
    require(by, "ledger.record")
    locked = _lock_one(container, by)
    if locked.status not in (Container.Status.SEALED, Container.Status.OPEN):
        raise ServiceError(f"{locked.label} is {locked.get_status_display().lower()}.", field="container")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the container is set aside."})
    chain.set_status(locked, Container.Status.QUARANTINED, reason=reason.strip())
    audit.record(actor=by, action="ledger.quarantine", obj=locked, detail={"reason": reason.strip()})
    return locked


@transaction.atomic
def transfer_out(
    *,
    by: User,
    containers: Sequence[Container],
    reverse_distributor: Supplier,
    reference: str,
    occurred_at: dt.datetime | None = None,
    backdate_reason: str = "",
) -> list[LedgerEntry]:
    """Hand whole containers to a reverse distributor (date, quantity, its name, address and registration)."""
    require(by, "ledger.record")
    location, locked = _lock_many(containers, by)
    if reverse_distributor.clinic_id != location.clinic_id or not reverse_distributor.is_reverse_distributor:
        raise ValidationError({"reverse_distributor": "Choose one of the clinic's reverse distributors."})
    if not reference.strip():
        raise ValidationError({"reference": "Enter the reverse distributor's transfer or shipment reference."})
    timing = Timing(occurred_at=occurred_at, reason=backdate_reason, policy=policy_for(location.clinic_id))
    require_licensed_actor(by, timezone.localdate())
    group = chain.new_group()
    entries = []
    for container in locked:
        if container.status not in ON_HAND or container.balance_ml <= 0:
            raise ValidationError({"containers": f"{container.label} holds nothing to transfer."})
        entries.append(
            chain.append(
                container=container,
                kind=Kind.TRANSFER_OUT,
                quantity_ml=-container.balance_ml,
                actor=by,
                timing=timing,
                counterparty=reverse_distributor,
                invoice_ref=fitted(reference, field="reference", limit=100),
                manner="transferred to reverse distributor",
                group_ref=group,
            )
        )
        chain.set_status(container, Container.Status.DISPOSED, reason=f"transferred to {reverse_distributor.name}")
    audit.record(
        actor=by,
        action="ledger.transfer_out",
        obj=entries[0],
        detail={"containers": len(entries), "reverse_distributor": reverse_distributor.dea_number},
    )
    return entries


@transaction.atomic
def destroy(
    *,
    by: User,
    containers: Sequence[Container],
    method: str,
    place: str,
    witness: witnesses.WitnessSignature | None,
    second_witness: witnesses.WitnessSignature | None,
    occurred_at: dt.datetime | None = None,
    notes: str = "",
    backdate_reason: str = "",
) -> DestructionRecord:
    """Destroy whole containers on site before two witnessing employees (DEA Form 41 data)."""
    require(by, "ledger.record")
    location, locked = _lock_many(containers, by)
    if not method.strip():
        raise ValidationError({"method": "Say how the stock was destroyed (rendered non-retrievable)."})
    timing = Timing(occurred_at=occurred_at, reason=backdate_reason, policy=policy_for(location.clinic_id))
    require_licensed_actor(by, timezone.localdate())
    today = timezone.localdate()
    first = witnesses.accept(witness, actor=by, location=location, on=today)
    second = witnesses.accept(second_witness, actor=by, location=location, on=today, field="second_witness")
    if first.pk == second.pk:
        raise witnesses.WitnessRejected("Destruction needs two different witnesses.", field="second_witness")
    assert witness is not None
    record = DestructionRecord.objects.create(
        location=location,
        destroyed_at=timing.occurred_at,
        method=fitted(method, field="method", limit=200),
        place=fitted(place.strip() or location.address or location.name, field="place", limit=300),
        actor=by,
        witness=first,
        second_witness=second,
        notes=notes.strip(),
    )
    for container in locked:
        if container.status not in ON_HAND or container.balance_ml <= 0:
            raise ValidationError({"containers": f"{container.label} holds nothing to destroy."})
        chain.append(
            container=container,
            kind=Kind.DESTROY,
            quantity_ml=-container.balance_ml,
            actor=by,
            timing=timing,
            witness=first,
            second_witness=second,
            witness_method=witness.method,
            manner=fitted(method, field="method", limit=200),
            destruction=record,
            group_ref=f"destruction-{record.pk}",
        )
        chain.set_status(container, Container.Status.DISPOSED, reason=f"destroyed (record {record.pk})")
    audit.record(
        actor=by,
        action="ledger.destroy",
        obj=record,
        detail={"containers": len(locked), "witnesses": [first.username, second.username]},
    )
    return record


@dataclass(frozen=True)
class LostItem:
    container: Container
    quantity_ml: Decimal


@transaction.atomic
def report_theft_loss(
    *,
    by: User,
    kind: str,
    discovered_at: dt.datetime,
    description: str,
    items: Sequence[LostItem],
    backdate_reason: str = "",
) -> TheftLossReport:
    """Record a theft or significant loss: LOSS/THEFT entries for what is gone, and the report whose deadlines the
    ledger tracks (notice within 1 business day of discovery, DEA Form 106 within 45 days)."""
    require(by, "ledger.record")
    if kind not in TheftLossReport.Kind.values:
        raise ValidationError({"kind": "Choose theft or loss."})
    if not description.strip():
        raise ValidationError({"description": "Describe what happened and how it was discovered."})
    location, locked = _lock_many([item.container for item in items], by)
    policy = policy_for(location.clinic_id)
    timing = Timing(occurred_at=discovered_at, reason=backdate_reason, policy=policy)
    require_licensed_actor(by, timezone.localdate())
    discovered_on = timing.occurred_at.astimezone(ZoneInfo(location.clinic.timezone)).date()
    report = TheftLossReport.objects.create(
        location=location,
        kind=kind,
        discovered_at=timing.occurred_at,
        description=description.strip(),
        notice_due_on=deadlines.notice_due(discovered_on, policy.holidays()),
        form_106_due_on=deadlines.form_106_due(discovered_on),
        created_by=by,
    )
    by_id = {container.pk: container for container in locked}
    for item in items:
        container = by_id[item.container.pk]
        amount = quantity(item.quantity_ml)
        if container.status not in ON_HAND:
            raise ValidationError({"containers": f"{container.label} is not on hand."})
        if amount > container.balance_ml:
            raise ValidationError({"quantity_ml": f"{container.label} holds only {container.balance_ml} mL."})
        chain.append(
            container=container,
            kind=Kind.THEFT if kind == TheftLossReport.Kind.THEFT else Kind.LOSS,
            quantity_ml=-amount,
            actor=by,
            timing=timing,
            reason=description.strip(),
            theft_loss_report=report,
            group_ref=f"theft-loss-{report.pk}",
        )
        if container.balance_ml == 0:
            chain.set_status(container, Container.Status.EMPTY, reason=f"{kind} (report {report.pk})")
    audit.record(
        actor=by,
        action="ledger.theft_loss.report",
        obj=report,
        detail={"kind": kind, "containers": len(items), "notice_due_on": str(report.notice_due_on)},
    )
    return report


def _to_the_minute(moment: dt.datetime) -> dt.datetime:
    return moment.replace(second=0, microsecond=0)  # forms give times to the minute


@transaction.atomic
def record_notice_sent(*, by: User, report: TheftLossReport, sent_at: dt.datetime) -> TheftLossReport:
    require(by, "ledger.record")
    locked = lock(TheftLossReport).get(pk=report.pk)
    require_location(by, locked.location)
    if locked.notice_sent_at is not None:
        raise ServiceError("The notice is already recorded as sent.")
    if sent_at > timezone.now() or sent_at < _to_the_minute(locked.discovered_at):
        raise ValidationError({"sent_at": "The notice is sent between the discovery and now."})
    locked.notice_sent_at = sent_at
    locked.notice_sent_by = by
    locked.save(update_fields=["notice_sent_at", "notice_sent_by"])
    audit.record(actor=by, action="ledger.theft_loss.notice_sent", obj=locked, detail={"sent_at": sent_at.isoformat()})
    return locked


@transaction.atomic
def record_form_106(*, by: User, report: TheftLossReport, filed_at: dt.datetime, reference: str) -> TheftLossReport:
    require(by, "ledger.record")
    locked = lock(TheftLossReport).get(pk=report.pk)
    require_location(by, locked.location)
    if locked.form_106_filed_at is not None:
        raise ServiceError("DEA Form 106 is already recorded as filed.")
    if not reference.strip():
        raise ValidationError({"reference": "Enter the Form 106 confirmation number."})
    if filed_at > timezone.now() or filed_at < _to_the_minute(locked.discovered_at):
        raise ValidationError({"filed_at": "Form 106 is filed between the discovery and now."})
    locked.form_106_filed_at = filed_at
    locked.form_106_reference = fitted(reference, field="reference", limit=60)
    locked.form_106_filed_by = by
    locked.save(update_fields=["form_106_filed_at", "form_106_reference", "form_106_filed_by"])
    audit.record(actor=by, action="ledger.theft_loss.form_106_filed", obj=locked, detail={"reference": reference})
    return locked
