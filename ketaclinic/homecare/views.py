"""Staff pages of the home programme (clinical roles): the programme page per patient, prescribing, recording fills,
waste and counts, and the clinic's thresholds. Thin: load through the access helpers, validate, call one service."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, PermissionDenied, ServiceError, submitted
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit.reads import record_patients_shown
from ketaclinic.domain import homecare as rules
from ketaclinic.homecare import forms, queries, services
from ketaclinic.homecare.models import (
    HomeCheckIn,
    HomeDiscrepancyReview,
    HomeDispense,
    HomeDose,
    HomeSettings,
    TakeHomePrescription,
)
from ketaclinic.homecare.monitoring_views import monitoring_context
from ketaclinic.ledger.services import witnesses
from ketaclinic.ledger.views.common import clear_secrets
from ketaclinic.patients.models import Patient, clinic_date
from ketaclinic.patients.queries import get_patient_for_user
from ketaclinic.scheduling.models import Appointment


def _telehealth_booking_url(request: AuthedRequest, patient: Patient) -> str:
    """The calendar's booking form with the patient and the kind ``telehealth`` chosen (integration visits)."""
    if not role_can(request.user.role, "schedule.book"):
        return ""
    query = {"location": patient.location_id, "date": clinic_date(patient).isoformat(), "patient": patient.pk}
    return f"{reverse('schedule:book_form')}?{urlencode({**query, 'kind': 'telehealth'})}"


def _telehealth_visits(patient: Patient) -> list[Appointment]:
    return list(
        Appointment.objects.filter(
            patient=patient, kind="telehealth", status=Appointment.Status.BOOKED, ends_at__gte=timezone.now()
        ).order_by("starts_at")[:5]
    )


def _fills(rx: TakeHomePrescription) -> list[HomeDispense]:
    fills = list(rx.dispenses.filter(entered_in_error=False).select_related("ledger_entry__container"))
    for fill in fills:
        fill.ledger_ml = -fill.ledger_entry.quantity_ml if fill.ledger_entry else None  # type: ignore[attr-defined]
    return fills


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
                    "check_ins": rx.check_ins.select_related("dose").order_by("-at")[:30],
                    "record_form": forms.RecordForm(initial={"prescription": rx.pk}),
                    "reviews": queries.open_reviews([rx]),
                    "fills": _fills(rx),
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
            "review_form": forms.ReviewForm(),
            "telehealth_booking_url": _telehealth_booking_url(request, patient) if current is not None else "",
            "telehealth_visits": _telehealth_visits(patient) if current is not None else [],
            "error_form": forms.EnteredInErrorForm(),
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


def _prescription(request: AuthedRequest, patient_id: int, rx_id: int) -> tuple[Patient, TakeHomePrescription]:
    patient = get_patient_for_user(request.user, patient_id)
    current = queries.active_programme(patient)
    if current is None:
        raise Http404("The patient is not enrolled in the home programme.")
    rx = get_object_or_404(current.prescriptions.filter(entered_in_error=False), pk=rx_id)
    return patient, rx


@require_POST
@staff_view("clinical.record")
def record(request: AuthedRequest, patient_id: int) -> HttpResponse:
    """A count of the doses the patient holds, from the programme page (a discrepancy opens a clinician task)."""
    patient = get_patient_for_user(request.user, patient_id)
    current = queries.active_programme(patient)
    form = forms.RecordForm(request.POST)

    def act(data: dict[str, Any]) -> Done:
        if current is None:
            raise ServiceError("The patient is not enrolled in the home programme.")
        rx = get_object_or_404(current.prescriptions.filter(entered_in_error=False), pk=data["prescription"])
        services.record_stock(by=request.user, prescription=rx, kind="count", doses=data["doses"], note=data["note"])
        return "Count recorded.", redirect("homecare:programme", patient_id=patient.pk)

    if done := submitted(request, form, act):
        return done
    problems = "; ".join(f"{field}: {' '.join(str(e) for e in errors)}" for field, errors in form.errors.items())
    messages.error(request, f"Nothing was recorded — {problems}")
    return redirect("homecare:programme", patient_id=patient.pk)


@require_http_methods(["GET", "POST"])
@staff_view("clinical.record")
def dispense(request: AuthedRequest, patient_id: int, rx_id: int) -> HttpResponse:
    """A fill or refill: a pharmacy's, or the clinic's drawn from the ledger in the same transaction."""
    patient, rx = _prescription(request, patient_id, rx_id)
    stock = services.clinic_stock(rx)
    form = forms.DispenseForm(request.POST or None, stock=stock, initial={"dispensed_on": clinic_date(patient)})

    def act(data: dict[str, Any]) -> Done:
        chosen = next((c for c in stock if c.pk == data["container"]), None)
        if data["container"] is not None and chosen is None:
            raise ServiceError("That container is not available.", field="container")
        row = services.dispense(
            by=request.user,
            prescription=rx,
            source=data["source"],
            dispenser=data["dispenser"],
            dispensed_on=data["dispensed_on"],
            doses=data["doses"],
            rx_number=data["rx_number"],
            container=chosen,
        )
        text = f"{row.doses} doses dispensed" + (" (posted to the ledger)." if row.ledger_entry_id else ".")
        return text, redirect("homecare:programme", patient_id=patient.pk)

    return submitted(request, form, act) or render(
        request, "homecare/dispense.html", {"patient": patient, "rx": rx, "form": form, "stock": stock}
    )


@require_http_methods(["GET", "POST"])
@staff_view("clinical.record")
def waste(request: AuthedRequest, patient_id: int, rx_id: int) -> HttpResponse:
    """Documented waste, witnessed: the witness re-authenticates in the same form (never stored)."""
    patient, rx = _prescription(request, patient_id, rx_id)
    form = forms.WasteForm(request.POST or None)

    def act(data: dict[str, Any]) -> Done:
        credentials = form.credentials()
        signature = (
            None
            if credentials is None
            else witnesses.sign(
                request=request,
                credentials=credentials,
                actor=request.user,
                location=patient.location,
                rule=services.HOME_WASTE,
            )
        )
        services.record_stock(
            by=request.user, prescription=rx, kind="waste", doses=data["doses"], note=data["note"], witness=signature
        )
        return "Documented waste recorded.", redirect("homecare:programme", patient_id=patient.pk)

    done = submitted(request, form, act, aliases={"witness": "witness_username"})
    if done:
        return done
    clear_secrets(form)
    return render(request, "homecare/waste.html", {"patient": patient, "rx": rx, "form": form})


@require_POST
@staff_view("clinical.record")
def review(request: AuthedRequest, patient_id: int, review_id: int) -> HttpResponse:
    """Close a discrepancy task with a note (required)."""
    patient = get_patient_for_user(request.user, patient_id)
    row = get_object_or_404(HomeDiscrepancyReview, pk=review_id, prescription__programme__patient=patient)
    form = forms.ReviewForm(request.POST)

    def act(data: dict[str, Any]) -> Done:
        services.review_discrepancy(by=request.user, review=row, note=data["note"])
        return "Discrepancy reviewed.", redirect("homecare:programme", patient_id=patient.pk)

    if done := submitted(request, form, act):
        return done
    messages.error(request, "Nothing was saved — " + " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("homecare:programme", patient_id=patient.pk)


@require_POST
@staff_view("clinical.record")
def entered_in_error(request: AuthedRequest, patient_id: int, kind: str, row_id: int) -> HttpResponse:
    """Withdraw a wrong check-in (and its dose) or dose: kept, marked, left out of the balance."""
    patient = get_patient_for_user(request.user, patient_id)
    row: HomeCheckIn | HomeDose
    if kind == "check-in":
        row = get_object_or_404(HomeCheckIn, pk=row_id, prescription__programme__patient=patient)
    elif kind == "dose":
        row = get_object_or_404(HomeDose, pk=row_id, prescription__programme__patient=patient)
    else:
        raise Http404("No such entry.")
    form = forms.EnteredInErrorForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing was changed — say why this entry is wrong.")
        return redirect("homecare:programme", patient_id=patient.pk)
    try:
        services.mark_entered_in_error(by=request.user, row=row, reason=form.cleaned_data["reason"])
    except ServiceError as error:
        messages.error(request, f"Nothing was changed — {error}")
    else:
        messages.success(request, "Marked entered in error; the balance leaves it out.")
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
