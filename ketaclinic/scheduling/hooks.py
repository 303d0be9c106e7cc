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
# A warning provider answers sentences that never refuse. A block provider (below) answers reasons that refuse the
# booking unless staff override them with a reason (``services.booking.book``'s ``override_reason``).


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
    """Every provider's sentences for booking ``proposals`` for ``patient`` (nothing to book: nothing to say), the
    blocks' sentences included: an overridden block is still said beside the booking."""
    said: list[str] = []
    if not proposals:
        return said
    for provider in _warning_providers.values():
        said += list(provider(patient, list(proposals)))
    return said + [block.message for block in booking_blocks(patient, proposals)]


# Booking blocks (issue 19, "a prior authorisation caps bookings"): a booking that would go past what a payer approved
# is refused unless staff tick "the renewal is pending, book anyway" and give a reason; the override is audited with
# the block's ``detail`` (the authorisation and the numbers). The calendar knows nothing of payers: billing registers
# the provider, as for the warnings.


@dataclass(frozen=True)
class BookingBlock:
    """Why a booking should not be made without an override: the sentence shown, and what the audit event keeps."""

    message: str
    detail: dict[str, Any]


BookingBlocks = Callable[[Any, Sequence[ProposedBooking]], Sequence[BookingBlock]]
"""``provider(patient, proposals)`` → the blocks these bookings meet (none when all is well)."""

_block_providers: dict[str, BookingBlocks] = {}


def register_booking_blocks(name: str, provider: BookingBlocks) -> None:
    """Register (or replace) the block provider called ``name``."""
    _block_providers[name] = provider


def booking_blocks(patient: Any, proposals: Sequence[ProposedBooking]) -> list[BookingBlock]:
    """Every block provider's blocks for booking ``proposals`` for ``patient``, counted before they are booked."""
    found: list[BookingBlock] = []
    if not proposals:
        return found
    for provider in _block_providers.values():
        found += list(provider(patient, list(proposals)))
    return found
