"""What apps above ``plans`` learn from it, registered by them at start-up (ARCHITECTURE.md "One direction").

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
