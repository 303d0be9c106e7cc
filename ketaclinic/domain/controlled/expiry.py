"""Expired controlled-substance stock: never given, still counted, disposed of only by destruction or return.

- A lot is usable through the expiry date printed on it and expired from the next day on. The day is the clinic's
  calendar day (the caller converts "now" into the clinic's time zone): a vial that expires today may still be given
  at 23:00 in Chicago, although it is already tomorrow in UTC.
- Outdated drugs must not be available for patient use (42 CFR 482.25(b)(3), the CMS condition of participation for
  hospital pharmaceutical services, the published standard an outpatient clinic is held to): an expired container is
  left out of every administration choice and refused by the services.
- Expired stock stays in the books and in every inventory until it leaves them: an inventory holds all stock on hand
  (21 CFR 1304.11(a)), and Part 1317 covers the disposal of "damaged, expired, returned ... or otherwise unwanted"
  controlled substances (21 CFR 1317.01). A practitioner disposes of inventory by destroying it on site, recorded
  on DEA Form 41 before two authorised employees (21 CFR 1317.95(d), 1304.21(e)), or by delivering it to a
  reverse distributor (21 CFR 1317.05(a)). A receipt of an already expired lot is therefore never refused outright
  once the stock is in hand: it is received quarantined, with the reason written down.
- "Expiring soon" is a warning only; how soon is a clinic's choice (CLINIC POLICY, default 30 days). No rule gives a
  number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = [
    "DISPOSAL_SOURCE",
    "EXPIRED",
    "INVENTORY_SOURCE",
    "IN_DATE",
    "NOT_FOR_USE_SOURCE",
    "SOON",
    "SOON_DAYS_DEFAULT",
    "SOON_DAYS_MAX",
    "Expiry",
    "ExpiryError",
    "check_receipt",
    "expiry",
    "is_expired",
]

SOON_DAYS_DEFAULT = 30  # CLINIC POLICY: warn this many days ahead (no rule gives a number)
SOON_DAYS_MAX = 365

# The published sources, quoted on screen next to the rule they back.
NOT_FOR_USE_SOURCE = "42 CFR 482.25(b)(3): outdated drugs must not be available for patient use"
INVENTORY_SOURCE = "21 CFR 1304.11(a): an inventory holds all stock on hand"
DISPOSAL_SOURCE = (
    "21 CFR 1317.05(a): destroyed on site (DEA Form 41, 21 CFR 1317.95(d)) or delivered to a reverse distributor"
)

IN_DATE = "in date"
SOON = "expires soon"
EXPIRED = "expired"


class ExpiryError(ValueError):
    """An expired lot was received without the reason it is taken into quarantine."""


@dataclass(frozen=True)
class Expiry:
    """Where a lot stands on a given clinic day: ``state`` is IN_DATE, SOON or EXPIRED; ``days_left`` is 0 on the
    expiry date itself and negative once expired."""

    expires_on: dt.date
    state: str
    days_left: int

    @property
    def expired(self) -> bool:
        return self.state == EXPIRED

    @property
    def soon(self) -> bool:
        return self.state == SOON

    @property
    def label(self) -> str:
        """A short mark for lists and choices ("" when in date and not soon)."""
        if self.expired:
            return f"EXPIRED {self.expires_on:%Y-%m-%d}"
        if self.soon:
            when = "today" if self.days_left == 0 else f"in {self.days_left} day{'s' if self.days_left != 1 else ''}"
            return f"expires {when} ({self.expires_on:%Y-%m-%d})"
        return ""


def is_expired(expires_on: dt.date, on: dt.date) -> bool:
    """True from the day after the printed expiry date (usable through that date)."""
    return expires_on < on


def expiry(expires_on: dt.date, on: dt.date, *, soon_days: int = SOON_DAYS_DEFAULT) -> Expiry:
    """Classify a lot's expiry on the clinic day ``on``; within ``soon_days`` (inclusive) it expires soon."""
    if not 0 <= soon_days <= SOON_DAYS_MAX:
        raise ValueError(f"soon_days must be between 0 and {SOON_DAYS_MAX}, not {soon_days}")
    days_left = (expires_on - on).days
    if days_left < 0:
        state = EXPIRED
    elif days_left <= soon_days:
        state = SOON
    else:
        state = IN_DATE
    return Expiry(expires_on=expires_on, state=state, days_left=days_left)


def check_receipt(expires_on: dt.date, received_on: dt.date, *, quarantine_reason: str) -> bool:
    """Whether a receipt goes into quarantine: always when a reason is written down (damaged on arrival, recalled),
    and an expired lot needs one (``ExpiryError`` otherwise): it is counted, never used."""
    reason = quarantine_reason.strip()
    if is_expired(expires_on, received_on) and not reason:
        raise ExpiryError(
            f"This lot expired on {expires_on:%Y-%m-%d}: it cannot be received as usable stock. If it is in hand, "
            "write down why it is received into quarantine (it is counted, never given, until it is destroyed or "
            "returned)."
        )
    return bool(reason)
