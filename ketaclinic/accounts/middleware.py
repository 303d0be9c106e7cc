"""Server-side idle timeout and absolute session lifetime (knowledge/security.md H2), both audited."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from ketaclinic.accounts import services

LAST_SEEN = "kc_last_seen"
SIGNED_IN_AT = "kc_signed_in_at"
BACKGROUND_HEADER = "KC-Background"
"""Sent by pages that refresh themselves (the floor board, a session's status bar): such a poll is not the user's
activity, so it does not push the idle timeout back; once the session has timed out the poll gets 401."""
LAST_SEEN_RESOLUTION_S = 20
"""The last activity is stored at most this often: a click within 20 s of the stored one does not rewrite the session
row (a database write and, on SQLite, a disk flush on every page). The idle timeout may then end a session up to 20 s
early, never late (security.md H2's 15 minutes is a maximum)."""


class SessionLifetimeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            last_seen = request.session.get(LAST_SEEN, now)
            signed_in_at = request.session.setdefault(SIGNED_IN_AT, now)
            reason = None
            if now - last_seen > settings.KETACLINIC_IDLE_TIMEOUT_S:
                reason = "idle timeout"
            elif now - signed_in_at > settings.KETACLINIC_SESSION_MAX_S:
                reason = "session lifetime reached"
            if reason is not None:
                services.note_logout(user=user, session_key=request.session.session_key, reason=reason)
                logout(request)
                if request.path.startswith("/api/") or request.headers.get("HX-Request"):
                    return JsonResponse({"detail": f"Signed out: {reason}."}, status=401)
                return redirect(f"{reverse('accounts:login')}?timeout=1")
            if not request.headers.get(BACKGROUND_HEADER) and now - last_seen >= LAST_SEEN_RESOLUTION_S:
                request.session[LAST_SEEN] = now
        return self.get_response(request)


class ClinicTimezoneMiddleware:
    """Times are stored in UTC and shown in the clinic's own zone (ARCHITECTURE.md "Time is UTC in storage")."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from zoneinfo import ZoneInfo

        from django.utils import timezone

        clinic = getattr(request.user, "clinic", None) if request.user.is_authenticated else None
        if clinic is not None:
            timezone.activate(ZoneInfo(clinic.timezone))
        else:
            timezone.deactivate()
        return self.get_response(request)
