"""What billing tells the apps below it, through the hooks they expose (ARCHITECTURE.md "One direction").

The calendar asks before a booking or a series is made whether anything should be said about it; billing answers
when a prior authorisation would be exceeded or outlived (``services.authorisations.warnings_for``).
"""

from __future__ import annotations

from ketaclinic.scheduling import hooks as scheduling_hooks


def register() -> None:
    from ketaclinic.billing.services import authorisations

    scheduling_hooks.register_booking_warnings("billing.prior_authorisations", authorisations.warnings_for)
