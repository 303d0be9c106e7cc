"""/schedule/setup/: the clinic admin manages a location's calendar resources (issue 17). Every change is audited by
its service; a refused change comes back into its own form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, submitted
from ketaclinic.accounts.models import Location
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.scheduling import services
from ketaclinic.scheduling.forms import ChairForm, ClosureForm, HoursForm, SettingsForm, ShiftForm
from ketaclinic.scheduling.models import Chair, Closure, OpeningHours, RosterShift
from ketaclinic.scheduling.queries import locations_of, settings_for
from ketaclinic.scheduling.views.common import chosen_location


def setup_url(location: Location) -> str:
    return f"{reverse('schedule:setup')}?location={location.pk}"


def _forms(location: Location, bound: dict[str, forms.BaseForm]) -> dict[str, forms.BaseForm]:
    blank: dict[str, forms.BaseForm] = {
        "settings_form": SettingsForm(instance=settings_for(location), prefix="settings"),
        "chair_form": ChairForm(prefix="chair"),
        "hours_form": HoursForm(prefix="hours"),
        "closure_form": ClosureForm(prefix="closure"),
        "shift_form": ShiftForm(prefix="shift", location=location),
    }
    return {**blank, **bound}


def _render(request: AuthedRequest, location: Location, **bound: forms.BaseForm) -> HttpResponse:
    context: dict[str, Any] = {
        "location": location,
        "locations": locations_of(request.user),
        "chairs": Chair.objects.filter(location=location),
        "hours": OpeningHours.objects.filter(location=location),
        "closures": Closure.objects.filter(location=location).order_by("-first_day")[:50],
        "shifts": RosterShift.objects.filter(location=location).select_related("user").order_by("-starts_at")[:100],
        **_forms(location, bound),
    }
    return render(request, "scheduling/setup.html", context, status=422 if bound else 200)


@require_GET
@staff_view("schedule.manage")
def setup(request: AuthedRequest) -> HttpResponse:
    return _render(request, chosen_location(request))


def _post(
    request: AuthedRequest, name: str, form: forms.BaseForm, act: Callable[[dict[str, Any]], str]
) -> HttpResponse:
    location = chosen_location(request)

    def done(data: dict[str, Any]) -> Done:
        return act(data), redirect(setup_url(location))

    return submitted(request, form, done) or _render(request, location, **{name: form})


@require_POST
@staff_view("schedule.manage")
def save_settings(request: AuthedRequest) -> HttpResponse:
    location = chosen_location(request)
    form = SettingsForm(request.POST, instance=settings_for(location), prefix="settings")

    def act(data: dict[str, Any]) -> str:
        services.save_settings(by=request.user, clinic=location.clinic, **data)
        return "Scheduling settings saved."

    return _post(request, "settings_form", form, act)


@require_POST
@staff_view("schedule.manage")
def add_chair(request: AuthedRequest) -> HttpResponse:
    location = chosen_location(request)

    def act(data: dict[str, Any]) -> str:
        chair = services.save_chair(by=request.user, location=location, **data)
        return f"Added {chair.label}."

    return _post(request, "chair_form", ChairForm(request.POST, prefix="chair"), act)


@require_POST
@staff_view("schedule.manage")
def toggle_chair(request: AuthedRequest, chair_id: int) -> HttpResponse:
    chair = get_object_or_404(Chair.objects.filter(location__in=locations_of(request.user)), pk=chair_id)
    services.save_chair(by=request.user, location=chair.location, chair=chair, is_active=not chair.is_active)
    return redirect(setup_url(chair.location))


@require_POST
@staff_view("schedule.manage")
def add_hours(request: AuthedRequest) -> HttpResponse:
    location = chosen_location(request)

    def act(data: dict[str, Any]) -> str:
        hours = services.add_hours(by=request.user, location=location, **data)
        return f"Added opening hours: {hours}."

    return _post(request, "hours_form", HoursForm(request.POST, prefix="hours"), act)


@require_POST
@staff_view("schedule.manage")
def remove_hours(request: AuthedRequest, hours_id: int) -> HttpResponse:
    hours = get_object_or_404(OpeningHours.objects.filter(location__in=locations_of(request.user)), pk=hours_id)
    location = hours.location
    services.remove_hours(by=request.user, hours=hours)
    return redirect(setup_url(location))


@require_POST
@staff_view("schedule.manage")
def add_closure(request: AuthedRequest) -> HttpResponse:
    location = chosen_location(request)

    def act(data: dict[str, Any]) -> str:
        services.add_closure(by=request.user, location=location, **data)
        return "Closure added."

    return _post(request, "closure_form", ClosureForm(request.POST, prefix="closure"), act)


@require_POST
@staff_view("schedule.manage")
def add_shift(request: AuthedRequest) -> HttpResponse:
    location = chosen_location(request)

    def act(data: dict[str, Any]) -> str:
        shift = services.add_shift(
            by=request.user,
            location=location,
            **{"user": data["user"], "starts_at": data["starts_at"], "ends_at": data["ends_at"]},
        )
        return f"Rostered {shift.user.display_name}."

    return _post(request, "shift_form", ShiftForm(request.POST, prefix="shift", location=location), act)


@require_POST
@staff_view("schedule.manage")
def remove_shift(request: AuthedRequest, shift_id: int) -> HttpResponse:
    shift = get_object_or_404(RosterShift.objects.filter(location__in=locations_of(request.user)), pk=shift_id)
    location = shift.location
    services.remove_shift(by=request.user, shift=shift)
    return redirect(setup_url(location))
