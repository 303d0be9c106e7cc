"""Signed checkpoints of the ledger chain's head (issue 13; controlled-substances.md invariant 9): the same format
and checks as the audit log's (``ketaclinic.audit.checkpoints``), so a rewrite or truncation of the ledger since a
checkpoint kept off-site is detected."""

from __future__ import annotations

from ketaclinic.audit import chain, checkpoints
from ketaclinic.ledger.models import LedgerEntry
from ketaclinic.ledger.services.chain import LEDGER_CHAIN, verify


def _last_seq() -> int:
    return LedgerEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def take_checkpoint() -> checkpoints.Checkpoint:
    """Sign the current head for off-site keeping, after verifying the chain and the books (a ledger that does not
    verify is never signed)."""
    last = LedgerEntry.objects.order_by("-seq").values_list("seq", "entry_hash").first()
    count, head_hash = last if last is not None else (0, chain.GENESIS_HASH)
    result = verify()
    if result.chain_break is not None:
        raise checkpoints.CheckpointError(f"ledger chain BROKEN at {result.chain_break}: no checkpoint taken")
    if result.problems:
        raise checkpoints.CheckpointError(f"ledger balance problem: {result.problems[0]}: no checkpoint taken")
    return checkpoints.sign(LEDGER_CHAIN, count=count, head_hash=head_hash)


def check_checkpoints(taken: list[checkpoints.Numbered]) -> list[str]:
    """What no longer matches the given checkpoints (empty when every checkpointed head is still in the chain)."""
    return checkpoints.problems(
        LEDGER_CHAIN,
        taken,
        count=_last_seq(),
        hash_at=lambda seq: LedgerEntry.objects.filter(seq=seq).values_list("entry_hash", flat=True).first(),
        row_name="ledger entry",
    )
