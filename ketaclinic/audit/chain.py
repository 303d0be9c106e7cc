"""Hash-chain arithmetic shared by the audit log and the controlled-substance ledger.

Each row stores ``prev_hash`` and ``entry_hash``, a hash of ``prev_hash || canonical JSON of its content``. Changing,
inserting or deleting any row breaks every later hash, and the verifier names the first row that no longer matches
(ARCHITECTURE.md "Data rules"; knowledge/security.md H5; controlled-substances.md invariant 9).

Two schemes (issue 13). Rows written before issue 13 carry plain SHA-256, which anyone with database access can
recompute after an edit. Every later row carries HMAC-SHA256 under a key derived from ``settings.KETACLINIC_CHAIN_KEY``,
which lives outside the database, so an edited row cannot be re-hashed without it. Where the keyed rows start is kept
on the chain head as ``keyed_from_seq`` with an HMAC tag (set by the migration that introduced the key), so an attacker
can neither move the boundary nor downgrade keyed rows to plain SHA-256; the first keyed row chains onto the last
unkeyed one, so rewriting old rows breaks it too. Cutting off the newest rows is caught by signed checkpoints kept
off-site (``checkpoints``; docs/audit-integrity.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any

GENESIS_HASH = "0" * 64


def _default(value: Any) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("hash-chained timestamps must be timezone-aware")
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, (dt.date, Decimal)):
        return str(value)
    raise TypeError(f"cannot hash a {type(value).__name__}")


def canonical_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def link_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + "\n" + canonical_json(payload)).encode()).hexdigest()


def derived_key(purpose: str) -> bytes:
    """A sub-key of the chain key for one purpose ("row link", "keyed from", "checkpoint"), so one key never signs
    two kinds of message."""
    from django.conf import settings

    return hmac.new(settings.KETACLINIC_CHAIN_KEY.encode(), purpose.encode(), hashlib.sha256).digest()


def keyed_link_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    message = (prev_hash + "\n" + canonical_json(payload)).encode()
    return hmac.new(derived_key("row link"), message, hashlib.sha256).hexdigest()


def keyed_from_tag(chain_name: str, seq: int) -> str:
    """The tag that vouches for "rows from #seq on are keyed" on a chain head."""
    return hmac.new(derived_key("keyed from"), f"{chain_name}:{seq}".encode(), hashlib.sha256).hexdigest()


def keyed_from(chain_name: str, seq: int | None, tag: str) -> int | None:
    """The first keyed row number if the head's marker is genuine, else None."""
    if seq is None or not hmac.compare_digest(keyed_from_tag(chain_name, seq), tag):
        return None
    return seq


BAD_MARKER = "the chain head's keyed-from marker is missing or not signed with the chain key (altered, or another key)"


def new_head(chain_name: str) -> dict[str, Any]:
    """The fields of a chain head created on an empty table: every row is keyed."""
    return {"last_hash": GENESIS_HASH, "keyed_from_seq": 1, "keyed_from_tag": keyed_from_tag(chain_name, 1)}


def link_problem(*, keyed: bool, prev_hash: str, payload: dict[str, Any], entry_hash: str) -> str | None:
    """Why a row's stored hash is not the one it should carry, or None when it matches."""
    expected = keyed_link_hash(prev_hash, payload) if keyed else link_hash(prev_hash, payload)
    if not hmac.compare_digest(expected, entry_hash):
        return "its content no longer matches its hash (altered, or re-hashed without the chain key)"
    return None
