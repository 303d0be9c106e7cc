"""Inventories and the discrepancy workflow (controlled-substances.md "Inventories"; invariant 7).

Start a count (its lines are every container on hand at the location), enter what is counted (exact mL; an estimate
is a flagged exception with a reason), finalise: each line becomes an INVENTORY_COUNT entry in the chain (the count
is tamper-evident too), and each difference from the books as of the count becomes a Discrepancy. A minor one is
annotated (optionally with a witnessed adjustment of the books); a significant shortage is escalated to a
theft/loss report with its deadlines; a significant overage is annotated with a witnessed adjustment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError, fitted
from ketaclinic.accounts.models import Location, User
from ketaclinic.audit import services as audit
from ketaclinic.domain.controlled import books, deadlines
from ketaclinic.ledger.models import Container, Discrepancy, Inventory, InventoryLine, Kind, TheftLossReport
from ketaclinic.ledger.services import chain, corrections, disposal, holds, witnesses
from ketaclinic.ledger.services.common import (
    Timing,
    local_date,
    policy_for,
    quantity,
    require,
    require_licensed_actor,
    require_location,
)
from ketaclinic.locking import lock

FULL_KINDS = (Inventory.Kind.INITIAL, Inventory.Kind.BIENNIAL)


@transaction.atomic
def start_inventory(
    *, by: User, location: Location, kind: str, taken_at: dt.datetime, business_timing: str, notes: str = ""
) -> Inventory:
    require(by, "ledger.inventory")
    require_location(by, location)
    require_licensed_actor(by, timezone.localdate())
    if kind not in Inventory.Kind.values:
        raise ValidationError({"kind": "Choose initial, biennial or ad hoc."})
    if business_timing not in Inventory.Timing.values:
        raise ValidationError({"business_timing": "Say whether the count is at the opening or close of business."})
    now = timezone.now()
    if taken_at > now:
        raise ValidationError({"taken_at": "A count is recorded when it is taken, not before."})
    if now - taken_at < dt.timedelta(minutes=1):
        taken_at = now  # a time typed to the minute means "now": the books then include this minute's entries
    if kind == Inventory.Kind.INITIAL and Inventory.objects.filter(location=location, kind=kind).exists():
        raise ValidationError({"kind": f"{location.name} already has its initial inventory."})
    try:
        with transaction.atomic():
            inventory = Inventory.objects.create(
                location=location,
                kind=kind,
                taken_at=taken_at,
                business_timing=business_timing,
                counted_by=by,
                notes=notes.strip(),
            )
    except IntegrityError:
        raise ServiceError(f"A count is already in progress at {location.name}; finish it first.") from None
    containers = Container.objects.filter(location=location, status__in=disposal.ON_HAND).order_by("label")
    InventoryLine.objects.bulk_create(InventoryLine(inventory=inventory, container=c) for c in containers)
    audit.record(actor=by, action="ledger.inventory.start", obj=inventory, detail={"kind": kind})
    return inventory


@dataclass(frozen=True)
class Count:
    counted_ml: Decimal | str | None
    estimated: bool = False
    estimation_reason: str = ""


@transaction.atomic
def record_counts(*, by: User, inventory: Inventory, counts: Mapping[int, Count]) -> Inventory:
    """Save what was counted, by line id. Lines left out keep what they had."""
    require(by, "ledger.inventory")
    locked = lock(Inventory).get(pk=inventory.pk)
    require_location(by, locked.location)
    if locked.status != Inventory.Status.IN_PROGRESS:
        raise ServiceError("This inventory is finalised; counts can no longer change.")
    lines = {line.pk: line for line in locked.lines.select_related("container")}
    errors: dict[str, list[str]] = {}
    for line_id, count in counts.items():
        line = lines.get(line_id)
        if line is None:
            raise ValidationError({"lines": f"Line {line_id} is not part of this inventory."})
        field = f"line_{line_id}"
        try:
            raw = count.counted_ml
            line.counted_ml = None if raw is None or raw == "" else quantity(raw, field=field, positive=False)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.message_dict.get(field, ["Not a quantity."]))
            continue
        if line.counted_ml is not None and line.counted_ml < 0:
            errors.setdefault(field, []).append("A count cannot be negative.")
        if count.estimated and not count.estimation_reason.strip():
            errors.setdefault(field, []).append("An estimate needs a reason (exact measure is the default).")
        line.estimated = count.estimated
        line.estimation_reason = (
            fitted(count.estimation_reason, field="estimation_reason", limit=300) if count.estimated else ""
        )
    if errors:
        raise ValidationError(errors)
    for line in lines.values():
        line.save(update_fields=["counted_ml", "estimated", "estimation_reason"])
    audit.record(actor=by, action="ledger.inventory.count", obj=locked, detail={"lines": len(counts)})
    return locked


def earlier_discrepancies(location: Location, product_id: int, before: dt.datetime, days: int) -> int:
    return Discrepancy.objects.filter(
        location=location, product_id=product_id, found_at__lt=before, found_at__gte=before - dt.timedelta(days=days)
    ).count()


@transaction.atomic
def finalise_inventory(*, by: User, inventory: Inventory) -> Inventory:
    require(by, "ledger.inventory")
    locked = lock(Inventory).get(pk=inventory.pk)
    location = locked.location
    require_location(by, location)
    require_licensed_actor(by, timezone.localdate())
    if locked.status != Inventory.Status.IN_PROGRESS:
        raise ServiceError("This inventory is already finalised.")
    lines = list(locked.lines.select_related("container__lot__product"))
    missing = [line.container.label for line in lines if line.counted_ml is None]
    if missing:
        raise ValidationError({"lines": f"Enter a count for every container: {', '.join(missing)}."})
    policy = policy_for(location.clinic_id)
    rule = books.DiscrepancyPolicy(
        significant_mg=policy.significant_discrepancy_mg,
        significant_percent=policy.significant_discrepancy_percent,
        pattern_count=policy.discrepancy_pattern_count,
    )
    timing = Timing(occurred_at=locked.taken_at, reason="inventory count", policy=policy)
    containers = chain.lock_containers(line.container_id for line in lines)
    found = 0
    for line in lines:
        container = containers[line.container_id]
        # What the vial should hold: its books less what a chair had drawn and not yet posted at the count (an
        # infusion running during the count is not a shortage).
        in_use = holds.held_as_of(container, locked.taken_at)
        line.book_ml = chain.balance_as_of(container, locked.taken_at) - in_use
        line.save(update_fields=["book_ml"])
        assert line.counted_ml is not None
        chain.append(
            container=container,
            kind=Kind.INVENTORY_COUNT,
            quantity_ml=Decimal("0.00"),
            actor=by,
            timing=timing,
            counted_ml=line.counted_ml,
            inventory=locked,
            reason=f"{locked.get_kind_display()}"
            + (f" (estimated: {line.estimation_reason})" if line.estimated else "")
            + (f" ({in_use} mL drawn at a chair and not yet posted)" if in_use else ""),
            group_ref=f"inventory-{locked.pk}",
        )
        product = container.lot.product
        result = books.reconcile(
            book_ml=line.book_ml,
            counted_ml=line.counted_ml,
            concentration_mg_per_ml=product.concentration_mg_per_ml,
            policy=rule,
            earlier_discrepancies=earlier_discrepancies(
                location, product.pk, locked.taken_at, policy.discrepancy_pattern_days
            ),
        )
        if result.kind != "match":
            found += 1
            Discrepancy.objects.create(
                line=line,
                location=location,
                product=product,
                container=container,
                found_at=locked.taken_at,
                book_ml=result.book_ml,
                counted_ml=result.counted_ml,
                difference_ml=result.difference_ml,
                difference_mg=result.difference_mg,
                significant=result.significant,
                reasons="; ".join(result.reasons),
            )
    locked.status = Inventory.Status.FINALISED
    locked.finalised_at = timezone.now()
    locked.save(update_fields=["status", "finalised_at"])
    audit.record(
        actor=by, action="ledger.inventory.finalise", obj=locked, detail={"lines": len(lines), "discrepancies": found}
    )
    return locked


def _lock_open(discrepancy: Discrepancy, by: User) -> Discrepancy:
    locked = lock(Discrepancy).select_related("container", "location").get(pk=discrepancy.pk)
    require_location(by, locked.location)
    if locked.status != Discrepancy.Status.OPEN:
        raise ServiceError("This discrepancy is already resolved.")
    return locked


@transaction.atomic
def annotate_discrepancy(
    *,
    by: User,
    discrepancy: Discrepancy,
    annotation: str,
    adjust_books: bool = False,
    witness: witnesses.WitnessSignature | None = None,
) -> Discrepancy:
    """Annotate a discrepancy in the records. ``adjust_books`` also brings the books to the count with a witnessed
    adjustment. A significant shortage cannot just be annotated: it is escalated."""
    require(by, "ledger.inventory")
    locked = _lock_open(discrepancy, by)
    if not annotation.strip():
        raise ValidationError({"annotation": "Explain the discrepancy."})
    if locked.significant and locked.kind == "shortage":
        raise ServiceError("A significant shortage is escalated to a theft/loss report, not only annotated.")
    if locked.significant and not adjust_books:
        raise ServiceError("A significant overage is corrected with a witnessed adjustment of the books.")
    if adjust_books:
        locked.adjustment_entry = corrections.adjust(
            by=by,
            container=locked.container,
            quantity_ml=locked.difference_ml,
            reason=f"count discrepancy {locked.pk}: {annotation.strip()}",
            witness=witness,
        )
    locked.annotation = annotation.strip()
    locked.status = Discrepancy.Status.ANNOTATED
    locked.resolved_by = by
    locked.resolved_at = timezone.now()
    locked.save(update_fields=["annotation", "status", "resolved_by", "resolved_at", "adjustment_entry"])
    audit.record(actor=by, action="ledger.discrepancy.annotate", obj=locked, detail={"adjusted": adjust_books})
    return locked


@transaction.atomic
def escalate_discrepancy(
    *, by: User, discrepancy: Discrepancy, kind: str, description: str, discovered_at: dt.datetime | None = None
) -> TheftLossReport:
    """Turn a shortage into a theft/loss report: the missing quantity leaves the books as LOSS/THEFT entries and the
    notice and Form 106 deadlines start from the discovery."""
    require(by, "ledger.inventory")
    locked = _lock_open(discrepancy, by)
    if locked.kind != "shortage":
        raise ServiceError("Only a shortage is escalated; correct an overage with a witnessed adjustment.")
    report = disposal.report_theft_loss(
        by=by,
        kind=kind,
        discovered_at=discovered_at or timezone.now(),
        description=description,
        items=[disposal.LostItem(container=locked.container, quantity_ml=-locked.difference_ml)],
        backdate_reason="found at the inventory count",
    )
    locked.status = Discrepancy.Status.ESCALATED
    locked.theft_loss_report = report
    locked.annotation = description.strip()
    locked.resolved_by = by
    locked.resolved_at = timezone.now()
    locked.save(update_fields=["status", "theft_loss_report", "annotation", "resolved_by", "resolved_at"])
    audit.record(actor=by, action="ledger.discrepancy.escalate", obj=locked, detail={"report": report.pk})
    return report


@dataclass(frozen=True)
class InventoryDue:
    last_on: dt.date | None
    due_on: dt.date | None
    state: str  # "no inventory" | "ok" | "due soon" | "overdue"


def inventory_due(location: Location, today: dt.date | None = None) -> InventoryDue:
    """Invariant 7: the next full inventory is due the clinic's interval (≤ 2 years) after the last one."""
    policy = policy_for(location.clinic_id)
    last = (
        Inventory.objects.filter(location=location, kind__in=FULL_KINDS, status=Inventory.Status.FINALISED)
        .order_by("-taken_at")
        .first()
    )
    if last is None:
        return InventoryDue(None, None, "no inventory")
    last_on = local_date(last.taken_at, location)
    due = deadlines.biennial_due(last_on, policy.inventory_interval_months)
    today = today or timezone.localdate()
    return InventoryDue(last_on, due, deadlines.deadline_state(due, today, warn_days=policy.inventory_alert_days))
