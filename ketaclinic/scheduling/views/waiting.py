"""/schedule/waiting/: a location's waiting list, and offering a free chair time to the patients on it.

Thin views: the access helpers load what the user may see, the forms collect input, ``services.waiting`` applies
every rule (which entries fit is decided by the booking rules there, never here).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, ServiceError, submitted
from ketaclinic.accounts.models import Location
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.patients.queries import patients_visible_to
from ketaclinic.scheduling.forms import CancelForm, WaitingForm
from ketaclinic.scheduling.models import Appointment, Chair, WaitingListEntry
from ketaclinic.scheduling.queries import get_waiting_entry_for_user, waiting_entries_visible_to
from ketaclinic.scheduling.services import waiting as service
from ketaclinic.scheduling.views.common import chosen_day, chosen_location
from ketaclinic.scheduling.views.day import day_url


def list_url(location: Location) -> str:
    return f"{reverse('schedule:waiting')}?{urlencode({'location': location.pk})}"


def _render(request: AuthedRequest, location: Location, form: WaitingForm | None, status: int = 200) -> HttpResponse:
    entries = waiting_entries_visible_to(request.user).filter(location=location)
    open_entries = list(entries.filter(status__in=WaitingListEntry.OPEN).order_by("created_at", "pk"))
    closed = list(entries.exclude(status__in=WaitingListEntry.OPEN).order_by("-created_at", "-pk")[:30])
    audit.record(
        actor=request.user,
        action="schedule.waiting_viewed",
        obj=location,
        detail={"patients": sorted({e.patient_id for e in [*open_entries, *closed]})},
    )
    context: dict[str, Any] = {
        "location": location,
        "entries": open_entries,
        "closed": closed,
        "form": form,
        "can_book": role_can(request.user.role, "schedule.book"),
        "chairs": Chair.objects.filter(location=location, kind=Chair.Kind.CHAIR, is_active=True),
        "day": chosen_day(request, location),
        "zone": ZoneInfo(location.clinic.timezone),
    }
    return render(request, "scheduling/waiting.html", context, status=status)


@require_GET
@staff_view("schedule.view")
def waiting_list(request: AuthedRequest) -> HttpResponse:
    location = chosen_location(request)
    form = None
    if role_can(request.user.role, "schedule.book"):
        form = WaitingForm(location=location, patients=patients_visible_to(request.user))
    return _render(request, location, form)


@require_POST
@staff_view("schedule.book")
def add(request: AuthedRequest) -> HttpResponse:
    location = chosen_location(request)
    form = WaitingForm(request.POST, location=location, patients=patients_visible_to(request.user))

    def act(data: dict[str, Any]) -> Done:
        entry = service.add(
            by=request.user,
            location=location,
            patient=data["patient"],
            kind=data["kind"],
            earliest=data["earliest_date"],
            latest=data["latest_date"],
            weekdays=data["weekdays"],
            not_before=data["not_before"],
            not_after=data["not_after"],
            note=data["note"],
            plan_version=data["plan_version"],
        )
        return f"Put {entry.patient.full_name} on the waiting list.", redirect(list_url(location))

    if done := submitted(request, form, act, aliases={"preferred_weekdays": "weekdays"}):
        return done
    return _render(request, location, form, status=422)


@require_POST
@staff_view("schedule.book")
def withdraw(request: AuthedRequest, entry_id: int) -> HttpResponse:
    entry = get_waiting_entry_for_user(request.user, entry_id)
    back = redirect(list_url(entry.location))
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the patient leaves the waiting list.")
        return back
    try:
        service.withdraw(by=request.user, entry=entry, reason=form.cleaned_data["reason"])
    except ServiceError as error:
        messages.error(request, error.message)
        return back
    messages.success(request, f"Took {entry.patient.full_name} off the waiting list.")
    return back


def _chair(location: Location, raw: str) -> Chair:
    chair = Chair.objects.filter(pk=int(raw), location=location).first() if raw.isdigit() and len(raw) < 12 else None
    if chair is None:
        raise Http404("No such chair.")
    return chair


@require_GET
@staff_view("schedule.book")
def match(request: AuthedRequest) -> HttpResponse:
    """A free time the staff choose (chair, day, from, to): who on the waiting list fits it."""
    location = chosen_location(request)
    chair = _chair(location, request.GET.get("chair", ""))
    day = chosen_day(request, location)
    zone = ZoneInfo(location.clinic.timezone)
    error = ""
    found: list[service.Match] = []
    start = end = None
    try:
        start = dt.datetime.combine(day, dt.time.fromisoformat(request.GET.get("from", "")), tzinfo=zone)
        end = dt.datetime.combine(day, dt.time.fromisoformat(request.GET.get("to", "")), tzinfo=zone)
        found = service.matches(location=location, chair=chair, start=start, end=end)
    except ValueError:
        error = "Give the free time as two times of day, from and to (HH:MM)."
    except ServiceError as refused:
        error = refused.message
    audit.record(
        actor=request.user,
        action="schedule.waiting_viewed",
        obj=location,
        detail={"patients": sorted({m.entry.patient_id for m in found}), "chair": chair.pk},
    )
    context = {
        "location": location,
        "chair": chair,
        "day": day,
        "start": start,
        "end": end,
        "matches": found,
        "error": error,
        "zone": zone,
        "back": day_url(location, day),
    }
    return render(request, "scheduling/waiting_match.html", context, status=422 if error else 200)


@require_POST
@staff_view("schedule.book")
def offer(request: AuthedRequest) -> HttpResponse:
    """Offer a free chair time to the chosen waiting patients (the form on the day view or the match page)."""
    location = chosen_location(request)
    chair = _chair(location, request.POST.get("chair", ""))
    try:
        start = dt.datetime.fromisoformat(request.POST.get("start", ""))
        end = dt.datetime.fromisoformat(request.POST.get("end", ""))
    except ValueError:
        raise Http404("No such time.") from None
    if start.tzinfo is None or end.tzinfo is None:
        raise Http404("No such time.")
    back = redirect(day_url(location, start.astimezone(ZoneInfo(location.clinic.timezone)).date()))
    ids = [int(v) for v in request.POST.getlist("entries") if v.isdigit() and len(v) < 12]
    entries = list(waiting_entries_visible_to(request.user).filter(location=location, pk__in=ids))
    freed_raw = request.POST.get("freed", "")
    freed = None
    if freed_raw.isdigit() and len(freed_raw) < 12:
        freed = Appointment.objects.filter(pk=int(freed_raw), location=location, chair=chair).first()
    try:
        slot = service.offer(
            by=request.user,
            location=location,
            chair=chair,
            start=start,
            end=end,
            entries=entries,
            base_url=request.build_absolute_uri("/"),
            freed_by=freed,
        )
    except ServiceError as error:
        messages.error(request, error.message)
        return back
    names = ", ".join(o.entry.patient.full_name for o in slot.offers.select_related("entry__patient"))
    failed = [o for o in slot.offers.all() if o.last_error]
    text = f"Offered {chair.label} at {start.astimezone(ZoneInfo(location.clinic.timezone)):%H:%M} to {names}."
    if failed:
        text += f" {len(failed)} could not be sent a message: call them."
    messages.success(request, text)
    return back
