"""/schedule/series/<version_id>/: propose a signed plan's whole series, let staff move single sessions, book all.

GET shows the proposal for ``?start_date=`` and ``?times=HH:MM,HH:MM`` (or the refusal naming each session that
cannot be placed); POST books the rows as shown or as moved, all or none (each row re-checked by ``book``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.patients.queries import patients_visible_to
from ketaclinic.plans.models import PlanVersion
from ketaclinic.scheduling import hooks
from ketaclinic.scheduling.models import Chair
from ketaclinic.scheduling.services import series as service
from ketaclinic.scheduling.views.day import day_url


def _version(request: AuthedRequest, version_id: int) -> PlanVersion:
    version = (
        PlanVersion.objects.filter(pk=version_id, plan__patient__in=patients_visible_to(request.user))
        .select_related("plan__patient__location__clinic")
        .first()
    )
    if version is None:
        raise Http404("No such plan version.")
    return version


def _times(raw: str) -> tuple[dt.time, ...]:
    found = []
    for part in raw.replace(" ", "").split(","):
        try:
            found.append(dt.time.fromisoformat(part))
        except ValueError:
            continue
    return tuple(found[:8])


@require_http_methods(["GET", "POST"])
@staff_view("schedule.book")
def series(request: AuthedRequest, version_id: int) -> HttpResponse:
    version = _version(request, version_id)
    location = version.plan.patient.location
    zone = ZoneInfo(location.clinic.timezone)
    today = timezone.now().astimezone(zone).date()
    source = request.POST if request.method == "POST" else request.GET
    try:
        start_date = dt.date.fromisoformat(source.get("start_date", ""))
    except ValueError:
        start_date = service.suggested_start(version, zone, today)
    times = _times(source.get("times", "")) or service.DEFAULT_TIMES
    error = ""
    problems: list[str] = []
    placements: list[service.Placement] = []
    warnings: list[str] = []
    if request.method == "POST":
        try:
            placements = _rows(request, version, zone)
            warnings = _warnings(version, placements)  # counted before these are booked
            override = request.POST.get("override_reason", "").strip() if request.POST.get("override") else ""
            if request.POST.get("override") and not override:
                raise ServiceError("Say why you book past the authorisation.", field="override_reason")
            booked = service.book_series(
                by=request.user,
                version=version,
                location=location,
                start_date=start_date,
                placements=placements,
                override_reason=override,
            )
        except ServiceError as refused:
            error = refused.message
        else:
            messages.success(request, f"Booked {len(booked)} sessions for {version.plan.patient.full_name}.")
            for warning in warnings:
                messages.warning(request, warning)
            first = booked[0].starts_at.astimezone(zone).date()
            return redirect(day_url(location, first))
    proposal: list[service.Placement] = placements  # a refused booking shows the rows as the staff left them
    try:
        proposal = proposal or service.propose(
            by=request.user, version=version, location=location, start_date=start_date, preferred_times=times
        )
    except service.SeriesNotPlaceable as refused:
        error, problems = error or "These sessions cannot be placed:", refused.problems
    except ServiceError as refused:
        error = error or refused.message
    context: dict[str, Any] = {
        "warnings": _warnings(version, proposal),
        "version": version,
        "patient": version.plan.patient,
        "location": location,
        "start_date": start_date,
        "times": ", ".join(f"{t:%H:%M}" for t in times),
        "rows": [(p, p.start.astimezone(zone)) for p in proposal],
        "chairs": Chair.objects.filter(location=location, kind=Chair.Kind.CHAIR, is_active=True),
        "error": error,
        "problems": problems,
        "override_reason": request.POST.get("override_reason", "") if request.method == "POST" else "",
    }
    return render(request, "scheduling/series.html", context, status=422 if error and request.method == "POST" else 200)


def _rows(request: AuthedRequest, version: PlanVersion, zone: ZoneInfo) -> list[service.Placement]:
    """The sessions as the staff left them: one start and chair per open order."""
    orders = {o.pk: o for o in version.orders.all()}
    chairs = {c.pk: c for c in Chair.objects.filter(location=version.plan.patient.location)}
    placements = []
    for raw_order in request.POST.getlist("order"):
        order = orders.get(int(raw_order)) if raw_order.isdigit() else None
        chair = chairs.get(int(request.POST.get(f"chair-{raw_order}", "0") or 0))
        try:
            start = dt.datetime.fromisoformat(request.POST.get(f"start-{raw_order}", "")).replace(tzinfo=zone)
        except ValueError:
            raise ServiceError(f"Give session {order.session_number if order else '?'} a start time.") from None
        if order is None or chair is None:
            raise ServiceError("A session or chair is not part of this plan or location; reload the proposal.")
        placements.append(service.Placement(order, start, start, chair))
    if not placements:
        raise ServiceError("Nothing to book.")
    return placements


def _warnings(version: PlanVersion, placements: list[service.Placement]) -> list[str]:
    """What the apps above the calendar say about booking these sessions (e.g. a prior authorisation they exceed)."""
    kind = service.KIND_FOR_ROUTE.get(version.route, "")
    proposals = [hooks.ProposedBooking(kind, p.start, p.order.dose_mg, p.order.devices) for p in placements]
    return hooks.booking_warnings(version.plan.patient, proposals)
