"""Sign-in by one-time link: ask for a link, open it (date of birth), sign out.

The request page always answers the same words, whether the address is known, unknown or over the rate limit. The
link page shows nothing about the patient before the date of birth matches; a used, closed, expired or unknown link
gets one clear page (410).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.errors import ServiceError, apply_errors
from ketaclinic.audit import refusals
from ketaclinic.audit.middleware import client_ip
from ketaclinic.patients.models import Patient
from ketaclinic.portal import access, queries, services
from ketaclinic.portal.forms import AddressForm, DateOfBirthForm


def page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """A portal page; a signed-in patient's page carries the menu's counts (``queries.menu_counts``)."""
    patient = context.get("patient")
    if isinstance(patient, Patient) and access.signed_in_patient_id(request) == patient.pk:
        context = {**context, "menu": queries.menu_counts(patient)}
    response = render(request, f"portal/{template}", context, status=status)
    response["Referrer-Policy"] = "same-origin"  # a sign-in token may be in the address
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    if access.signed_in_patient_id(request) is not None and request.method == "GET":
        return redirect("portal:home")
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            address = services.parse_address(form.cleaned_data["address"])
        except ServiceError as refused:
            apply_errors(form, refused)
        else:
            services.request_link(
                address=address, client_ip=client_ip(request), base_url=request.build_absolute_uri("/")
            )
            return page(request, "sent.html", {})
    status = 422 if request.method == "POST" else 200
    return page(request, "login.html", {"form": form, "timeout": request.GET.get("timeout") == "1"}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    client = refusals.client_key(client_ip(request))
    if request.method == "GET":
        try:
            services.find_link(token, client=client)
        except services.LinkUnavailable as refused:
            return page(request, "unavailable.html", {"message": refused.message}, status=410)
        return page(request, "date_of_birth.html", {"form": DateOfBirthForm()})
    form = DateOfBirthForm(request.POST)
    if form.is_valid():
        try:
            patient = services.sign_in(token=token, date_of_birth=form.cleaned_data["date_of_birth"], client=client)
        except services.LinkUnavailable as refused:
            return page(request, "unavailable.html", {"message": refused.message}, status=410)
        except services.WrongDateOfBirth as refused:
            if not refused.remaining:
                return page(request, "unavailable.html", {"message": refused.message}, status=410)
            apply_errors(form, refused)
        else:
            access.start(request, patient)
            return redirect("portal:home")
    return page(request, "date_of_birth.html", {"form": form}, status=422)


@never_cache
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    patient_id = access.signed_in_patient_id(request)
    if patient_id is not None:
        services.note_sign_out(patient_id=patient_id, reason="signed out")
    access.end(request)
    return page(request, "signed_out.html", {})
