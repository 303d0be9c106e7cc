"""What every calendar page shares: which location and which day the request is about."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.http import Http404
from django.utils import timezone

from ketaclinic.accounts.models import Location
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.scheduling.queries import get_location_for_user, locations_of


def chosen_location(request: AuthedRequest) -> Location:
    """``?location=ID`` (or the form's ``location``) among the user's locations; else their first one."""
    raw = request.POST.get("location") or request.GET.get("location") or ""
    if raw.isdigit() and len(raw) < 12:
        return get_location_for_user(request.user, int(raw))
    if raw:
        raise Http404("No such location.")
    first = locations_of(request.user).first()
    if first is None:
        raise Http404("You are not assigned to a location.")
    return first


def chosen_day(request: AuthedRequest, location: Location) -> dt.date:
    """``?date=YYYY-MM-DD``, else today in the clinic's time zone. A malformed date falls back to today."""
    raw = request.GET.get("date", "")
    try:
        return (
            dt.date.fromisoformat(raw) if raw else timezone.now().astimezone(ZoneInfo(location.clinic.timezone)).date()
        )
    except ValueError:
        return timezone.now().astimezone(ZoneInfo(location.clinic.timezone)).date()
