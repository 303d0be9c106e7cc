"""What the calendar learns from the apps above it, registered by them at start-up (ARCHITECTURE.md "One direction").

"My day" links a checked-in appointment to its treatment session. The session (``infusions``, above the calendar)
holds the link to its appointment, so the calendar cannot query it; ``infusions`` registers a lookup here from its
``AppConfig.ready()``: appointment ids in, ``{appointment id: session id}`` out, in one query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

SessionsForAppointments = Callable[[Sequence[int]], dict[int, int]]

_lookups: dict[str, SessionsForAppointments] = {}


def register_sessions_for_appointments(name: str, lookup: SessionsForAppointments) -> None:
    """Register (or replace) the lookup called ``name``: registering twice never asks twice."""
    _lookups[name] = lookup


def sessions_for_appointments(appointment_ids: Sequence[int]) -> dict[int, int]:
    """The treatment session opened from each of these appointments (those without one are left out)."""
    found: dict[int, int] = {}
    if not appointment_ids:
        return found
    for lookup in _lookups.values():
        found.update(lookup(list(appointment_ids)))
    return found
