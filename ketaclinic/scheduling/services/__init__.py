"""The calendar's writes: booking and cancelling (``booking``), the resources clinic admins manage (``resources``)."""

from ketaclinic.scheduling.services.booking import (
    BookingNeedsOverride,
    BookingRefused,
    book,
    cancel,
    mark_checked_in,
    mark_completed,
    mark_no_show,
    session_not_given,
)
from ketaclinic.scheduling.services.resources import (
    add_closure,
    add_hours,
    add_shift,
    remove_hours,
    remove_shift,
    save_chair,
    save_settings,
)
from ketaclinic.scheduling.services.video import set_video_link

__all__ = [
    "BookingNeedsOverride",
    "BookingRefused",
    "add_closure",
    "add_hours",
    "add_shift",
    "book",
    "cancel",
    "mark_checked_in",
    "mark_completed",
    "mark_no_show",
    "remove_hours",
    "remove_shift",
    "save_chair",
    "save_settings",
    "session_not_given",
    "set_video_link",
]
