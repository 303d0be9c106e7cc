"""Staff pages for a patient's questionnaire links: what was sent and its status, send one now, revoke one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, ServiceError, submitted
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.followup.forms import RevokeForm, SendForm
from ketaclinic.followup.services import questionnaires as service
from ketaclinic.patients.models import Patient
from ketaclinic.patients.queries import get_patient_for_user


def _render(request: AuthedRequest, patient: Patient, form: SendForm | None, status: int = 200) -> HttpResponse:
    now = timezone.now()
    links = list(patient.questionnaire_links.select_related("created_by", "revoked_by").order_by("-created_at", "-pk"))
    rows = [(link, service.link_status(link, now)) for link in links]
    can_send = role_can(request.user.role, "questionnaires.send")
    context = {
        "patient": patient,
        "rows": rows,
        "form": form,
        "can_send": can_send,
        "revokable": {"pending", "failed", "sent", "opened"},
    }
    return render(request, "followup/questionnaire/links.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_view("outcomes.view")
def patient_links(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    can_send = role_can(request.user.role, "questionnaires.send")
    form = SendForm(request.POST if request.method == "POST" else None) if can_send else None
    if request.method == "POST" and form is None:
        return HttpResponse(status=403)

    def act(data: dict[str, Any]) -> Done:
        delivery = service.send_now(
            by=request.user, patient=patient, scales=data["instruments"], base_url=request.build_absolute_uri("/")
        )
        if delivery.sent and delivery.link is not None:
            messages.success(request, f"Questionnaire link sent ({delivery.link.get_channel_display()}).")
        else:
            messages.error(request, f"The link was created but could not be sent: {delivery.error}")
        return redirect("questionnaires:patient_links", patient_id=patient.pk)

    if form is not None and (done := submitted(request, form, act)):
        return done
    audit.record(actor=request.user, action="questionnaire.list", patient_id=patient.pk)
    return _render(request, patient, form)


@require_POST
@staff_view("questionnaires.send")
def revoke(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason to revoke the link.")
        return redirect("questionnaires:patient_links", patient_id=patient.pk)
    link = patient.questionnaire_links.filter(pk=form.cleaned_data["link"]).first()
    if link is None:
        raise Http404("No such link.")
    try:
        service.revoke_link(by=request.user, link=link, reason=form.cleaned_data["reason"])
    except (ValidationError, ServiceError) as error:
        text = error.message if isinstance(error, ServiceError) else "; ".join(error.messages)
        messages.error(request, text)
    else:
        messages.success(request, "Link revoked: it no longer opens.")
    return redirect("questionnaires:patient_links", patient_id=patient.pk)
