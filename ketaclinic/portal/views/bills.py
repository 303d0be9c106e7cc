"""The patient's bills in the portal: their self-pay invoices with what was charged, paid and is still owed, and the
invoice and receipt PDFs. Every read is filtered by the signed-in patient: another patient's invoice or payment is a
404 and writes nothing; every page and download is audited."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ketaclinic.audit import services as audit
from ketaclinic.billing.models import Invoice, Payment
from ketaclinic.billing.services import invoices as billing
from ketaclinic.patients.models import Patient
from ketaclinic.portal import services
from ketaclinic.portal.access import patient_view
from ketaclinic.portal.views.signin import page

SECTION = "bills"
BY = "the patient, on the portal"


def _invoices(patient: Patient) -> list[Invoice]:
    return list(
        Invoice.objects.filter(patient_id=patient.pk, status=Invoice.Status.ISSUED)
        .select_related("location__clinic", "patient")
        .order_by("-issued_at")
    )


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


@never_cache
@require_GET
@patient_view
def bills(request: HttpRequest, patient: Patient) -> HttpResponse:
    rows = [billing.invoice_context(invoice) for invoice in _invoices(patient)]
    services.record_view(patient_id=patient.pk, page="bills")
    owed = sum((row["totals"].balance for row in rows), billing.ZERO)
    return page(request, "bills.html", {"patient": patient, "rows": rows, "owed": owed, "section": SECTION})


@never_cache
@require_GET
@patient_view
def bill_pdf(request: HttpRequest, patient: Patient, invoice_id: int) -> HttpResponse:
    invoice = next((i for i in _invoices(patient) if i.pk == invoice_id), None)
    if invoice is None:
        raise Http404("No such bill.")
    audit.record(actor=None, action="portal.invoice_pdf", obj=invoice, patient_id=patient.pk)
    return _pdf(billing.invoice_pdf(invoice, by_name=BY), f"invoice-{invoice.display_number}.pdf")


@never_cache
@require_GET
@patient_view
def receipt_pdf(request: HttpRequest, patient: Patient, payment_id: int) -> HttpResponse:
    payment = (
        Payment.objects.filter(pk=payment_id, invoice__patient_id=patient.pk)
        .select_related("invoice__location__clinic", "invoice__patient")
        .first()
    )
    if payment is None:
        raise Http404("No such receipt.")
    audit.record(actor=None, action="portal.receipt_pdf", obj=payment, patient_id=patient.pk)
    return _pdf(billing.receipt_pdf(payment, by_name=BY), f"receipt-{payment.pk}.pdf")
