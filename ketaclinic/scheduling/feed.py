"""A staff member's private calendar feed (CONTRACTS.md §6 ``/schedule/feed/<token>.ics``; RFC 5545 via ``icalendar``).

Whose appointments: a nurse or a prescriber gets the appointments at their locations that overlap their own roster
shifts there (the sessions they work); front desk and clinic admins get every appointment at their locations. From 30
days back to 90 days ahead; a cancelled appointment or a no-show stays in the feed with ``STATUS:CANCELLED`` so that a
calendar that already holds it removes it. Patients appear by initials only: the feed leaves the clinic's systems for
a phone's calendar. Times carry the location's time zone (``TZID`` with its ``VTIMEZONE``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from zoneinfo import ZoneInfo

import icalendar
from django.db.models import Q, QuerySet
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Role
from ketaclinic.scheduling.models import Appointment, CalendarFeed, RosterShift
from ketaclinic.scheduling.queries import locations_of

PAST = dt.timedelta(days=30)
AHEAD = dt.timedelta(days=90)
ROSTERED_ROLES = frozenset({Role.NURSE, Role.PRESCRIBER})
SCOPE = {
    True: "the appointments at your locations during your own roster shifts",
    False: "every appointment at your locations",
}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def live_feed_for_token(token: str) -> CalendarFeed | None:
    """The live feed of an active user with this token, else None (revoked, unknown, or the user deactivated)."""
    if not token or len(token) > 100:
        return None
    return (
        CalendarFeed.objects.filter(token_hash=token_hash(token), revoked_at=None, user__is_active=True)
        .select_related("user")
        .first()
    )


def scope_is_rostered(user: User) -> bool:
    return user.role in ROSTERED_ROLES


def appointments_worked_by(user: User, start: dt.datetime, end: dt.datetime) -> QuerySet[Appointment]:
    """The appointments overlapping ``start``–``end`` that ``user`` works (the feed's and "My day"'s one rule): a
    nurse or a prescriber, those at their locations overlapping their own roster shifts there; front desk and clinic
    admins, every appointment at their locations."""
    found = (
        Appointment.objects.overlapping(start, end)
        .filter(location__in=locations_of(user))
        .select_related("patient", "chair", "location__clinic", "order")
    )
    if scope_is_rostered(user):
        shifts = RosterShift.objects.overlapping(start, end).filter(user=user)
        worked = Q(pk__in=[])
        for shift in shifts.values_list("location_id", "starts_at", "ends_at"):
            worked |= Q(location_id=shift[0], starts_at__lt=shift[2], ends_at__gt=shift[1])
        found = found.filter(worked)
    return found.order_by("starts_at", "pk")


def feed_appointments(user: User, now: dt.datetime | None = None) -> QuerySet[Appointment]:
    now = now or timezone.now()
    return appointments_worked_by(user, now - PAST, now + AHEAD)


def initials(given: str, family: str) -> str:
    return "".join(f"{part.strip()[:1].upper()}." for part in (given, family) if part.strip())


def render_ics(user: User, appointments: list[Appointment], now: dt.datetime | None = None) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//ketaclinic//calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"ketaclinic · {user.display_name}")
    stamp = now or timezone.now()
    for appointment in appointments:
        zone = ZoneInfo(appointment.location.clinic.timezone)
        event = icalendar.Event()
        event.add("uid", f"appointment-{appointment.pk}@ketaclinic")
        event.add("dtstamp", stamp)
        event.add("dtstart", appointment.starts_at.astimezone(zone))
        event.add("dtend", appointment.ends_at.astimezone(zone))
        who = initials(appointment.patient.given_name, appointment.patient.family_name)
        event.add("summary", f"{appointment.get_kind_display()} · {who}")
        where = appointment.location.name + (f" · {appointment.chair.label}" if appointment.chair else "")
        event.add("location", where)
        lines = [f"{appointment.get_kind_display()} for {who}", f"Status: {appointment.get_status_display()}"]
        if appointment.order:
            lines.append(f"Session {appointment.order.session_number}")
        event.add("description", "\n".join(lines))
        cancelled = appointment.status in (Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW)
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("sequence", appointment.version)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    data: bytes = calendar.to_ical()
    return data
