"""What apps above ``plans`` learn from it, registered by them at start-up (ARCHITECTURE.md "One direction").

When a signed amendment supersedes a version, the calendar first moves the future appointments of the old version's
open orders onto the new version's corresponding orders (``on_version_superseded``; each listener answers with the
sentences the plan page shows, e.g. "4 appointments moved to version 3"), then whatever still points at a cancelled
order is released (``on_orders_cancelled``).

When session orders are cancelled (a signed amendment supersedes its version; a plan is stopped), the calendar
(``scheduling``, above plans) must release the appointments booked for them. ``plans`` cannot import it, so the
calendar registers a listener here from its ``AppConfig.ready()``; the listener runs inside the same transaction as the
cancellation, so orders and appointments change together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

OrdersCancelled = Callable[..., object]
"""``listener(by=user, order_ids=[...], reason="...")``."""

_listeners: dict[str, OrdersCancelled] = {}


def on_orders_cancelled(name: str, listener: OrdersCancelled) -> None:
    """Register (or replace) the listener called ``name``: registering twice never calls it twice."""
    _listeners[name] = listener


def orders_cancelled(*, by: Any, order_ids: Sequence[int], reason: str) -> None:
    if not order_ids:
        return
    for listener in _listeners.values():
        listener(by=by, order_ids=list(order_ids), reason=reason)


VersionSuperseded = Callable[..., Sequence[str]]
"""``listener(by=user, old_order_ids=[...], new_version=PlanVersion)`` → sentences saying what it did."""

_superseded: dict[str, VersionSuperseded] = {}


def on_version_superseded(name: str, listener: VersionSuperseded) -> None:
    """Register (or replace) the listener called ``name`` for a signed amendment (runs in the signing transaction)."""
    _superseded[name] = listener


def version_superseded(*, by: Any, old_order_ids: Sequence[int], new_version: Any) -> list[str]:
    """Tell every listener that the orders ``old_order_ids`` were replaced by ``new_version``'s orders; an exception
    from a listener rolls the whole signing back."""
    if not old_order_ids:
        return []
    said: list[str] = []
    for listener in _superseded.values():
        said += list(listener(by=by, old_order_ids=list(old_order_ids), new_version=new_version))
    return said
