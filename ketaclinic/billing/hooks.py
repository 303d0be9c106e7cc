"""What billing tells the apps below it, through the hooks they expose (ARCHITECTURE.md "One direction").

The calendar asks before a booking or a series is made whether anything stands in its way; billing answers when a
prior authorisation would be exceeded or outlived (``services.authorisations.blocks_for``): the calendar refuses the
booking unless staff override it with a reason, and shows the same sentence as a warning beside it.
"""

from __future__ import annotations

from ketaclinic.scheduling import hooks as scheduling_hooks


def register() -> None:
    from ketaclinic.billing.services import authorisations

    scheduling_hooks.register_booking_blocks("billing.prior_authorisations", authorisations.blocks_for)
