"""What the calendar learns from the apps above it, registered by them at start-up (ARCHITECTURE.md "One direction").

"My day" links a checked-in appointment to its treatment session. The session (``infusions``, above the calendar)
holds the link to its appointment, so the calendar cannot query it; ``infusions`` registers a lookup here from its
``AppConfig.ready()``: appointment ids in, ``{appointment id: session id}`` out, in one query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

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


# Booking warnings (issue 19): before a booking or a whole series is made, apps above the calendar may have something
# to say that does not stop it, e.g. billing's "Authorisation PA123 allows 8 sessions until 14 Mar; this series would
# make 10". The calendar cannot import billing, so billing registers a provider here from its ``AppConfig.ready()``.
# A provider answers sentences; it never refuses (the booking rules in domain/scheduling do that).


@dataclass(frozen=True)
class ProposedBooking:
    """One appointment about to be booked: its kind, start (aware), and the session order's dose and devices."""

    kind: str
    starts_at: dt.datetime
    dose_mg: Decimal | None = None
    devices: int | None = None


BookingWarnings = Callable[[Any, Sequence[ProposedBooking]], Sequence[str]]
"""``provider(patient, proposals)`` → sentences to show beside the booking (none when all is well)."""

_warning_providers: dict[str, BookingWarnings] = {}


def register_booking_warnings(name: str, provider: BookingWarnings) -> None:
    """Register (or replace) the provider called ``name``: registering twice never warns twice."""
    _warning_providers[name] = provider


def booking_warnings(patient: Any, proposals: Sequence[ProposedBooking]) -> list[str]:
    """Every provider's sentences for booking ``proposals`` for ``patient`` (nothing to book: nothing to say)."""
    said: list[str] = []
    if not proposals:
        return said
    for provider in _warning_providers.values():
        said += list(provider(patient, list(proposals)))
    return said
