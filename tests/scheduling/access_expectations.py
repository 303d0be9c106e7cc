"""Access matrix rows for the calendar (read by tests/test_access_matrix.py)."""

from __future__ import annotations

from typing import Any

ANON, FD, NURSE, PRESC, ADMIN = "anonymous", "front_desk", "nurse", "prescriber", "clinic_admin"
LOGIN = 302
POST_ONLY = dict.fromkeys((ANON, FD, NURSE, PRESC, ADMIN), 405)

EXPECTED: dict[str, dict[str, int]] = {
    # Everyone at a location sees its day (front desk: the schedule, knowledge/security.md "Authorisation").
    "schedule:day": {ANON: LOGIN, FD: 200, NURSE: 200, PRESC: 200, ADMIN: 200},
    # Measures are counts and minutes, no patient: everyone at a location.
    "schedule:measures": {ANON: LOGIN, FD: 200, NURSE: 200, PRESC: 200, ADMIN: 200},
    "schedule:measures_csv": {ANON: LOGIN, FD: 200, NURSE: 200, PRESC: 200, ADMIN: 200},
    # Everyone's own calendar feed; the .ics answers 404 to an unknown token whoever asks (the token is the key).
    "schedule:feed": {ANON: LOGIN, FD: 200, NURSE: 200, PRESC: 200, ADMIN: 200},
    "schedule:feed_create": POST_ONLY,
    "schedule:feed_revoke": POST_ONLY,
    "schedule:feed_ics": dict.fromkeys((ANON, FD, NURSE, PRESC, ADMIN), 404),
    "schedule:book": POST_ONLY,
    # The booking form, fetched when "Book an appointment" is opened: those who book.
    "schedule:book_form": {ANON: LOGIN, FD: 200, NURSE: 200, PRESC: 200, ADMIN: 403},
    # The week, one's own day and the printable day list: everyone at a location, like the day view.
    "schedule:week": {ANON: LOGIN, FD: 200, NURSE: 200, PRESC: 200, ADMIN: 200},
    "schedule:mine": {ANON: LOGIN, FD: 200, NURSE: 200, PRESC: 200, ADMIN: 200},
    "schedule:print": {ANON: LOGIN, FD: 200, NURSE: 200, PRESC: 200, ADMIN: 200},
    "schedule:cancel": POST_ONLY,
    "schedule:no_show": POST_ONLY,
    "schedule:complete": POST_ONLY,
    "schedule:video_link": POST_ONLY,
    # Booking a signed plan's series: those who book (the page proposes; clinic admins do not book).
    "schedule:series": {ANON: LOGIN, FD: 200, NURSE: 200, PRESC: 200, ADMIN: 403},
    # Chairs, hours, closures, roster and the scheduling policy: clinic admins only.
    "schedule:setup": {ANON: LOGIN, FD: 403, NURSE: 403, PRESC: 403, ADMIN: 200},
    "schedule:setup_settings": POST_ONLY,
    "schedule:setup_chair": POST_ONLY,
    "schedule:setup_chair_toggle": POST_ONLY,
    "schedule:setup_hours": POST_ONLY,
    "schedule:setup_hours_remove": POST_ONLY,
    "schedule:setup_closure": POST_ONLY,
    "schedule:setup_shift": POST_ONLY,
    "schedule:setup_shift_remove": POST_ONLY,
    "schedule:request_done": POST_ONLY,
    # The waiting list: everyone at a location sees it (like the day view); those who book add, withdraw and offer.
    "schedule:waiting": {ANON: LOGIN, FD: 200, NURSE: 200, PRESC: 200, ADMIN: 200},
    "schedule:waiting_add": POST_ONLY,
    "schedule:waiting_withdraw": POST_ONLY,
    "schedule:waiting_offer": POST_ONLY,
    # Who fits a chosen free time: those who book; walked without a chair (404: no such chair).
    "schedule:waiting_match": {ANON: LOGIN, FD: 404, NURSE: 404, PRESC: 404, ADMIN: 403},
    # A waiting patient's offer link is public too; an invalid token gets the same 410 page.
    "visit:offer": dict.fromkeys((ANON, FD, NURSE, PRESC, ADMIN), 410),
    # The patient's confirm/reschedule link is public; walked with a token that is not valid (410, same words).
    "visit:respond": dict.fromkeys((ANON, FD, NURSE, PRESC, ADMIN), 410),
}


def make_world(world: dict[str, Any]) -> dict[str, Any]:
    from ketaclinic.scheduling import services
    from tests.scheduling.conftest import a_future_day, local, set_up_location

    dave, pat = world["cast"][ADMIN], world["pat"]
    chairs = set_up_location(dave, pat.location)
    day = a_future_day()
    shift = services.add_shift(
        by=dave, user=world["cast"][NURSE], location=pat.location, starts_at=local(day, 7), ends_at=local(day, 19)
    )
    appointment = services.book(
        by=world["cast"][FD], patient=pat, kind="consultation", location=pat.location, start=local(day, 9)
    )
    hours = pat.location.opening_hours.first()
    return {**world, "schedule": {"chair": chairs["chair1"], "shift": shift, "hours": hours, "appt": appointment}}


def url_kwargs(name: str, world: dict[str, Any]) -> dict[str, Any] | None:
    objects = world["schedule"]
    if name == "schedule:request_done":
        return {"message_id": 1}
    if name in ("visit:respond", "visit:offer"):
        return {"token": "not-a-real-token"}
    if name == "schedule:waiting_withdraw":
        return {"entry_id": 1}
    if name in ("schedule:cancel", "schedule:no_show", "schedule:complete", "schedule:video_link"):
        return {"appointment_id": objects["appt"].pk}
    if name == "schedule:feed_ics":
        return {"token": "not-a-feed"}
    if name == "schedule:series":
        return {"version_id": world["signed_plan"].pk}
    if name == "schedule:setup_chair_toggle":
        return {"chair_id": objects["chair"].pk}
    if name == "schedule:setup_hours_remove":
        return {"hours_id": objects["hours"].pk}
    if name == "schedule:setup_shift_remove":
        return {"shift_id": objects["shift"].pk}
    return None
