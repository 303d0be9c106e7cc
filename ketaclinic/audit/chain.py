"""Hash-chain arithmetic shared by the audit log and (later) the controlled-substance ledger.

Each row stores ``prev_hash`` and ``entry_hash = sha256(prev_hash || canonical JSON of its content)``. Changing,
inserting or deleting any row breaks every later hash, and the verifier names the first row that no longer matches
(ARCHITECTURE.md "Data rules"; knowledge/security.md H5; controlled-substances.md invariant 9).
"""

from __future__ import annotations

import datetime as dt
import hashlib
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
