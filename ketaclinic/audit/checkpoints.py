"""Signed checkpoints of a hash chain's head, kept off-site so that a rewrite or a truncation shows (issue 13).

A keyed chain (``chain.keyed_link_hash``) stops an attacker without the key from re-hashing an edited row, but not
from deleting the newest rows and moving the head back, nor from rewriting rows hashed before the key existed. A
checkpoint fixes the head at a moment: one line of JSON with the chain's name, its row count (the last sequence
number), the head hash, the time (UTC) and an HMAC-SHA256 signature over those under a sub-key of the chain key. The
operator appends one a day to storage outside the database's reach (docs/audit-integrity.md); verifying against the
file then requires, for every checkpoint, a valid signature, at least that many rows now, and the row at that
number still carrying that hash (knowledge/security.md H5; controlled-substances.md invariant 9).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ketaclinic.audit import chain

FORMAT_VERSION = 1


class CheckpointError(Exception):
    """A checkpoint cannot be taken, or a checkpoint file cannot be read; the message is for the operator."""


@dataclass(frozen=True)
class Checkpoint:
    chain: str
    count: int
    head_hash: str
    taken_at: str
    signature: str

    def signed_content(self) -> dict[str, Any]:
        return {
            "v": FORMAT_VERSION,
            "chain": self.chain,
            "count": self.count,
            "head_hash": self.head_hash,
            "taken_at": self.taken_at,
        }

    def to_line(self) -> str:
        return chain.canonical_json({**self.signed_content(), "signature": self.signature})

    def signature_valid(self) -> bool:
        return hmac.compare_digest(_signature(self.signed_content()), self.signature)


@dataclass(frozen=True)
class Numbered:
    """A checkpoint and the line of the file it was read from."""

    line: int
    checkpoint: Checkpoint


def _signature(content: dict[str, Any]) -> str:
    message = chain.canonical_json(content).encode()
    return hmac.new(chain.derived_key("checkpoint"), message, hashlib.sha256).hexdigest()


def sign(chain_name: str, *, count: int, head_hash: str, now: dt.datetime | None = None) -> Checkpoint:
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    taken_at = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    unsigned = Checkpoint(chain_name, count, head_hash, taken_at, signature="")
    return Checkpoint(chain_name, count, head_hash, taken_at, signature=_signature(unsigned.signed_content()))


def append(path: Path, checkpoint: Checkpoint) -> None:
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(checkpoint.to_line() + "\n")
    except OSError as exc:
        raise CheckpointError(f"cannot append to {path}: {exc.strerror or exc}") from None


def read(path: Path) -> list[Numbered]:
    """Every checkpoint in the file (any chain); a malformed line is an error naming it, never skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CheckpointError(f"cannot read the checkpoint file {path}: {exc.strerror or exc}") from None
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            found.append(Numbered(number, _parse(line, where=f"{path}, line {number}")))
    return found


def _parse(line: str, *, where: str) -> Checkpoint:
    try:
        data = json.loads(line)
        checkpoint = Checkpoint(
            chain=str(data["chain"]),
            count=int(data["count"]),
            head_hash=str(data["head_hash"]),
            taken_at=str(data["taken_at"]),
            signature=str(data["signature"]),
        )
        version = data["v"]
    except (ValueError, KeyError, TypeError):
        raise CheckpointError(f"{where} is not a ketaclinic checkpoint") from None
    if version != FORMAT_VERSION or checkpoint.count < 0:
        raise CheckpointError(f"{where} is not a version-{FORMAT_VERSION} ketaclinic checkpoint")
    return checkpoint


def problems(
    chain_name: str, taken: list[Numbered], *, count: int, hash_at: Callable[[int], str | None], row_name: str
) -> list[str]:
    """Compare the chain as it is now (``count`` rows; ``hash_at(seq)`` the stored hash of a row) with each of its
    checkpoints. Checkpoints of other chains in the same file are skipped; none of this chain's is a problem."""
    mine = [item for item in taken if item.checkpoint.chain == chain_name]
    if not mine:
        return [f"the file holds no {chain_name} checkpoint"]
    found = []
    for item in mine:
        point = item.checkpoint
        label = f"checkpoint of line {item.line} (taken {point.taken_at}, {row_name} #{point.count})"
        if not point.signature_valid():
            found.append(f"{label}: bad signature (forged, altered, or signed with another chain key)")
        elif count < point.count:
            found.append(
                f"{label}: the chain now ends at #{count}: rewritten or truncated since the checkpoint at "
                f"{point.taken_at}"
            )
        elif (hash_at(point.count) if point.count else chain.GENESIS_HASH) != point.head_hash:
            found.append(
                f"{label}: {row_name} #{point.count} no longer has the checkpointed hash: rewritten or truncated since "
                f"the checkpoint at {point.taken_at}"
            )
    return found
