"""The patient's page from a confirmation or reminder (no login): confirm the appointment or ask for another time.

The token is one-time and expiring (services/reminders.py). An unknown, used or expired link and a cancelled
appointment all get the same words, so the page gives nothing away to someone guessing; the page shows the first name,
the time and place and the checklist, nothing clinical.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.audit import refusals
from ketaclinic.audit.middleware import client_ip
from ketaclinic.scheduling.models import SlotOffer
from ketaclinic.scheduling.services import reminders as service
from ketaclinic.scheduling.services import waiting


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render(request, f"scheduling/visit/{template}", context, status=status)
    response["Referrer-Policy"] = "same-origin"  # the token is in the address
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, token: str) -> HttpResponse:
    client = refusals.client_key(client_ip(request))
    try:
        message = service.find(token, client=client)
    except service.LinkUnavailable:
        return _page(request, "unavailable.html", {}, status=410)
    appointment = message.appointment
    context: dict[str, Any] = {
        "message": message,
        "appointment": appointment,
        "first_name": appointment.patient.given_name,
        "clinic": appointment.location.clinic,
        "location": appointment.location,
        "when": service.when_words(appointment),
        "visit": service.visit_words(appointment.kind),
        "checklist": service.checklist_for(appointment),
        "error": "",
        "note": "",
    }
    if request.method == "POST":
        answer, note = request.POST.get("answer", ""), request.POST.get("note", "")
        try:
            done = service.respond(token=token, answer=answer, note=note, client=client)
        except service.LinkUnavailable:
            return _page(request, "unavailable.html", {}, status=410)
        except ServiceError as refused:
            context.update(error=refused.message, note=note[: service.NOTE_MAX_CHARS])
            return _page(request, "respond.html", context, status=422)
        return _page(request, "done.html", {**context, "answer": done.response})
    return _page(request, "respond.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def offer(request: HttpRequest, token: str) -> HttpResponse:
    """A waiting patient's offer of a freed time: take it (the first to accept is booked) or keep waiting."""
    client = refusals.client_key(client_ip(request))
    try:
        found = waiting.find_offer(token, client=client)
    except service.LinkUnavailable:
        return _page(request, "unavailable.html", {}, status=410)
    slot, location = found.slot, found.slot.location
    context: dict[str, Any] = {
        "first_name": found.entry.patient.given_name,
        "clinic": location.clinic,
        "location": location,
        "when": waiting.when_words(slot.starts_at, location),
        "closes": waiting.when_words(slot.expires_at, location),
        "visit": service.visit_words(found.entry.kind),
        "taken": slot.status != SlotOffer.Status.OPEN,
    }
    answer = request.POST.get("answer", "")
    if request.method == "POST" and answer in ("accept", "decline"):
        try:
            if answer == "decline":
                waiting.decline(token=token, client=client)
                return _page(request, "offer_done.html", {**context, "declined": True})
            outcome = waiting.accept(token=token, client=client)
        except service.LinkUnavailable:
            return _page(request, "unavailable.html", {}, status=410)
        return _page(request, "offer_done.html", {**context, "booked": outcome.booked is not None})
    return _page(request, "offer.html", context, status=422 if request.method == "POST" else 200)
