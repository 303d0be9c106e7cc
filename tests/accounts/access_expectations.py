"""Access rows for the self-service password reset pages (issue 13): public, the same for everyone.

The confirm page is walked with a link that is not valid (it answers 200 with "This link cannot be used")."""

from __future__ import annotations

from typing import Any

PUBLIC = dict.fromkeys(["anonymous", "front_desk", "nurse", "prescriber", "clinic_admin"], 200)

EXPECTED: dict[str, dict[str, int]] = {
    "accounts:password_reset": PUBLIC,
    "accounts:password_reset_done": PUBLIC,
    "accounts:password_reset_confirm": PUBLIC,
    "accounts:password_reset_complete": PUBLIC,
}


def url_kwargs(name: str, world: dict[str, Any]) -> dict[str, Any] | None:
    if name == "accounts:password_reset_confirm":
        return {"uidb64": "MQ", "token": "not-a-real-token"}
    return None
