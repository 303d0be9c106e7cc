"""The portal's own sign-in state, kept apart from staff logins.

A portal session is not a Django login: the patient's id sits in the session under ``PATIENT_KEY`` with its own
sign-in time and last activity, and ``patient_view`` is the portal's decorator. Its idle timeout
(``KETACLINIC_PORTAL_IDLE_TIMEOUT_S``, security.md H2: 15 min) and absolute lifetime
(``KETACLINIC_PORTAL_SESSION_MAX_S``, clinic policy) end it server-side and are audited. Ending a portal session
removes only the portal's keys, so a staff login in the same browser is untouched, and staff sign-out does not
sign a patient in.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from ketaclinic.patients.models import Patient
from ketaclinic.portal import services

PATIENT_KEY = "kc_portal_patient"
SIGNED_IN_KEY = "kc_portal_signed_in_at"
LAST_SEEN_KEY = "kc_portal_last_seen"
KEYS = (PATIENT_KEY, SIGNED_IN_KEY, LAST_SEEN_KEY)

PortalView = Callable[..., HttpResponse]


def start(request: HttpRequest, patient: Patient) -> None:
    """Sign the patient in: a new session key (no fixation), then the portal's keys."""
    request.session.cycle_key()
    now = time.time()
    request.session[PATIENT_KEY] = patient.pk
    request.session[SIGNED_IN_KEY] = now
    request.session[LAST_SEEN_KEY] = now


def end(request: HttpRequest) -> None:
    for key in KEYS:
        request.session.pop(key, None)


def signed_in_patient_id(request: HttpRequest) -> int | None:
    value = request.session.get(PATIENT_KEY)
    return int(value) if isinstance(value, int) else None


def _expired(request: HttpRequest, now: float) -> str:
    if now - float(request.session.get(LAST_SEEN_KEY, 0)) > settings.KETACLINIC_PORTAL_IDLE_TIMEOUT_S:
        return "idle timeout"
    if now - float(request.session.get(SIGNED_IN_KEY, 0)) > settings.KETACLINIC_PORTAL_SESSION_MAX_S:
        return "session lifetime reached"
    return ""


def patient_view(view: PortalView) -> PortalView:
    """Let the view run only for a signed-in patient, passed as ``patient``; otherwise go to the sign-in page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        patient_id = signed_in_patient_id(request)
        if patient_id is None:
            return redirect("portal:login")
        now = time.time()
        reason = _expired(request, now)
        patient = Patient.objects.filter(pk=patient_id, entered_in_error=False).select_related("location__clinic")
        found = patient.first()
        if reason or found is None:
            services.note_sign_out(patient_id=patient_id, reason=reason or "record no longer current")
            end(request)
            return redirect(f"{reverse('portal:login')}?timeout=1")
        request.session[LAST_SEEN_KEY] = now
        return view(request, found, *args, **kwargs)

    return wrapper
