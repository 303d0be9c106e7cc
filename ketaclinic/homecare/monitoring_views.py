"""The monitoring part of the programme page (screens and stop suggestions) and the prescriber's stop action.

Kept apart from ``views.py`` so the programme page's other sections can change independently; the page includes
``homecare/_monitoring.html`` with ``monitoring_context``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as Forbidden
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, ServiceError, submitted
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.domain import home_monitoring as rules
from ketaclinic.homecare import forms, monitoring, queries, services
from ketaclinic.homecare.models import HomeProgramme
from ketaclinic.patients.models import Patient
from ketaclinic.patients.queries import get_patient_for_user


def monitoring_context(patient: Patient, programme: HomeProgramme | None) -> dict[str, Any]:
    """What ``_monitoring.html`` shows: the screens since enrolment and the stop suggestions; without an active
    programme, the last stopped one (who stopped it, when, why)."""
    if programme is None:
        last = (
            HomeProgramme.objects.filter(patient=patient, status=HomeProgramme.Status.STOPPED, entered_in_error=False)
            .select_related("stopped_by")
            .order_by("-stopped_at", "-pk")
            .first()
        )
        return {"stopped_programme": last}
    found = monitoring.screens(programme)
    return {
        "screens": found,
        "stop_suggestions": monitoring.suggestions(programme, found=found),
        "screen_instruments": rules.SCREEN_INSTRUMENTS,
        "stop_form": forms.StopForm(),
    }


@require_http_methods(["GET", "POST"])
@staff_view("clinical.record")
def stop(request: AuthedRequest, patient_id: int) -> HttpResponse:
    """Stop the patient's home programme (prescribers with a current licence; the service checks), reason required."""
    if request.user.role != "prescriber":
        raise Forbidden("Only a prescriber stops a home programme.")
    patient = get_patient_for_user(request.user, patient_id)
    current = queries.active_programme(patient)
    form = forms.StopForm(request.POST or None)

    def act(data: dict[str, Any]) -> Done:
        if current is None:
            raise ServiceError("The patient has no active home programme.")
        services.stop_programme(by=request.user, programme=current, reason=data["reason"])
        return "Home programme stopped.", redirect("homecare:programme", patient_id=patient.pk)

    if done := submitted(request, form, act):
        return done
    return render(
        request,
        "homecare/stop.html",
        {"patient": patient, "programme": current, "form": form, **monitoring_context(patient, current)},
        status=400 if request.method == "POST" else 200,
    )
