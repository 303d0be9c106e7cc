"""The private calendar feed: /schedule/feed/ (make or revoke it) and /schedule/feed/<token>.ics (CONTRACTS.md §6)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.scheduling.feed import SCOPE, feed_appointments, live_feed_for_token, render_ics, scope_is_rostered
from ketaclinic.scheduling.models import CalendarFeed
from ketaclinic.scheduling.services import feed as feeds


def _page(request: AuthedRequest, url: str | None = None) -> HttpResponse:
    live = CalendarFeed.objects.filter(user=request.user, revoked_at=None).first()
    context = {"live": live, "url": url, "scope": SCOPE[scope_is_rostered(request.user)]}
    return render(request, "scheduling/feed.html", context)


@require_GET
@staff_view("schedule.view")
def feed_page(request: AuthedRequest) -> HttpResponse:
    return _page(request)


@require_POST
@staff_view("schedule.view")
def feed_create(request: AuthedRequest) -> HttpResponse:
    _, token = feeds.make_feed(by=request.user)
    url = request.build_absolute_uri(reverse("schedule:feed_ics", args=[token]))
    return _page(request, url)  # shown once, never stored; not a redirect, so it stays out of the session


@require_POST
@staff_view("schedule.view")
def feed_revoke(request: AuthedRequest) -> HttpResponse:
    for live in CalendarFeed.objects.filter(user=request.user, revoked_at=None):
        feeds.revoke_feed(by=request.user, feed=live)
    messages.success(request, "Your calendar feed is revoked: its address no longer works.")
    return redirect("schedule:feed")


@require_GET
def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """No session: the token is the credential (a calendar app fetches this). Unknown or revoked: 404."""
    feed = live_feed_for_token(token)
    if feed is None:
        raise Http404("No such calendar feed.")
    now = timezone.now()
    appointments = list(feed_appointments(feed.user, now))
    CalendarFeed.objects.filter(pk=feed.pk).update(last_read_at=now)
    audit.record(
        actor=feed.user,
        action="schedule.feed_read",
        obj=feed,
        detail={"appointments": len(appointments), "patients": sorted({a.patient_id for a in appointments})},
    )
    response = HttpResponse(render_ics(feed.user, appointments, now), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="ketaclinic.ics"'
    response["Cache-Control"] = "private, no-store"
    return response
