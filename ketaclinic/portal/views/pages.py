"""The signed-in patient's pages: home, appointments (confirm with the pre-visit checklist, ask to cancel or for another
time), questionnaires (due ones and past scores).

Every page loads through the signed-in patient's id (``queries``), so another patient's id is a 404 and nothing is
written; every page that shows the patient's data is audited (``services.record_view``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic.accounts.errors import ServiceError, apply_errors
from ketaclinic.domain.scheduling import reminders as plan
from ketaclinic.followup.forms import AnswersForm
from ketaclinic.followup.services import questionnaires
from ketaclinic.patients.models import Patient
from ketaclinic.portal import consent_queries, queries, services
from ketaclinic.portal.access import patient_view
from ketaclinic.portal.forms import ConfirmForm, RequestForm
from ketaclinic.portal.views.signin import page
from ketaclinic.scheduling.models import Appointment, AppointmentMessage
from ketaclinic.scheduling.services import previsit, reminders

DONE_KEY = "kc_portal_questionnaire_done"


@never_cache
@require_GET
@patient_view
def home(request: HttpRequest, patient: Patient) -> HttpResponse:
    upcoming, _past = queries.appointments(patient.pk)
    due = questionnaires.due_for_patient(patient.pk)
    services.record_view(patient_id=patient.pk, page="home")
    nxt = upcoming[0] if upcoming else None
    return page(
        request,
        "home.html",
        {
            "patient": patient,
            "next": nxt,
            "next_when": reminders.when_words(nxt) if nxt else "",
            "due": due,
            "consents_to_sign": consent_queries.to_sign(patient),
            "section": "home",
        },
    )


@never_cache
@require_GET
@patient_view
def appointments(request: HttpRequest, patient: Patient) -> HttpResponse:
    upcoming, past = queries.appointments(patient.pk)
    services.record_view(patient_id=patient.pk, page="appointments")
    rows = [(a, reminders.when_words(a), reminders.visit_words(a.kind)) for a in upcoming]
    old = [(a, reminders.when_words(a), reminders.visit_words(a.kind)) for a in past]
    return page(
        request,
        "appointments.html",
        {"patient": patient, "upcoming": rows, "past": old, "section": "appointments"},
    )


def _portal_answer(appointment: Appointment) -> AppointmentMessage | None:
    return appointment.messages.filter(kind=AppointmentMessage.Kind.PORTAL).first()


def _detail(
    request: HttpRequest,
    patient: Patient,
    appointment: Appointment,
    *,
    confirm_form: ConfirmForm | None = None,
    request_form: RequestForm | None = None,
    status: int = 200,
) -> HttpResponse:
    items = reminders.checklist_for(appointment)
    topics = plan.topics(items)
    answer = _portal_answer(appointment)
    pending = answer is not None and answer.response in AppointmentMessage.REQUESTS and answer.handled_at is None
    previsit_done = getattr(appointment, "previsit", None)
    open_for_answers = previsit.request_allowed(appointment) and not pending
    context: dict[str, Any] = {
        "patient": patient,
        "appointment": appointment,
        "when": reminders.when_words(appointment),
        "visit": reminders.visit_words(appointment.kind),
        "location": appointment.location,
        "checklist": items,
        "confirm_form": confirm_form or ConfirmForm(topics=topics),
        "request_form": request_form or RequestForm(),
        "confirmed": previsit_done,
        "pending": answer if pending else None,
        "can_confirm": _confirmable(appointment) and previsit_done is None and not pending,
        "can_ask": open_for_answers,
        "section": "appointments",
    }
    return page(request, "appointment.html", context, status=status)


def _confirmable(appointment: Appointment) -> bool:
    """Confirming is open until the start, even inside the notice period (only changes need notice)."""
    return appointment.status == Appointment.Status.BOOKED and appointment.starts_at > timezone.now()


@never_cache
@require_GET
@patient_view
def appointment(request: HttpRequest, patient: Patient, appointment_id: int) -> HttpResponse:
    found = queries.appointment_for(patient.pk, appointment_id)
    services.record_view(patient_id=patient.pk, page="appointment", obj=found)
    return _detail(request, patient, found)


@never_cache
@require_POST
@patient_view
def confirm(request: HttpRequest, patient: Patient, appointment_id: int) -> HttpResponse:
    found = queries.appointment_for(patient.pk, appointment_id)
    form = ConfirmForm(request.POST, topics=plan.topics(reminders.checklist_for(found)))
    if form.is_valid():
        data = form.cleaned_data
        answers = previsit.Answers(
            fasting_as_instructed=data.get("fasting") if "fasting" in form.fields else None,
            medicines_held=data.get("medicines") if "medicines" in form.fields else None,
            ride_home_name=data.get("ride_home_name", ""),
            ride_home_phone=data.get("ride_home_phone", ""),
        )
        try:
            previsit.confirm(appointment=found, answers=answers)
        except (ValidationError, ServiceError) as refused:
            apply_errors(form, refused)
        else:
            return redirect("portal:appointment", appointment_id=found.pk)
    return _detail(request, patient, queries.appointment_for(patient.pk, appointment_id), confirm_form=form, status=422)


@never_cache
@require_POST
@patient_view
def ask(request: HttpRequest, patient: Patient, appointment_id: int) -> HttpResponse:
    found = queries.appointment_for(patient.pk, appointment_id)
    form = RequestForm(request.POST)
    if form.is_valid():
        try:
            previsit.ask(appointment=found, answer=form.cleaned_data["answer"], note=form.cleaned_data["note"])
        except ServiceError as refused:
            apply_errors(form, refused)
        else:
            return redirect("portal:appointment", appointment_id=found.pk)
    return _detail(request, patient, queries.appointment_for(patient.pk, appointment_id), request_form=form, status=422)


@never_cache
@require_GET
@patient_view
def questionnaire_list(request: HttpRequest, patient: Patient) -> HttpResponse:
    due = questionnaires.due_for_patient(patient.pk)
    history = queries.score_history(patient.pk)
    services.record_view(patient_id=patient.pk, page="questionnaires")
    done = request.session.pop(DONE_KEY, None)
    return page(
        request,
        "questionnaires.html",
        {
            "patient": patient,
            "due": due,
            "history": history,
            "done": done is not None,
            "flagged": bool(done and done.get("flagged")),
            "section": "questionnaires",
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@patient_view
def questionnaire(request: HttpRequest, patient: Patient, link_id: int) -> HttpResponse:
    try:
        link = questionnaires.find_for_patient(link_id=link_id, patient_id=patient.pk)
    except questionnaires.LinkUnavailable as refused:
        if not refused.gone:
            raise Http404("No such questionnaire.") from None
        return page(request, "questionnaire_closed.html", {"patient": patient, "section": "questionnaires"}, 410)
    form = AnswersForm(link.instruments, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            done = questionnaires.submit_for_patient(link_id=link.pk, patient_id=patient.pk, answers=form.answers())
        except questionnaires.LinkUnavailable:
            return page(request, "questionnaire_closed.html", {"patient": patient, "section": "questionnaires"}, 410)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            request.session[DONE_KEY] = {"flagged": done.suicidality}
            return redirect("portal:questionnaires")
    if request.method == "GET":
        services.record_view(patient_id=patient.pk, page="questionnaire", obj=link)
    status = 422 if request.method == "POST" else 200
    return page(request, "questionnaire.html", {"patient": patient, "form": form, "section": "questionnaires"}, status)
