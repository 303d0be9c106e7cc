"""Receiving stock: one RECEIPT entry per container (controlled-substances.md "Receipt")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import Location, User
from ketaclinic.audit import services as audit
from ketaclinic.domain.controlled import expiry
from ketaclinic.ledger.models import Container, Kind, LedgerEntry, Lot, Product, Supplier
from ketaclinic.ledger.services import chain
from ketaclinic.ledger.services.common import (
    Timing,
    local_date,
    policy_for,
    require,
    require_licensed_actor,
    require_location,
    require_registration,
)

MAX_CONTAINERS_PER_RECEIPT = 500  # a data-entry bound (a typo of 5000 vials), not a rule


@dataclass(frozen=True)
class Receipt:
    group_ref: str
    entries: list[LedgerEntry]

    @property
    def containers(self) -> list[Container]:
        return [entry.container for entry in self.entries]


def _labels(location: Location, product: Product, count: int, labels: list[str] | None) -> list[str]:
    if labels:
        cleaned = [label.strip() for label in labels if label.strip()]
        if len(cleaned) != count or len(set(cleaned)) != count:
            raise ValidationError({"labels": f"Give {count} different container ids, one per container."})
        taken = set(Container.objects.filter(location=location, label__in=cleaned).values_list("label", flat=True))
        if taken:
            raise ValidationError({"labels": f"Already in use at {location.name}: {', '.join(sorted(taken))}."})
        return cleaned
    prefix = "".join(word[0] for word in location.name.split()).upper()[:3] or "C"
    used = Container.objects.filter(location=location).count()
    result: list[str] = []
    number = used
    while len(result) < count:
        number += 1
        label = f"{prefix}-{number:05d}"
        if not Container.objects.filter(location=location, label=label).exists():
            result.append(label)
    return result


@transaction.atomic
def receive(
    *,
    by: User,
    location: Location,
    product: Product,
    supplier: Supplier,
    lot_number: str,
    expires_on: dt.date,
    container_count: int,
    invoice_ref: str,
    occurred_at: dt.datetime | None = None,
    labels: list[str] | None = None,
    backdate_reason: str = "",
    quarantine_reason: str = "",
) -> Receipt:
    """Record stock received at ``location``: ``container_count`` full containers of ``product`` from ``supplier``,
    with the invoice or packing-slip reference (Schedule III moves on invoices, not DEA Form 222).

    An expired lot (judged on the clinic's calendar day) is never received as usable stock: without a
    ``quarantine_reason`` the receipt is refused; with one, the containers enter the books quarantined (the inventory
    counts all stock on hand, 21 CFR 1304.11(a)) and are never offered for administration; they leave by destruction
    or transfer to a reverse distributor (21 CFR 1317.05(a)). A reason quarantines an in-date receipt too (damaged on
    arrival, recalled)."""
    require(by, "ledger.record")
    require_location(by, location)
    policy = policy_for(location.clinic_id)
    timing = Timing(occurred_at=occurred_at, reason=backdate_reason, policy=policy)
    on = local_date(timing.occurred_at, location)
    require_licensed_actor(by, timezone.localdate())
    require_registration(location, on)
    errors: dict[str, str] = {}
    if product.clinic_id != location.clinic_id or not product.is_active:
        errors["product"] = "Not an active product of this clinic."
    if supplier.clinic_id != location.clinic_id or not supplier.is_active or supplier.is_reverse_distributor:
        errors["supplier"] = "Not an active supplier of this clinic."
    if not 1 <= container_count <= MAX_CONTAINERS_PER_RECEIPT:
        errors["container_count"] = f"Enter between 1 and {MAX_CONTAINERS_PER_RECEIPT} containers."
    if not invoice_ref.strip():
        errors["invoice_ref"] = "Enter the invoice or packing-slip reference."
    if not lot_number.strip():
        errors["lot_number"] = "Enter the lot number printed on the package."
    # Judged on the recording day in the clinic's zone: a lot expired then was expired on any earlier receipt day too.
    today = local_date(timing.recorded_at, location)
    try:
        quarantined = expiry.check_receipt(expires_on, today, quarantine_reason=quarantine_reason)
    except expiry.ExpiryError as exc:
        errors["expires_on"] = str(exc)
    if errors:
        raise ValidationError(errors)
    lot, created = Lot.objects.get_or_create(
        product=product, lot_number=lot_number.strip(), defaults={"expires_on": expires_on}
    )
    if not created and lot.expires_on != expires_on:
        raise ValidationError({"expires_on": f"Lot {lot.lot_number} is on file with expiry {lot.expires_on}."})
    reason = quarantine_reason.strip()
    if quarantined and lot.is_expired_on(today):
        reason = f"received expired (lot expired {lot.expires_on:%Y-%m-%d}): {reason}"
    elif quarantined:
        reason = f"received into quarantine: {reason}"
    group = chain.new_group()
    entries = []
    for label in _labels(location, product, container_count, labels):
        container = Container.objects.create(
            location=location,
            lot=lot,
            label=label,
            labelled_volume_ml=product.container_volume_ml,
            balance_ml=0,
            received_at=timing.occurred_at,
            status=Container.Status.QUARANTINED if quarantined else Container.Status.SEALED,
            status_reason=reason[:300],
        )
        container = chain.lock_containers([container.pk])[container.pk]
        entries.append(
            chain.append(
                container=container,
                kind=Kind.RECEIPT,
                quantity_ml=product.container_volume_ml,
                actor=by,
                timing=timing,
                counterparty=supplier,
                invoice_ref=invoice_ref.strip(),
                group_ref=group,
            )
        )
    audit.record(
        actor=by,
        action="ledger.receive",
        obj=entries[0],
        detail={
            "containers": len(entries),
            "product": product.ndc,
            "lot": lot.lot_number,
            "invoice_ref": invoice_ref.strip(),
            "backdated": timing.backdated,
            "quarantined": quarantined,
            "quarantine_reason": reason,
        },
    )
    return Receipt(group_ref=group, entries=entries)
