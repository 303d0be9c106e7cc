"""Good-faith estimates: what an estimate given today would say (with everything missing), giving it, the kept copy
and its PDF. Sources and the timing rule are shown on the page."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, submitted
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.billing.models import GoodFaithEstimate
from ketaclinic.billing.services import estimates as services
from ketaclinic.billing.services import invoices as invoice_services
from ketaclinic.billing.views import loading
from ketaclinic.billing.views.selfpay_forms import EstimateForm
from ketaclinic.documents import render_pdf
from ketaclinic.patients import documents as chart_documents
from ketaclinic.patients.queries import get_patient_for_user

TEXT = {
    "disclaimers": services.DISCLAIMERS,
    "dispute": services.DISPUTE_SENTENCE,
    "sources": services.SOURCES,
    "timing": services.TIMING,
}


@require_http_methods(["GET", "POST"])
@staff_view("billing.manage")
def estimate_create(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    today = invoice_services.local_date(timezone.now(), patient.location)
    form = EstimateForm(request.POST or None, initial={"given_on": today})
    on = today
    if form.is_bound and form.is_valid():
        on = form.cleaned_data["given_on"]
    draft = services.draft(patient, on)

    def act(data: dict[str, Any]) -> Done:
        codes = [code for code in data["diagnosis_codes"].split(",") if code.strip()]
        estimate = services.give_estimate(by=request.user, patient=patient, on=data["given_on"], diagnosis_codes=codes)
        return "Good-faith estimate given: print it for the patient.", redirect(
            "billing:estimate", estimate_id=estimate.pk
        )

    return submitted(request, form, act) or render(
        request,
        "billing/estimates_form.html",
        {"patient": patient, "form": form, "draft": draft, **TEXT},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@staff_view("billing.manage")
def estimate_detail(request: AuthedRequest, estimate_id: int) -> HttpResponse:
    estimate = loading.get_estimate(request.user, estimate_id)
    audit.record(actor=request.user, action="billing.estimate.view", obj=estimate, patient_id=estimate.patient_id)
    return render(request, "billing/estimates_detail.html", {"estimate": estimate, **TEXT})


def estimate_pdf_bytes(estimate: GoodFaithEstimate, *, by: Any = None, by_name: str = "") -> bytes:
    body = render_to_string("billing/estimates_pdf.html", {"estimate": estimate, **TEXT})
    return render_pdf(
        title="Good Faith Estimate",
        body_html=body,
        letterhead=chart_documents.letterhead(estimate.location),
        patient=chart_documents.identifiers(estimate.patient),
        produced=chart_documents.produced(estimate.patient, by=by, by_name=by_name),
    )


@require_GET
@staff_view("billing.manage")
def estimate_pdf(request: AuthedRequest, estimate_id: int) -> HttpResponse:
    estimate = loading.get_estimate(request.user, estimate_id)
    audit.record(actor=request.user, action="billing.estimate.pdf", obj=estimate, patient_id=estimate.patient_id)
    return loading.pdf_response(estimate_pdf_bytes(estimate, by=request.user), f"good-faith-estimate-{estimate.pk}.pdf")
