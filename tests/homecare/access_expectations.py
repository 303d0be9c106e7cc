"""Access matrix rows for the home programme's staff pages (read by tests/test_access_matrix.py)."""

from __future__ import annotations

ANON, FD, NURSE, PRESC, ADMIN = "anonymous", "front_desk", "nurse", "prescriber", "clinic_admin"
LOGIN = 302


def _row(*allowed: str) -> dict[str, int]:
    return {ANON: LOGIN, **{role: 200 if role in allowed else 403 for role in (FD, NURSE, PRESC, ADMIN)}}


EXPECTED: dict[str, dict[str, int]] = {
    "homecare:settings": _row(PRESC, ADMIN),
    "homecare:programme": _row(NURSE, PRESC),
    "homecare:prescribe": _row(NURSE, PRESC),
    "homecare:record": dict.fromkeys((ANON, FD, NURSE, PRESC, ADMIN), 405),  # POST only
    "homecare:stop": _row(PRESC),  # prescribers only (the service also needs a current prescribing licence)
}
