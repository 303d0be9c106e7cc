"""Writing and verifying the audit log.

``record`` appends one event in the caller's transaction (ARCHITECTURE.md: "writes an audit event in the same
transaction"), so a write that rolls back leaves no audit row and an audit failure rolls the write back. What the
event holds follows knowledge/security.md H4: actor, action, object, time (UTC), IP, user agent, outcome; secrets are
masked and note bodies are never copied in.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction

from ketaclinic.audit import chain, checkpoints, context
from ketaclinic.audit.models import AuditChainHead, AuditEvent
from ketaclinic.locking import lock

AUDIT_CHAIN = "audit"

SECRET_KEYS = frozenset(
    {"password", "token", "otp", "otp_token", "secret", "totp_secret", "key", "csrfmiddlewaretoken"}
)


def mask(detail: Mapping[str, Any]) -> dict[str, Any]:
    """Replace the value of any secret-looking key (at any depth) with ``***``."""
    masked: dict[str, Any] = {}
    for key, value in detail.items():
        if key.lower() in SECRET_KEYS or "password" in key.lower():
            masked[key] = "***"
        elif isinstance(value, Mapping):
            masked[key] = mask(value)
        else:
            masked[key] = value
    return masked


def _head_for_update() -> AuditChainHead:
    head = lock(AuditChainHead).filter(pk=1).first()
    if head is None:
        head, _ = AuditChainHead.objects.get_or_create(pk=1, defaults=chain.new_head(AUDIT_CHAIN))
        head = lock(AuditChainHead).get(pk=1)
    return head


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    patient_id: int | None = None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    detail: Mapping[str, Any] | None = None,
    username: str = "",
) -> AuditEvent:
    """Append one audit event. ``actor`` is a User or None (system); ``username`` names a failed-login attempt."""
    where = context.current()
    with transaction.atomic():
        head = _head_for_update()
        event = AuditEvent(
            seq=head.last_seq + 1,
            actor=actor if getattr(actor, "pk", None) else None,
            actor_username=(getattr(actor, "username", "") or username)[:150],
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
            patient_id=patient_id,
            ip_address=where.ip_address,
            user_agent=where.user_agent,
            outcome=outcome,
            # Round-trip through canonical JSON so the hash sees exactly what the JSON column will return.
            detail=json.loads(chain.canonical_json(mask(detail or {}))),
            prev_hash=head.last_hash,
        )
        event.entry_hash = chain.keyed_link_hash(event.prev_hash, event.hashed_content())
        event.save(force_insert=True)
        head.last_seq = event.seq
        head.last_hash = event.entry_hash
        head.save(update_fields=["last_seq", "last_hash"])
    return event


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        return f"audit event #{self.seq} (id {self.event_id}): {self.reason}"


def verify(*, chunk_size: int = 2000) -> ChainBreak | None:
    """Recompute the chain from the first event; return the first broken row, or None when intact."""
    head = AuditChainHead.objects.filter(pk=1).first()
    keyed_from = chain.keyed_from(AUDIT_CHAIN, head.keyed_from_seq, head.keyed_from_tag) if head else 1
    if keyed_from is None:
        return ChainBreak(0, None, chain.BAD_MARKER)
    expected_prev = chain.GENESIS_HASH
    expected_seq = 1
    for event in _in_order(chunk_size):
        if event.seq != expected_seq:
            return ChainBreak(expected_seq, None, f"missing: the next stored event is #{event.seq}")
        if event.prev_hash != expected_prev:
            return ChainBreak(event.seq, event.pk, "its previous-hash does not match the event before it")
        problem = chain.link_problem(
            keyed=event.seq >= keyed_from,
            prev_hash=event.prev_hash,
            payload=event.hashed_content(),
            entry_hash=event.entry_hash,
        )
        if problem is not None:
            return ChainBreak(event.seq, event.pk, problem)
        expected_prev = event.entry_hash
        expected_seq += 1
    if head is not None and head.last_seq != expected_seq - 1:
        return ChainBreak(
            expected_seq, None, f"events after #{expected_seq - 1} are missing (the head says #{head.last_seq})"
        )
    return None


def _in_order(chunk_size: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        batch = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:chunk_size])
        if not batch:
            return
        yield from batch
        last = batch[-1].seq


# --- checkpoints (issue 13) ------------------------------------------------------------------------------------------


def take_checkpoint() -> checkpoints.Checkpoint:
    """Sign the current head for off-site keeping, after verifying the chain up to it (a broken chain is never
    signed)."""
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "entry_hash").first()
    count, head_hash = last if last is not None else (0, chain.GENESIS_HASH)
    broken = verify()
    if broken is not None:
        raise checkpoints.CheckpointError(f"audit chain BROKEN at {broken}: no checkpoint taken")
    return checkpoints.sign(AUDIT_CHAIN, count=count, head_hash=head_hash)


def check_checkpoints(taken: list[checkpoints.Numbered]) -> list[str]:
    """What no longer matches the given checkpoints (empty when the chain still holds every checkpointed head)."""
    return checkpoints.problems(
        AUDIT_CHAIN,
        taken,
        count=AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0,
        hash_at=lambda seq: AuditEvent.objects.filter(seq=seq).values_list("entry_hash", flat=True).first(),
        row_name="audit event",
    )
