"""/schedule/: one location's day, chairs as columns and time down the side, with the booking form (CONTRACTS §6)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, ServiceError, submitted
from ketaclinic.accounts.models import Location
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.domain.scheduling import CHAIR_KINDS
from ketaclinic.domain.scheduling.video import VIDEO_KINDS
from ketaclinic.patients.queries import patients_visible_to
from ketaclinic.scheduling import hooks, services
from ketaclinic.scheduling.forms import BookForm, CancelForm, VideoLinkForm
from ketaclinic.scheduling.models import Appointment
from ketaclinic.scheduling.queries import (
    DayGrid,
    day_grid,
    get_appointment_for_user,
    get_reschedule_request_for_user,
    locations_of,
    series_candidates,
)
from ketaclinic.scheduling.services import reminders, waiting
from ketaclinic.scheduling.views.common import chosen_day, chosen_location


def day_url(location: Location, day: dt.date) -> str:
    return f"{reverse('schedule:day')}?{urlencode({'date': day.isoformat(), 'location': location.pk})}"


def _grid_body(
    request: AuthedRequest, grid: DayGrid, *, zone: ZoneInfo, can_book: bool, now: dt.datetime, confirmed: set[int]
) -> SafeString:
    """The grid's rows × chairs, written once in Python (issue 17: the per-cell template work was most of the day
    view's time). Each appointment's actions are the markup of ``scheduling/_appt_actions.html``."""
    token = get_token(request)
    free = SafeString('    <td class="free"></td>')
    out: list[SafeString] = []
    for row in grid.rows:
        out.append(format_html('<tr><th scope="row" class="schedule-time">{}</th>\n', f"{row.time:%H:%M}"))
        for cell in row.cells:
            if cell is None:
                continue
            a = cell.appointment
            if a is None:
                out.append(free)
                continue
            out.append(
                format_html(
                    '\n    <td rowspan="{}" class="appt appt-{} appt-status-{}">\n'
                    "      <strong>{}</strong><br>\n      {}{}<br>\n      <small>{}–{} · {}{}</small>\n",
                    cell.rowspan,
                    a.kind,
                    a.status,
                    a.patient.full_name,
                    a.get_kind_display(),
                    f" · session {a.order.session_number}" if a.order else "",
                    f"{a.starts_at.astimezone(zone):%H:%M}",
                    f"{a.ends_at.astimezone(zone):%H:%M}",
                    a.get_status_display(),
                    " · confirmed by patient" if a.pk in confirmed else "",
                )
            )
            if a.video_url:
                out.append(
                    format_html(
                        '      <a class="video-link" href="{}" target="_blank" rel="noopener noreferrer">'
                        "Video link</a>\n",
                        a.video_url,
                    )
                )
            if can_book and a.status == "booked" and a.kind in VIDEO_KINDS:
                out.append(_video_form(reverse("schedule:video_link", args=[a.pk]), token, a.pk, a.video_url))
            if can_book and a.status == "booked":
                out.append(
                    _action(reverse("schedule:cancel", args=[a.pk]), token, "Cancel", "reason", a.pk, "appointment")
                )
                if a.starts_at <= now:
                    out.append(
                        _action(reverse("schedule:no_show", args=[a.pk]), token, "No-show", "noshow", a.pk, "no-show")
                    )
                    if a.kind not in CHAIR_KINDS:
                        out.append(_complete(reverse("schedule:complete", args=[a.pk]), token))
            out.append(SafeString("    </td>"))
        out.append(SafeString("\n  </tr>\n"))
    return format_html_join("", "{}", ((part,) for part in out))


def _video_form(url: str, token: str, pk: int, current: str) -> SafeString:
    """Set or change a telehealth visit's video link (https only, checked by the service)."""
    return format_html(
        '<details class="appt-video"><summary>{}</summary>\n'
        '  <form method="post" action="{}"><input type="hidden" name="csrfmiddlewaretoken" value="{}">\n'
        '    <label for="video-{}">Video link (https)</label>\n'
        '    <input type="url" id="video-{}" name="video_url" maxlength="500" value="{}" placeholder="https://">\n'
        '    <button type="submit">Save link</button>\n'
        "  </form></details>\n",
        "Change video link" if current else "Add video link",
        url,
        token,
        pk,
        pk,
        current,
    )


def _complete(url: str, token: str) -> SafeString:
    """A visit without a session (consultation, follow-up...) is marked completed once it has started."""
    return format_html(
        '<form method="post" action="{}" class="appt-complete">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<button type="submit">Mark completed</button></form>\n',
        url,
        token,
    )


def _action(url: str, token: str, summary: str, prefix: str, pk: int, what: str) -> SafeString:
    button = "Cancel appointment" if what == "appointment" else "Record no-show"
    return format_html(
        '<details class="appt-cancel"><summary>{}</summary>\n'
        '  <form method="post" action="{}"><input type="hidden" name="csrfmiddlewaretoken" value="{}">\n'
        '    <label for="{}-{}">Reason</label>\n'
        '    <input type="text" id="{}-{}" name="reason" maxlength="300" required>\n'
        '    <button type="submit">{}</button>\n'
        "  </form></details>\n",
        summary,
        url,
        token,
        prefix,
        pk,
        prefix,
        pk,
        button,
    )


def _render(request: AuthedRequest, location: Location, day: dt.date, form: BookForm | None) -> HttpResponse:
    grid = day_grid(location, day)
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(location.clinic.timezone))
    audit.record(
        actor=request.user,
        action="schedule.day_viewed",
        obj=location,
        detail={"date": day.isoformat(), "patients": sorted({a.patient_id for a in grid.appointments})},
    )
    zone = ZoneInfo(location.clinic.timezone)
    can_book = role_can(request.user.role, "schedule.book")
    now = timezone.now()
    confirmed = reminders.confirmed_ids(location.pk, midnight, midnight + dt.timedelta(days=1))
    context: dict[str, Any] = {
        "location": location,
        "locations": locations_of(request.user),
        "grid": grid,
        "day": day,
        "previous": day_url(location, day - dt.timedelta(days=1)),
        "next": day_url(location, day + dt.timedelta(days=1)),
        "zone": zone,
        "form": form,
        "book_form_url": day_url(location, day).replace(reverse("schedule:day"), reverse("schedule:book_form"), 1),
        "can_book": can_book,
        "now": now,
        "requests": reminders.reschedule_requests(location.pk),
        "confirmed": confirmed,
        "grid_body": _grid_body(request, grid, zone=zone, can_book=can_book, now=now, confirmed=confirmed),
        "series": series_candidates(request.user, location) if can_book else [],
        "waiting": waiting.for_day(location, midnight, midnight + dt.timedelta(days=1)) if can_book else None,
    }
    return render(request, "scheduling/day.html", context)


@require_GET
@staff_view("schedule.view")
def day(request: AuthedRequest) -> HttpResponse:
    """The day itself. The booking form (a select of every patient and open session order of the location: most of
    the page's time when it was built on every view) is fetched by ``book_form`` when staff open "Book an
    appointment"; after a refused booking it comes back filled in, on this page."""
    location = chosen_location(request)
    return _render(request, location, chosen_day(request, location), None)


@require_GET
@staff_view("schedule.book")
def book_form(request: AuthedRequest) -> HttpResponse:
    """The empty booking form for a location and day: an htmx fragment for the day view's "Book an appointment", or
    a page of its own when asked without JavaScript."""
    location = chosen_location(request)
    when = chosen_day(request, location)
    start = dt.datetime.combine(when, dt.time(9))
    initial: dict[str, Any] = {"start": start}
    # Linked from another page (the home programme's "Book a telehealth visit"): the patient and kind chosen.
    if request.GET.get("kind") in dict(BookForm.base_fields["kind"].choices):  # type: ignore[attr-defined]
        initial["kind"] = request.GET["kind"]
    if (patient_id := request.GET.get("patient", "")).isdigit():
        chosen = patients_visible_to(request.user).filter(pk=int(patient_id), location=location).first()
        if chosen is not None:
            initial["patient"] = chosen.pk
    form = BookForm(location=location, patients=patients_visible_to(request.user), initial=initial)
    audit.record(
        actor=request.user, action="schedule.book_form_viewed", obj=location, detail={"date": when.isoformat()}
    )
    context = {"form": form, "location": location, "day": day_url(location, when), "date": when}
    template = "scheduling/_book_form.html" if request.headers.get("HX-Request") else "scheduling/book.html"
    return render(request, template, context)


@require_POST
@staff_view("schedule.book")
def book(request: AuthedRequest) -> HttpResponse:
    location = chosen_location(request)
    form = BookForm(request.POST, location=location, patients=patients_visible_to(request.user))

    def act(data: dict[str, Any]) -> Done:
        order = data["order"]
        proposal = hooks.ProposedBooking(
            data["kind"], data["start"], order.dose_mg if order else None, order.devices if order else None
        )
        warnings = hooks.booking_warnings(data["patient"], [proposal])  # counted before this booking is made
        appointment = services.book(
            by=request.user,
            patient=data["patient"],
            kind=data["kind"],
            location=location,
            start=data["start"],
            chair=data["chair"],
            order=data["order"],
            override_reason=data["override_reason"] if data["override"] else "",
            video_url=data["video_url"],
        )
        local = appointment.starts_at.astimezone(ZoneInfo(location.clinic.timezone))
        text = f"Booked {appointment.get_kind_display()} for {appointment.patient.full_name} at {local:%a %d %b %H:%M}."
        for warning in warnings:
            messages.warning(request, warning)
        return text, redirect(day_url(location, local.date()))

    if done := submitted(request, form, act):
        return done
    if "override_reason" not in form.errors and not form.data.get("override"):
        form.hide_override()  # refused for another reason: no prior authorisation to override
    # A refusal takes the start out of cleaned_data: show the day the user was booking, as they typed it.
    try:
        when = dt.date.fromisoformat(request.POST.get("start", "")[:10])
    except ValueError:
        when = chosen_day(request, location)
    return _render(request, location, when, form)


def back_to_its_day(appointment: Appointment) -> HttpResponse:
    """The day view of the appointment's location on the appointment's own (clinic-local) day."""
    local_day = appointment.starts_at.astimezone(ZoneInfo(appointment.location.clinic.timezone)).date()
    return redirect(day_url(appointment.location, local_day))


@require_POST
@staff_view("schedule.book")
def cancel(request: AuthedRequest, appointment_id: int) -> HttpResponse:
    appointment = get_appointment_for_user(request.user, appointment_id)
    form = CancelForm(request.POST)
    back = back_to_its_day(appointment)
    if not form.is_valid():
        messages.error(request, "Say why the appointment is cancelled.")
        return back
    try:
        appointment = services.cancel(by=request.user, appointment=appointment, reason=form.cleaned_data["reason"])
    except ServiceError as error:
        messages.error(request, error.message)
        return back
    late = " (late cancellation)" if appointment.late_cancellation else ""
    text = f"Cancelled the {appointment.get_kind_display()} of {appointment.patient.full_name}{late}."
    messages.success(request, text)
    return back


@require_POST
@staff_view("schedule.book")
def no_show(request: AuthedRequest, appointment_id: int) -> HttpResponse:
    appointment = get_appointment_for_user(request.user, appointment_id)
    form = CancelForm(request.POST)
    back = back_to_its_day(appointment)
    if not form.is_valid():
        messages.error(request, "Say why the appointment was missed.")
        return back
    try:
        services.mark_no_show(by=request.user, appointment=appointment, reason=form.cleaned_data["reason"])
    except ServiceError as error:
        messages.error(request, error.message)
        return back
    messages.success(request, f"Recorded a no-show for {appointment.patient.full_name}.")
    return back


@require_POST
@staff_view("schedule.book")
def complete(request: AuthedRequest, appointment_id: int) -> HttpResponse:
    """A visit without a treatment session is done (a session is completed when its note is signed at the chair)."""
    appointment = get_appointment_for_user(request.user, appointment_id)
    back = back_to_its_day(appointment)
    try:
        services.mark_completed(by=request.user, appointment=appointment)
    except ServiceError as error:
        messages.error(request, error.message)
        return back
    messages.success(
        request, f"Marked the {appointment.get_kind_display()} of {appointment.patient.full_name} completed."
    )
    return back


@require_POST
@staff_view("schedule.book")
def request_done(request: AuthedRequest, message_id: int) -> HttpResponse:
    """The front desk dealt with a patient's request for another time (the queue on the day view)."""
    message = get_reschedule_request_for_user(request.user, message_id)
    back = redirect(day_url(message.appointment.location, chosen_day(request, message.appointment.location)))
    try:
        reminders.mark_handled(by=request.user, message=message)
    except ServiceError as error:
        messages.error(request, error.message)
        return back
    messages.success(request, f"Marked the request of {message.appointment.patient.full_name} as dealt with.")
    return back


@require_POST
@staff_view("schedule.book")
def video_link(request: AuthedRequest, appointment_id: int) -> HttpResponse:
    """Set, change or clear a telehealth visit's video link from the day view."""
    appointment = get_appointment_for_user(request.user, appointment_id)
    form = VideoLinkForm(request.POST)
    back = back_to_its_day(appointment)
    if not form.is_valid():
        messages.error(request, "Nothing was saved — a video link is at most 500 characters.")
        return back
    try:
        services.set_video_link(by=request.user, appointment=appointment, url=form.cleaned_data["video_url"])
    except ServiceError as error:
        messages.error(request, f"Nothing was saved — {error.message}")
        return back
    messages.success(request, "Video link saved." if form.cleaned_data["video_url"].strip() else "Video link removed.")
    return back
