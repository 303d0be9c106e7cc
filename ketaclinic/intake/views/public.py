"""The public consultation request (no login): CSRF-protected, honeypot, rate limit per client address."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from ketaclinic.accounts.errors import submitted
from ketaclinic.audit.middleware import client_ip
from ketaclinic.intake.forms.consultation import HONEYPOT_FIELD, ConsultationRequestForm
from ketaclinic.intake.services import consultation

SESSION_KEY = "kc_consultation_reference"


@never_cache
@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest) -> HttpResponse:
    form = ConsultationRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        honeypot = request.POST.get(HONEYPOT_FIELD, "")
        if honeypot.strip():
            # A robot filled the hidden field: it sees the normal confirmation; nothing is stored (it is audited), and
            # it counts toward the same per-address rate limit as a real request (issue 13, defect 7).
            try:
                submission = consultation.submit_request(
                    data={}, location=None, client_ip=client_ip(request), honeypot=honeypot
                )
            except consultation.RateLimited as refused:
                form.add_error(None, refused.message)
                return render(request, "intake/public/request.html", {"form": form}, status=429)
            request.session[SESSION_KEY] = submission.reference
            return redirect("consultation:thanks")
        if form.is_valid():
            try:
                consultation.refuse_if_over_limit(client_ip(request))
            except consultation.RateLimited as refused:
                form.add_error(None, refused.message)
                return render(request, "intake/public/request.html", {"form": form}, status=429)
        limited = False

        def act(data: dict[str, Any]) -> HttpResponse:
            nonlocal limited
            try:
                submission = consultation.submit_request(
                    data=form.request_data(), location=data["location"], client_ip=client_ip(request)
                )
            except consultation.RateLimited:
                limited = True
                raise
            request.session[SESSION_KEY] = submission.reference
            return redirect("consultation:thanks")

        # The one-time token: a double click or a resent page stores one request and says it was already received.
        if done := submitted(request, form, act):
            return done
        status = 429 if limited else 200
    return render(request, "intake/public/request.html", {"form": form}, status=status)


@never_cache
@require_GET
def thanks(request: HttpRequest) -> HttpResponse:
    reference = request.session.pop(SESSION_KEY, None)
    return render(request, "intake/public/thanks.html", {"reference": reference})
