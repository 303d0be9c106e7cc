"""Staff pages of the home programme (clinical roles): the programme page per patient, prescribing, recording fills,
waste and counts, and the clinic's thresholds. Thin: load through the access helpers, validate, call one service."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, PermissionDenied, ServiceError, submitted
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit.reads import record_patients_shown
from ketaclinic.domain import homecare as rules
from ketaclinic.homecare import forms, queries, services
from ketaclinic.homecare.models import HomeSettings
from ketaclinic.homecare.monitoring_views import monitoring_context
from ketaclinic.patients.models import clinic_date
from ketaclinic.patients.queries import get_patient_for_user


@require_http_methods(["GET", "POST"])
@staff_view("clinical.view")
def programme(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    current = queries.active_programme(patient)
    form = forms.EnrolForm(request.POST or None) if current is None else None

    def act(data: dict[str, Any]) -> Done:
        services.enrol(by=request.user, patient=patient, **data)
        return "Enrolled in the home programme.", redirect("homecare:programme", patient_id=patient.pk)

    if request.method == "POST" and form is not None and (done := submitted(request, form, act)):
        return done
    record_patients_shown(request, action="homecare.view", patient_ids=[patient.pk])
    prescriptions = []
    if current is not None:
        for rx in current.prescriptions.filter(entered_in_error=False).prefetch_related(
            "dispenses", "stock_entries", "check_ins", "doses"
        ):
            prescriptions.append(
                {
                    "rx": rx,
                    "balance": queries.balance(rx),
                    "refill_ends": rules.refill_window_ends(rx.issued_on),
                    "check_ins": rx.check_ins.filter(entered_in_error=False).select_related("dose")[:30],
                    "record_form": forms.RecordForm(initial={"prescription": rx.pk}),
                }
            )
    warning = (
        rules.telehealth_warning(in_person_evaluation_on=current.in_person_evaluation_on, today=clinic_date(patient))
        if current is not None
        else None
    )
    return render(
        request,
        "homecare/programme.html",
        {
            "patient": patient,
            "programme": current,
            "form": form,
            "prescriptions": prescriptions,
            "telehealth_warning": warning,
            "settings": queries.settings_for(patient.location.clinic_id),
            **monitoring_context(patient, current),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_view("clinical.view")
def prescribe(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    current = queries.active_programme(patient)
    form = forms.PrescribeForm(request.POST or None, initial={"issued_on": clinic_date(patient)})

    def act(data: dict[str, Any]) -> Done:
        if current is None:
            raise ServiceError("Enrol the patient in the home programme first.")
        services.prescribe(by=request.user, programme=current, **data)
        return "Take-home prescription recorded.", redirect("homecare:programme", patient_id=patient.pk)

    return submitted(request, form, act) or render(
        request, "homecare/prescribe.html", {"patient": patient, "programme": current, "form": form}
    )


@require_POST
@staff_view("clinical.record")
def record(request: AuthedRequest, patient_id: int) -> HttpResponse:
    """A fill or refill, documented waste, or a count, from the programme page."""
    patient = get_patient_for_user(request.user, patient_id)
    current = queries.active_programme(patient)
    form = forms.RecordForm(request.POST)

    def act(data: dict[str, Any]) -> Done:
        if current is None:
            raise ServiceError("The patient is not enrolled in the home programme.")
        rx = get_object_or_404(current.prescriptions.filter(entered_in_error=False), pk=data["prescription"])
        if data["kind"] == "dispense":
            if data["doses"] != int(data["doses"]):
                raise ServiceError("Whole doses only.", field="doses")
            if data["dispensed_on"] is None:
                raise ServiceError("Give the date.", field="dispensed_on")
            services.dispense(
                by=request.user,
                prescription=rx,
                source=data["source"],
                dispenser=data["dispenser"],
                dispensed_on=data["dispensed_on"],
                doses=int(data["doses"]),
            )
        else:
            services.record_stock(
                by=request.user, prescription=rx, kind=data["kind"], doses=data["doses"], note=data["note"]
            )
        return "Recorded.", redirect("homecare:programme", patient_id=patient.pk)

    if done := submitted(request, form, act):
        return done
    problems = "; ".join(f"{field}: {' '.join(str(e) for e in errors)}" for field, errors in form.errors.items())
    messages.error(request, f"Nothing was recorded — {problems}")
    return redirect("homecare:programme", patient_id=patient.pk)


@require_http_methods(["GET", "POST"])
@staff_view()
def settings_page(request: AuthedRequest) -> HttpResponse:
    """The clinic's home-dose thresholds (CLINIC POLICY, no defaults): prescribers and clinic admins."""
    if request.user.role not in ("prescriber", "clinic_admin"):
        raise Forbidden("Only a prescriber or a clinic admin sets the home-dose thresholds.")
    clinic = request.user.clinic
    if clinic is None:
        raise PermissionDenied("Your account belongs to no clinic.")
    row = HomeSettings.objects.filter(clinic=clinic).first() or HomeSettings(clinic=clinic)
    form = forms.SettingsForm(request.POST or None, instance=row)

    def act(data: dict[str, Any]) -> Done:
        services.save_settings(by=request.user, clinic=clinic, **data)
        return "Home-dose thresholds saved.", redirect("homecare:settings")

    return submitted(request, form, act) or render(request, "homecare/settings.html", {"form": form})
