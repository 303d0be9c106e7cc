"""The care team's shared inbox of patients' messages, one per location: threads with patient, subject, status,
assignee and how long the patient has waited; filters (all open / mine / unassigned / closed); a thread page with
reply, assign, close and reopen; the response-time measure (median and 90th percentile time to the first staff
reply over the last 30 days).

Front desk, nurses and prescribers at the location (``messages.handle``); clinic admins are refused (403), as for
clinical notes. A thread of another location is a 404. Every list and thread shown is audited, every write too.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import ServiceError, apply_errors
from ketaclinic.accounts.models import Location
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.domain import messaging as rules
from ketaclinic.patients.queries import get_patient_for_user
from ketaclinic.portal.messaging import queries
from ketaclinic.portal.messaging import services as messaging
from ketaclinic.portal.messaging.forms import ErrorForm, InboxEmailForm, StaffNewThreadForm, StaffReplyForm
from ketaclinic.portal.models import Message, Thread
from ketaclinic.scheduling.queries import locations_of
from ketaclinic.scheduling.views.common import chosen_location

CAPABILITY = "messages.handle"


def inbox_url(thread: Thread, shown: str = "") -> str:
    query = {"location": thread.location_id, **({"show": shown} if shown else {})}
    return f"{reverse('portal:inbox')}?{urlencode(query)}"


@require_GET
@staff_view(CAPABILITY)
def inbox(request: AuthedRequest) -> HttpResponse:
    location = chosen_location(request)
    shown = request.GET.get("show", "open")
    if shown not in queries.FILTERS:
        shown = "open"
    rows = queries.inbox(request.user, location, shown)
    messaging.record_inbox_view(
        by=request.user, location=location, patients=[r.thread.patient_id for r in rows], shown=shown
    )
    times = queries.response_times(location)
    context = {
        "location": location,
        "locations": locations_of(request.user),
        "rows": rows,
        "shown": shown,
        "filters": queries.FILTERS.items(),
        "times": times,
        "median": rules.duration_words(times.median_min),
        "p90": rules.duration_words(times.p90_min),
        "window_days": rules.RESPONSE_WINDOW_DAYS,
    }
    return render(request, "portal/inbox/list.html", context)


def _thread_page(
    request: AuthedRequest,
    thread: Thread,
    *,
    form: StaffReplyForm | None = None,
    error_form: ErrorForm | None = None,
    error_for: int | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "thread": thread,
        "location": thread.location,
        "patient": thread.patient,
        "messages_shown": queries.messages_for_staff(thread),
        "form": form or StaffReplyForm(),
        "error_form": error_form or ErrorForm(),
        "error_for": error_for,
        "assignees": queries.assignees(thread.location),
        "back": inbox_url(thread),
    }
    return render(request, "portal/inbox/thread.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_view(CAPABILITY)
def thread(request: AuthedRequest, thread_id: int) -> HttpResponse:
    found = queries.thread_for_user(request.user, thread_id)
    if request.method == "GET":
        messaging.record_thread_view(by=request.user, thread=found)
        messaging.mark_read_by_staff(by=request.user, thread=found)
        return _thread_page(request, found)
    form = StaffReplyForm(request.POST)
    if form.is_valid():
        try:
            messaging.staff_reply(
                by=request.user, thread=found, text=form.cleaned_data["text"], base_url=request.build_absolute_uri("/")
            )
        except ServiceError as refused:
            apply_errors(form, refused)
        else:
            flash.success(request, "Reply sent. The patient has been told a message is waiting (without its content).")
            return redirect("portal:inbox_thread", thread_id=found.pk)
    return _thread_page(request, queries.thread_for_user(request.user, thread_id), form=form, status=422)


def _refused(request: AuthedRequest, found: Thread, refused: ServiceError) -> HttpResponse:
    flash.error(request, refused.message)
    return redirect("portal:inbox_thread", thread_id=found.pk)


@require_POST
@staff_view(CAPABILITY)
def assign(request: AuthedRequest, thread_id: int) -> HttpResponse:
    found = queries.thread_for_user(request.user, thread_id)
    raw = request.POST.get("assignee", "")
    if raw == "me":
        assignee = request.user
    elif raw == "":
        assignee = None
    elif raw.isdigit() and len(raw) < 12:
        assignee = queries.assignees(found.location).filter(pk=int(raw)).first()
        if assignee is None:
            return _refused(request, found, ServiceError("Choose someone of the care team at this location."))
    else:
        return _refused(request, found, ServiceError("Choose someone of the care team at this location."))
    try:
        messaging.assign(by=request.user, thread=found, assignee=assignee)
    except ServiceError as refused:
        return _refused(request, found, refused)
    flash.success(request, f"Assigned to {assignee.display_name}." if assignee else "Nobody is assigned now.")
    return redirect("portal:inbox_thread", thread_id=found.pk)


@require_POST
@staff_view(CAPABILITY)
def status(request: AuthedRequest, thread_id: int) -> HttpResponse:
    found = queries.thread_for_user(request.user, thread_id)
    action = request.POST.get("action", "")
    if action not in ("close", "reopen"):
        return _refused(request, found, ServiceError("Choose to close or to reopen the conversation."))
    try:
        messaging.set_status(by=request.user, thread=found, close=action == "close")
    except ServiceError as refused:
        return _refused(request, found, refused)
    flash.success(request, "Conversation closed." if action == "close" else "Conversation reopened.")
    return redirect("portal:inbox_thread", thread_id=found.pk)


@require_POST
@staff_view(CAPABILITY)
def in_error(request: AuthedRequest, message_id: int) -> HttpResponse:
    found = Message.objects.filter(pk=message_id, thread__in=queries.threads_visible_to(request.user)).first()
    if found is None:
        raise Http404("No such message.")
    form = ErrorForm(request.POST)
    if form.is_valid():
        try:
            messaging.mark_in_error(by=request.user, message=found, reason=form.cleaned_data["reason"])
        except ServiceError as refused:
            if refused.field is None:  # not the author, or already marked: said at the top of the thread
                return _refused(request, queries.thread_for_user(request.user, found.thread_id), refused)
            apply_errors(form, refused)
        else:
            flash.success(request, "Marked as sent in error: the patient no longer sees it.")
            return redirect("portal:inbox_thread", thread_id=found.thread_id)
    thread = queries.thread_for_user(request.user, found.thread_id)
    return _thread_page(request, thread, error_form=form, error_for=found.pk, status=422)


@require_http_methods(["GET", "POST"])
@staff_view(CAPABILITY)
def start(request: AuthedRequest, patient_id: int) -> HttpResponse:
    """Write first to a patient of the user's locations (from the chart); another location's patient is a 404."""
    patient = get_patient_for_user(request.user, patient_id)
    form = StaffNewThreadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            started = messaging.staff_start_thread(
                by=request.user,
                patient=patient,
                subject=form.cleaned_data["subject"],
                text=form.cleaned_data["text"],
                base_url=request.build_absolute_uri("/"),
            )
        except (ServiceError, ValidationError) as refused:
            apply_errors(form, refused)
        else:
            flash.success(
                request, "Message sent. The patient has been told a message is waiting (without its content)."
            )
            return redirect("portal:inbox_thread", thread_id=started.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "portal/inbox/start.html", {"patient": patient, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@staff_view("inbox.settings")
def settings_page(request: AuthedRequest) -> HttpResponse:
    """Clinic admins: each location's inbox notification e-mail (blank: none)."""
    locations = list(Location.objects.filter(clinic_id=request.user.clinic_id or 0).order_by("name"))
    forms = {loc.pk: InboxEmailForm(initial={"email": loc.inbox_email}, prefix=f"loc{loc.pk}") for loc in locations}
    status = 200
    if request.method == "POST":
        raw = request.POST.get("location", "")
        chosen = next((loc for loc in locations if raw.isdigit() and loc.pk == int(raw)), None)
        if chosen is None:
            raise Http404("No such location.")
        form = InboxEmailForm(request.POST, prefix=f"loc{chosen.pk}")
        forms[chosen.pk] = form
        if form.is_valid():
            try:
                messaging.set_inbox_email(by=request.user, location=chosen, email=form.cleaned_data["email"])
            except ServiceError as refused:
                apply_errors(form, refused)
            else:
                flash.success(request, f"Saved for {chosen.name}.")
                return redirect("portal:inbox_settings")
        status = 422
    rows = [(loc, forms[loc.pk]) for loc in locations]
    return render(request, "portal/inbox/settings.html", {"rows": rows}, status=status)
