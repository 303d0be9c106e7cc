"""/billing/payers/: clinic admins add and edit payers, with the VERIFY rules confirmed per payer; front desk and
admins record a patient's coverage. Every write goes through an audited service."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, submitted
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.billing.claim_forms import CoverageEndForm, CoverageForm, PayerForm
from ketaclinic.billing.models import Coverage, Payer
from ketaclinic.billing.services import payers as services
from ketaclinic.patients.queries import get_patient_for_user


@require_http_methods(["GET", "POST"])
@staff_view("billing.setup")
def payer_list(request: AuthedRequest) -> HttpResponse:
    form = PayerForm(request.POST or None)

    def act(data: dict[str, Any]) -> Done:
        payer = services.save_payer(by=request.user, **data)
        return f"Added {payer.name}.", redirect("billing:payers")

    response = submitted(request, form, act)
    if response is not None:
        return response
    payers = Payer.objects.filter(clinic_id=request.user.clinic_id or 0)
    context = {"payers": payers, "form": form, "rules": services.VERIFY_RULES}
    return render(request, "billing/payers.html", context, status=422 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@staff_view("billing.setup")
def payer_edit(request: AuthedRequest, payer_id: int) -> HttpResponse:
    payer = get_object_or_404(Payer, pk=payer_id, clinic_id=request.user.clinic_id or 0)
    form = PayerForm(request.POST or None, instance=payer)

    def act(data: dict[str, Any]) -> Done:
        # The ModelForm wrote into its instance while validating: the service reads the stored row.
        saved = services.save_payer(by=request.user, payer=Payer.objects.get(pk=payer_id), **data)
        return f"Saved {saved.name}.", redirect("billing:payers")

    response = submitted(request, form, act)
    if response is not None:
        return response
    context = {"payer": payer, "form": form, "rules": services.VERIFY_RULES}
    return render(request, "billing/payer_edit.html", context, status=422 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@staff_view("billing.manage")
def coverage(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    payers = Payer.objects.filter(clinic_id=request.user.clinic_id or 0, is_active=True)
    form = CoverageForm(request.POST or None, payers=payers)

    def act(data: dict[str, Any]) -> Done:
        services.add_coverage(by=request.user, patient=patient, **data)
        return "Coverage added.", redirect("billing:coverage", patient_id=patient.pk)

    response = submitted(request, form, act)
    if response is not None:
        return response
    return _coverage_page(request, patient, form, None, None)


def _coverage_page(
    request: AuthedRequest, patient: Any, form: CoverageForm, ending: Coverage | None, end_form: CoverageEndForm | None
) -> HttpResponse:
    context = {
        "patient": patient,
        "coverages": Coverage.objects.filter(patient=patient).select_related("payer"),
        "form": form,
        "ending": ending,
        "end_form": end_form,
    }
    return render(request, "billing/coverage.html", context, status=422 if request.method == "POST" else 200)


@require_POST
@staff_view("billing.manage")
def coverage_end(request: AuthedRequest, coverage_id: int) -> HttpResponse:
    """End a coverage on a date with the reason (never deleted); a refusal shows the page again with the message."""
    coverage = get_object_or_404(Coverage.objects.select_related("patient", "payer"), pk=coverage_id)
    patient = get_patient_for_user(request.user, coverage.patient_id)
    form = CoverageEndForm(request.POST)

    def act(data: dict[str, Any]) -> Done:
        ended = services.end_coverage(by=request.user, coverage=coverage, **data)
        text = f"Coverage by {coverage.payer.name} ends on {ended.effective_to:%Y-%m-%d}."
        return text, redirect("billing:coverage", patient_id=patient.pk)

    response = submitted(request, form, act)
    if response is not None:
        return response
    payers = Payer.objects.filter(clinic_id=request.user.clinic_id or 0, is_active=True)
    return _coverage_page(request, patient, CoverageForm(payers=payers), coverage, form)
