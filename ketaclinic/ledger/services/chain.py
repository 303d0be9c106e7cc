"""Appending to the hash-chained ledger, and verifying it (invariants 1, 2, 3, 4 and 9).

Lock order, to keep PostgreSQL free of deadlocks: containers first (by primary key), then the ledger chain head,
then the audit chain head (``audit.record`` runs after the entries are written).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ketaclinic.accounts.models import User
from ketaclinic.audit import chain
from ketaclinic.domain.controlled import books, quantities
from ketaclinic.ledger.models import Container, Kind, LedgerChainHead, LedgerEntry
from ketaclinic.ledger.services.common import HeldStock, InsufficientStock, Timing, held_ml
from ketaclinic.locking import lock

ZERO = Decimal("0.00")
LEDGER_CHAIN = "ledger"


def new_group() -> str:
    return uuid.uuid4().hex


def lock_containers(ids: Iterable[int]) -> dict[int, Container]:
    """Row-lock the containers (``select_for_update``, by primary key so concurrent writers queue in one order):
    the balance check and the write then see the latest balance (invariant 10). A no-op on SQLite, whose writers
    are serialised by the IMMEDIATE transaction instead."""
    wanted = sorted(set(ids))
    locked = lock(Container).filter(pk__in=wanted).order_by("pk")
    by_id = {container.pk: container for container in locked.select_related("lot__product", "location__clinic")}
    return by_id


def _head_for_update() -> LedgerChainHead:
    head = lock(LedgerChainHead).filter(pk=1).first()
    if head is None:
        LedgerChainHead.objects.get_or_create(pk=1, defaults=chain.new_head(LEDGER_CHAIN))
        head = lock(LedgerChainHead).get(pk=1)
    return head


def display_name(user: User) -> str:
    return user.display_name


def append(
    *,
    container: Container,
    kind: str,
    quantity_ml: Decimal,
    actor: User,
    timing: Timing,
    witness: User | None = None,
    second_witness: User | None = None,
    witness_method: str = "",
    reverses: LedgerEntry | None = None,
    **fields: Any,
) -> LedgerEntry:
    """Write one entry against a container the caller has locked, and move its balance. Refuses a negative balance
    (invariant 1) and a quantity of the wrong sign; the caller has checked everything else."""
    books.check_sign(kind, quantity_ml, reverses=reverses.kind if reverses is not None else None)
    new_balance = container.balance_ml + quantity_ml
    if new_balance < 0:
        raise InsufficientStock(container, -quantity_ml)
    if quantity_ml < 0:
        # Volume drawn at a chair and not yet posted is gone from the vial: no entry may take it (issue 15, item 3).
        held = held_ml(container)
        if new_balance < held:
            raise HeldStock(container, -quantity_ml, held)
    product = container.lot.product
    head = _head_for_update()
    entry = LedgerEntry(
        seq=head.last_seq + 1,
        location_id=container.location_id,
        container=container,
        product=product,
        kind=kind,
        quantity_ml=quantity_ml,
        quantity_mg=quantities.mg_from_ml(quantity_ml, product.concentration_mg_per_ml),
        concentration_mg_per_ml=product.concentration_mg_per_ml,
        balance_after_ml=new_balance,
        occurred_at=timing.occurred_at,
        recorded_at=timing.recorded_at,
        backdated=timing.backdated,
        backdate_reason=timing.reason,
        actor=actor,
        actor_name=display_name(actor),
        witness=witness,
        witness_name=display_name(witness) if witness else "",
        second_witness=second_witness,
        second_witness_name=display_name(second_witness) if second_witness else "",
        witness_method=witness_method,
        reverses=reverses,
        prev_hash=head.last_hash,
        **fields,
    )
    entry.entry_hash = chain.keyed_link_hash(entry.prev_hash, entry.hashed_content())
    entry.save(force_insert=True)
    head.last_seq = entry.seq
    head.last_hash = entry.entry_hash
    head.save(update_fields=["last_seq", "last_hash"])
    container.balance_ml = new_balance
    update = ["balance_ml"]
    if new_balance > 0 and container.status in (Container.Status.EMPTY, Container.Status.DISPOSED):
        # A reversal put stock back into a closed container: it is open again (the caller may refine the status).
        container.status = Container.Status.OPEN
        update.append("status")
    container.save(update_fields=update)
    return entry


def set_status(container: Container, status: str, *, reason: str = "", opened_at: Any = None) -> None:
    container.status = status
    update = ["status"]
    if reason:
        container.status_reason = reason[:300]
        update.append("status_reason")
    if opened_at is not None and container.opened_at is None:
        container.opened_at = opened_at
        update.append("opened_at")
    container.save(update_fields=update)


# --- verification ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    entry_id: int | None
    reason: str

    def __str__(self) -> str:
        return f"ledger entry #{self.seq} (id {self.entry_id}): {self.reason}"


@dataclass
class Verification:
    entries: int = 0
    containers: int = 0
    chain_break: ChainBreak | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.chain_break is None and not self.problems


def _in_order(chunk_size: int) -> Iterator[LedgerEntry]:
    last = 0
    while True:
        batch = list(LedgerEntry.objects.filter(seq__gt=last).order_by("seq")[:chunk_size])
        if not batch:
            return
        yield from batch
        last = batch[-1].seq


def verify(*, chunk_size: int = 2000) -> Verification:
    """Recompute the hash chain from the first entry (invariant 9), then the balance invariants: every container's
    balance equals the sum of its entries and each entry's running balance (1), the books of every product at every
    location balance (2), closed containers hold nothing and no administration lost more than was drawn (3)."""
    result = Verification()
    head = LedgerChainHead.objects.filter(pk=1).first()
    keyed_from = chain.keyed_from(LEDGER_CHAIN, head.keyed_from_seq, head.keyed_from_tag) if head else 1
    if keyed_from is None:
        result.chain_break = ChainBreak(0, None, chain.BAD_MARKER)
    expected_prev, expected_seq = chain.GENESIS_HASH, 1
    running: dict[int, Decimal] = defaultdict(lambda: ZERO)
    movements: dict[tuple[int, int], list[books.Movement]] = defaultdict(list)
    kinds: dict[int, str] = {}
    drawn: dict[int, tuple[int, Decimal, Decimal]] = {}
    for entry in _in_order(chunk_size):
        result.entries += 1
        if result.chain_break is None:
            if entry.seq != expected_seq:
                result.chain_break = ChainBreak(expected_seq, None, f"missing: the next stored entry is #{entry.seq}")
            elif entry.prev_hash != expected_prev:
                result.chain_break = ChainBreak(
                    entry.seq, entry.pk, "its previous-hash does not match the entry before"
                )
            else:
                problem = chain.link_problem(
                    keyed=entry.seq >= (keyed_from or 1),
                    prev_hash=entry.prev_hash,
                    payload=entry.hashed_content(),
                    entry_hash=entry.entry_hash,
                )
                if problem is not None:
                    result.chain_break = ChainBreak(entry.seq, entry.pk, problem)
        expected_prev, expected_seq = entry.entry_hash, entry.seq + 1
        kinds[entry.pk] = entry.kind
        running[entry.container_id] += entry.quantity_ml
        if running[entry.container_id] != entry.balance_after_ml:
            result.problems.append(
                f"entry #{entry.seq}: balance after is {entry.balance_after_ml} mL but its container's entries sum "
                f"to {running[entry.container_id]} mL"
            )
        if running[entry.container_id] < 0:
            result.problems.append(f"entry #{entry.seq}: container {entry.container_id} went negative")
        reverses = kinds.get(entry.reverses_id) if entry.reverses_id else None
        movements[(entry.location_id, entry.product_id)].append(books.Movement(entry.kind, entry.quantity_ml, reverses))
        if entry.kind == Kind.ADMINISTER and entry.drawn_ml is not None:
            drawn[entry.pk] = (entry.seq, entry.drawn_ml, -entry.quantity_ml)
        elif entry.kind == Kind.WASTE and entry.related_entry_id in drawn:
            seq, drawn_ml, used = drawn[entry.related_entry_id]
            drawn[entry.related_entry_id] = (seq, drawn_ml, used - entry.quantity_ml)
    if result.chain_break is None and head is not None and head.last_seq != expected_seq - 1:
        result.chain_break = ChainBreak(
            expected_seq, None, f"entries after #{expected_seq - 1} are missing (the head says #{head.last_seq})"
        )
    for seq, drawn_ml, used in drawn.values():
        if used > drawn_ml:
            result.problems.append(f"administration #{seq}: {used} mL given and wasted but only {drawn_ml} mL drawn")
    on_hand: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for container in Container.objects.select_related("lot").order_by("pk"):
        result.containers += 1
        on_hand[(container.location_id, container.lot.product_id)] += container.balance_ml
        if container.balance_ml != running.get(container.pk, ZERO):
            result.problems.append(
                f"container {container.label} (id {container.pk}) holds {container.balance_ml} mL but its entries sum "
                f"to {running.get(container.pk, ZERO)} mL"
            )
        if container.status in (Container.Status.EMPTY, Container.Status.DISPOSED) and container.balance_ml != 0:
            result.problems.append(
                f"container {container.label} is {container.status} but holds {container.balance_ml}"
            )
    for key in sorted(set(movements) | set(on_hand)):
        totals = books.book_totals(movements.get(key, []), on_hand_ml=on_hand.get(key, ZERO))
        if not totals.balanced:
            result.problems.append(
                f"location {key[0]}, product {key[1]}: received {totals.received_ml} + adjusted {totals.adjusted_ml} "
                f"mL ≠ accounted {totals.accounted_ml} mL"
            )
    return result


def balance_as_of(container: Container, moment: Any) -> Decimal:
    """The books of one container as of a moment. Summed in Python: SQLite's SUM() would add floats."""
    quantities = container.entries.filter(occurred_at__lte=moment).values_list("quantity_ml", flat=True)
    return sum(quantities, ZERO)
