"""The patient's home dose on the portal (a phone): the pre-dose check-in → cleared or not, with the reasons in plain
words → "start my dose" (only when cleared) and the session timer → the post-dose check.

Everything is loaded through the signed-in patient's id: another patient's check-in is a 404 and nothing is written.
The release rule and its sources are in ``domain.homecare``; the thresholds are the clinic's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ketaclinic.accounts.errors import Done, ServiceError, submitted
from ketaclinic.homecare import queries as home
from ketaclinic.homecare import services as homecare
from ketaclinic.homecare.forms import CheckInForm, PostDoseForm
from ketaclinic.homecare.models import HomeCheckIn, HomeDose
from ketaclinic.patients.models import Patient
from ketaclinic.portal import services
from ketaclinic.portal.access import patient_view
from ketaclinic.portal.views.signin import page

#: The session timer: "Starting a 60-minute timer when treatment begins" (Mindbloom, Peer Treatment Monitor duties —
#: programme practice, not a standard).
SESSION_MINUTES = 60
SYMPTOM_FIELDS = ("monitor_not_sober", "alcohol_today", "sedatives_today", "suicidal_thoughts")


@never_cache
@require_http_methods(["GET", "POST"])
@patient_view
def check_in(request: HttpRequest, patient: Patient) -> HttpResponse:
    programme = home.active_programme(patient)
    prescription = home.current_prescription(programme) if programme else None
    form = CheckInForm(request.POST or None)

    def act(data: dict[str, Any]) -> Done:
        if prescription is None:
            raise ServiceError("You have no take-home prescription: contact the clinic.")
        row, _ = homecare.check_in(
            by=None,
            prescription=prescription,
            systolic_mmhg=data["systolic_mmhg"],
            diastolic_mmhg=data["diastolic_mmhg"],
            heart_rate_per_min=data["heart_rate_per_min"],
            monitor_present=data["monitor_present"] == "yes",
            symptoms=[name for name in SYMPTOM_FIELDS if data[name] == "yes"],
        )
        return redirect("portal:home_dose", check_in_id=row.pk)

    if done := submitted(request, form, act):
        return done
    if request.method == "GET":
        services.record_view(patient_id=patient.pk, page="home dose check-in")
    context = {
        "patient": patient,
        "programme": programme,
        "prescription": prescription,
        "form": form,
        "section": "home_dose",
    }
    return page(request, "home_check_in.html", context, status=422 if request.method == "POST" else 200)


@never_cache
@require_http_methods(["GET", "POST"])
@patient_view
def dose(request: HttpRequest, patient: Patient, check_in_id: int) -> HttpResponse:
    row = get_object_or_404(
        HomeCheckIn.objects.select_related("prescription"),
        pk=check_in_id,
        prescription__programme__patient_id=patient.pk,
        entered_in_error=False,
    )
    taken = HomeDose.objects.filter(check_in=row).first()
    post_form = PostDoseForm(request.POST if request.method == "POST" and taken else None)
    error = ""
    if request.method == "POST":
        try:
            if taken is None and request.POST.get("action") == "start":
                homecare.take_dose(by=None, check_in=row)
                return redirect("portal:home_dose", check_in_id=row.pk)
            if taken is not None and post_form.is_valid():
                homecare.post_dose_check(
                    by=None,
                    dose=taken,
                    sedation_resolved=post_form.cleaned_data["sedation_resolved"] == "yes",
                    side_effects=post_form.cleaned_data["side_effects"],
                )
                return redirect("portal:home_dose", check_in_id=row.pk)
        except ServiceError as refused:
            error = refused.message
    else:
        services.record_view(patient_id=patient.pk, page="home dose", obj=row)
    context = {
        "patient": patient,
        "check_in": row,
        "dose": taken,
        "ends_at": taken.taken_at + dt.timedelta(minutes=SESSION_MINUTES) if taken else None,
        "minutes": SESSION_MINUTES,
        "post_form": post_form,
        "error": error,
        "section": "home_dose",
    }
    return page(request, "home_dose.html", context, status=422 if request.method == "POST" else 200)
