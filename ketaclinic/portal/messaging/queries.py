"""Reads of the secure messages, scoped inside the query: a patient sees only their own threads; staff see the
threads of their own locations. Another patient's (or location's) thread id is simply not found (404)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.domain import messaging as rules
from ketaclinic.portal.models import Message, Thread
from ketaclinic.scheduling.queries import locations_of

FILTERS = {"open": "All open", "mine": "Assigned to me", "unassigned": "Unassigned", "closed": "Closed"}


# --- the patient ----------------------------------------------------------------------------------------------------


def threads_of_patient(patient_id: int) -> list[Thread]:
    """The patient's threads, latest first, each with ``unread`` (care-team messages not read yet)."""
    return list(
        Thread.objects.filter(patient_id=patient_id)
        .annotate(
            unread=Count(
                "messages",
                filter=Q(messages__author__isnull=False, messages__read_at__isnull=True)
                & Q(messages__entered_in_error=False),
            )
        )
        .order_by("-last_message_at", "-pk")
    )


def thread_for_patient(patient_id: int, thread_id: int) -> Thread:
    thread = Thread.objects.filter(pk=thread_id, patient_id=patient_id).select_related("location__clinic").first()
    if thread is None:
        raise Http404("No such conversation.")
    return thread


def messages_for_patient(thread: Thread) -> list[Message]:
    """What the patient sees: every message but the care team's sent in error."""
    return list(thread.messages.filter(entered_in_error=False).select_related("author").order_by("sent_at", "pk"))


# --- the care team --------------------------------------------------------------------------------------------------


def threads_visible_to(user: User) -> QuerySet[Thread]:
    if not role_can(getattr(user, "role", ""), "messages.handle"):
        return Thread.objects.none()
    return Thread.objects.filter(location__in=locations_of(user), patient__entered_in_error=False).select_related(
        "patient", "location__clinic", "assignee"
    )


def thread_for_user(user: User, thread_id: int) -> Thread:
    thread = threads_visible_to(user).filter(pk=thread_id).first()
    if thread is None:
        raise Http404("No such conversation.")
    return thread


def messages_for_staff(thread: Thread) -> list[Message]:
    """Everything, including messages sent in error (shown struck through)."""
    return list(thread.messages.select_related("author", "error_by").order_by("sent_at", "pk"))


@dataclass(frozen=True)
class InboxRow:
    thread: Thread
    waiting: str  # how long the patient has waited for an answer, in words ("" when nobody waits)
    unread: int


def inbox(user: User, location: Location, shown: str, *, now: dt.datetime | None = None) -> list[InboxRow]:
    """The location's threads for the chosen filter; longest-waiting first, then the latest."""
    moment = now or timezone.now()
    rows = threads_visible_to(user).filter(location=location)
    if shown == "closed":
        rows = rows.filter(status=Thread.Status.CLOSED)
    else:
        rows = rows.exclude(status=Thread.Status.CLOSED)
        if shown == "mine":
            rows = rows.filter(assignee=user)
        elif shown == "unassigned":
            rows = rows.filter(assignee__isnull=True)
    rows = rows.annotate(
        unread=Count("messages", filter=Q(messages__author__isnull=True, messages__read_at__isnull=True))
    )
    found = sorted(
        rows[:500],
        key=lambda t: (t.waiting_since is None, t.waiting_since or moment, -t.last_message_at.timestamp()),
    )
    return [
        InboxRow(
            thread=t,
            waiting=rules.duration_words((moment - t.waiting_since).total_seconds() / 60) if t.waiting_since else "",
            unread=t.unread,
        )
        for t in found
    ]


def response_times(location: Location, *, now: dt.datetime | None = None) -> rules.ResponseTimes:
    """Time to the first staff reply of the threads the location received in the last ``RESPONSE_WINDOW_DAYS``."""
    moment = now or timezone.now()
    since = moment - dt.timedelta(days=rules.RESPONSE_WINDOW_DAYS)
    threads = Thread.objects.filter(
        location=location, created_at__gte=since, started_by__isnull=True
    )  # staff wrote first
    pairs = threads.values_list("created_at", "first_reply_at")
    return rules.response_times(list(pairs))


def unread_count(user: User) -> int:
    """Patients' messages not read yet at the user's locations (the staff navigation's badge): one count query."""
    if not role_can(getattr(user, "role", ""), "messages.handle"):
        return 0
    return Message.objects.filter(
        author__isnull=True, read_at__isnull=True, thread__location__in=locations_of(user)
    ).count()


def assignees(location: Location) -> QuerySet[User]:
    """The care team who may be given a thread at this location."""
    roles = ["front_desk", "nurse", "prescriber"]
    return User.objects.filter(locations=location, is_active=True, role__in=roles).order_by("last_name", "username")
