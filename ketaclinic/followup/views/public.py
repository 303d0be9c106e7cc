"""The questionnaire a patient fills from a link (no login): CSRF, honeypot, rate limit per client address.

The page never shows who the patient is, and an unknown token (404) and a spent one (410: completed, revoked,
expired) get the same words, so the page gives nothing away to someone guessing. Crisis resources are on every page;
after a screen that flags suicidality they come first on the thank-you page.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from ketaclinic.accounts.errors import apply_errors
from ketaclinic.audit.middleware import client_ip
from ketaclinic.followup.forms import HONEYPOT_FIELD, AnswersForm
from ketaclinic.followup.services import questionnaires as service

SESSION_KEY = "kc_questionnaire_done"


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    # The token is in the address: never pass it to another site ("no-referrer" would make the browser send
    # "Origin: null" with the form, which the CSRF check rightly refuses).
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _unavailable(request: HttpRequest, refused: service.LinkUnavailable) -> HttpResponse:
    return _page(request, "followup/questionnaire/unavailable.html", {}, status=410 if refused.gone else 404)


@never_cache
@require_http_methods(["GET", "POST"])
def fill(request: HttpRequest, token: str) -> HttpResponse:
    client = service.client_digest(client_ip(request))
    try:
        service.check_rate_limit(client=client)
    except service.RateLimited as refused:
        return _page(request, "followup/questionnaire/limited.html", {"message": refused.message}, status=429)
    if request.method == "POST" and request.POST.get(HONEYPOT_FIELD, "").strip():
        # A robot filled the hidden field: it sees the usual thank-you page; nothing is stored (it is audited).
        service.note_public("honeypot", client=client, outcome="denied")
        request.session[SESSION_KEY] = {"flagged": False}
        return redirect("questionnaire:thanks")
    try:
        link = service.open_link(token=token, client=client) if request.method == "GET" else None
    except service.LinkUnavailable as refused:
        return _unavailable(request, refused)
    if link is None:  # POST: which scales the link opens, without marking anything
        try:
            link = service.find_usable(token)
        except service.LinkUnavailable as refused:
            service.note_public("refused", client=client, outcome="denied")
            return _unavailable(request, refused)
    form = AnswersForm(link.instruments, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                done = service.submit_answers(token=token, answers=form.answers(), client=client)
            except service.LinkUnavailable as refused:
                return _unavailable(request, refused)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                request.session[SESSION_KEY] = {"flagged": done.suicidality}
                return redirect("questionnaire:thanks")
        else:
            service.note_public("invalid", client=client, outcome="denied")
    return _page(request, "followup/questionnaire/fill.html", {"form": form, "link": link})


@never_cache
@require_GET
def thanks(request: HttpRequest) -> HttpResponse:
    done = request.session.pop(SESSION_KEY, None) or {}
    return _page(request, "followup/questionnaire/thanks.html", {"flagged": bool(done.get("flagged")), "done": done})
