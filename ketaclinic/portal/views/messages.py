"""The patient's secure messages with the care team: their threads, a new message, a thread with replies.

For non-urgent questions only: every page says so next to the crisis line. Every read goes through the signed-in
patient's id (another patient's thread is a 404 and nothing is written) and is audited as ``portal.view``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ketaclinic.accounts.errors import ServiceError, apply_errors
from ketaclinic.patients.models import Patient
from ketaclinic.portal import services as portal
from ketaclinic.portal.access import patient_view
from ketaclinic.portal.messaging import queries
from ketaclinic.portal.messaging import services as messaging
from ketaclinic.portal.messaging.forms import NewThreadForm, ReplyForm
from ketaclinic.portal.views.signin import page

SENT_KEY = "kc_portal_message_sent"


@never_cache
@require_http_methods(["GET", "POST"])
@patient_view
def threads(request: HttpRequest, patient: Patient) -> HttpResponse:
    form = NewThreadForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            thread = messaging.start_thread(
                patient=patient, subject=form.cleaned_data["subject"], text=form.cleaned_data["text"]
            )
        except ValidationError as refused:
            apply_errors(form, refused)
        else:
            request.session[SENT_KEY] = thread.pk
            return redirect("portal:thread", thread_id=thread.pk)
    if request.method == "GET":
        portal.record_view(patient_id=patient.pk, page="messages")
    context = {
        "patient": patient,
        "threads": queries.threads_of_patient(patient.pk),
        "form": form,
        "section": "messages",
    }
    return page(request, "messages.html", context, status=422 if request.method == "POST" else 200)


@never_cache
@require_http_methods(["GET", "POST"])
@patient_view
def thread(request: HttpRequest, patient: Patient, thread_id: int) -> HttpResponse:
    found = queries.thread_for_patient(patient.pk, thread_id)
    form = ReplyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            messaging.patient_reply(patient=patient, thread_id=found.pk, text=form.cleaned_data["text"])
        except ServiceError as refused:
            apply_errors(form, refused)
        else:
            request.session[SENT_KEY] = found.pk
            return redirect("portal:thread", thread_id=found.pk)
    if request.method == "GET":
        portal.record_view(patient_id=patient.pk, page="message_thread", obj=found)
        messaging.mark_read_by_patient(patient=patient, thread=found)
    sent = request.session.pop(SENT_KEY, None) == found.pk if request.method == "GET" else False
    context = {
        "patient": patient,
        "thread": found,
        "messages_shown": queries.messages_for_patient(found),
        "form": form,
        "sent": sent,
        "section": "messages",
    }
    return page(request, "thread.html", context, status=422 if request.method == "POST" else 200)
