"""Self-pay invoices: the location's invoices with balances, a patient's billing page, one invoice with its payments,
credit notes and void, and the invoice and receipt PDFs (CONTRACTS.md §8: ``GET /billing/invoices/{id}.pdf``).

Thin: load through ``loading`` (another location's patient or invoice is 404), validate, call one service. Clinical
staff (``billing.view``) see what is billed for their patients, never the payments."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, ServiceError, submitted
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.billing.models import GoodFaithEstimate, Invoice, InvoiceLine, Payment
from ketaclinic.billing.services import estimates as estimate_services
from ketaclinic.billing.services import invoices as services
from ketaclinic.billing.services import payments as payment_services
from ketaclinic.billing.views import loading
from ketaclinic.billing.views.selfpay_forms import CreditNoteForm, PackageForm, PaymentForm, RefundForm, VoidForm
from ketaclinic.domain.billing.invoicing import looks_like_card_number
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.patients.queries import get_patient_for_user, patients_visible_to


@require_GET
@staff_view("billing.manage")
def home(request: AuthedRequest) -> HttpResponse:
    location = loading.chosen_location(request.user, request.GET.get("location", ""))
    invoices = loading.invoices_for(request.user).filter(location=location).exclude(status=Invoice.Status.DRAFT)
    rows = loading.with_balances(invoices[:200])
    return render(
        request,
        "billing/invoices_home.html",
        {
            "location": location,
            "locations": request.user.locations.filter(is_active=True).order_by("name"),
            "rows": rows,
            "open_total": loading.total_balance(rows),
        },
    )


@require_GET
@staff_view("billing.view")
def patient_billing(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    manager = role_can(request.user.role, "billing.manage")
    invoices = loading.invoices_for(request.user).filter(patient=patient).exclude(status=Invoice.Status.DRAFT)
    context: dict[str, Any] = {"patient": patient, "manager": manager}
    if manager:
        context["rows"] = loading.with_balances(invoices)
        context["open_total"] = loading.total_balance(context["rows"])
        context["estimates"] = GoodFaithEstimate.objects.filter(patient=patient)
        context["payments"] = Payment.objects.filter(invoice__patient=patient).select_related("invoice")
        today = services.local_date(timezone.now(), patient.location)
        packages = estimate_services.package_fees_in_effect(patient, today)
        context["package_form"] = PackageForm(packages=packages) if packages else None
        invoiced = InvoiceLine.objects.filter(session__patient=patient).exclude(invoice__status=Invoice.Status.VOID)
        context["to_invoice"] = (
            TreatmentSession.objects.filter(patient=patient, status=TreatmentSession.Status.SIGNED)
            .exclude(pk__in=invoiced.values("session_id"))
            .order_by("started_at")
        )
    else:
        context["lines"] = (
            InvoiceLine.objects.filter(invoice__in=invoices)
            .exclude(invoice__status=Invoice.Status.VOID)
            .select_related("invoice")
            .order_by("service_date", "pk")
        )
    audit.record(actor=request.user, action="billing.patient.view", obj=patient, patient_id=patient.pk)
    return render(request, "billing/invoices_patient.html", context)


@require_POST
@staff_view("billing.manage")
def invoice_session(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(
        TreatmentSession.objects.filter(patient__in=patients_visible_to(request.user)),
        pk=session_id,
    )
    try:
        invoice = services.invoice_session(by=request.user, session=session)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("billing:patient", patient_id=session.patient_id)
    return redirect("billing:invoice", invoice_id=invoice.pk)


@require_POST
@staff_view("billing.manage")
def invoice_package(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    today = services.local_date(timezone.now(), patient.location)
    packages = estimate_services.package_fees_in_effect(patient, today)
    form = PackageForm(request.POST, packages=packages)

    def act(data: dict[str, Any]) -> Done:
        fee = next(f for f in packages if f.pk == data["fee"])
        invoice = services.invoice_package(by=request.user, patient=patient, fee=fee, on=today)
        return f"Invoice {invoice.display_number} issued for the package.", redirect(
            "billing:invoice", invoice_id=invoice.pk
        )

    return submitted(request, form, act) or _patient_with_errors(request, patient_id, form)


def _patient_with_errors(request: AuthedRequest, patient_id: int, form: Any) -> HttpResponse:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect("billing:patient", patient_id=patient_id)


@require_GET
@staff_view("billing.manage")
def invoice_detail(request: AuthedRequest, invoice_id: int) -> HttpResponse:
    invoice = loading.get_invoice(request.user, invoice_id)
    audit.record(actor=request.user, action="billing.invoice.view", obj=invoice, patient_id=invoice.patient_id)
    context = services.invoice_context(invoice)
    context.update(
        payment_form=PaymentForm(), credit_form=CreditNoteForm(), void_form=VoidForm(), refund_form=RefundForm()
    )
    return render(request, "billing/invoices_detail.html", context)


def _invoice_write(request: AuthedRequest, invoice: Invoice, form: Any, act: Any, which: str) -> HttpResponse:
    answer = submitted(request, form, act)
    if answer is not None:
        return answer
    context = services.invoice_context(invoice)
    forms = {
        "payment_form": PaymentForm(),
        "credit_form": CreditNoteForm(),
        "void_form": VoidForm(),
        "refund_form": RefundForm(),
    }
    if which == "refund_form":  # one refund form per payment: the refusal goes above the payments
        context["refund_errors"] = [error for errors in form.errors.values() for error in errors]
    else:
        forms[which] = form
    if which == "payment_form" and looks_like_card_number(str(form.data.get("reference", ""))):
        form.data = form.data.copy()
        form.data["reference"] = ""  # a card number is never echoed back into the page
    context.update(forms)
    return render(request, "billing/invoices_detail.html", context, status=400)


@require_POST
@staff_view("billing.manage")
def payment_create(request: AuthedRequest, invoice_id: int) -> HttpResponse:
    invoice = loading.get_invoice(request.user, invoice_id)
    form = PaymentForm(request.POST)

    def act(data: dict[str, Any]) -> Done:
        payment = payment_services.record_payment(by=request.user, invoice=invoice, **data)
        return f"Payment of ${payment.amount} recorded.", redirect("billing:invoice", invoice_id=invoice.pk)

    return _invoice_write(request, invoice, form, act, "payment_form")


@require_POST
@staff_view("billing.manage")
def credit_create(request: AuthedRequest, invoice_id: int) -> HttpResponse:
    invoice = loading.get_invoice(request.user, invoice_id)
    form = CreditNoteForm(request.POST)

    def act(data: dict[str, Any]) -> Done:
        note = services.add_credit_note(by=request.user, invoice=invoice, **data)
        return f"Credit note of ${note.amount} added.", redirect("billing:invoice", invoice_id=invoice.pk)

    return _invoice_write(request, invoice, form, act, "credit_form")


@require_POST
@staff_view("billing.manage")
def invoice_void(request: AuthedRequest, invoice_id: int) -> HttpResponse:
    invoice = loading.get_invoice(request.user, invoice_id)
    form = VoidForm(request.POST)

    def act(data: dict[str, Any]) -> Done:
        services.void_invoice(by=request.user, invoice=invoice, **data)
        return "The invoice is void.", redirect("billing:invoice", invoice_id=invoice.pk)

    return _invoice_write(request, invoice, form, act, "void_form")


@require_POST
@staff_view("billing.manage")
def refund_create(request: AuthedRequest, payment_id: int) -> HttpResponse:
    payment = loading.get_payment(request.user, payment_id)
    form = RefundForm(request.POST)

    def act(data: dict[str, Any]) -> Done:
        refund = payment_services.refund_payment(by=request.user, payment=payment, **data)
        return f"Refund of ${refund.amount} recorded.", redirect("billing:invoice", invoice_id=payment.invoice_id)

    return _invoice_write(request, payment.invoice, form, act, "refund_form")


@require_GET
@staff_view("billing.manage")
def invoice_pdf(request: AuthedRequest, invoice_id: int) -> HttpResponse:
    invoice = loading.get_invoice(request.user, invoice_id)
    audit.record(actor=request.user, action="billing.invoice.pdf", obj=invoice, patient_id=invoice.patient_id)
    return loading.pdf_response(services.invoice_pdf(invoice, by=request.user), f"invoice-{invoice.display_number}.pdf")


@require_GET
@staff_view("billing.manage")
def receipt_pdf(request: AuthedRequest, payment_id: int) -> HttpResponse:
    payment = loading.get_payment(request.user, payment_id)
    audit.record(actor=request.user, action="billing.receipt.pdf", obj=payment, patient_id=payment.invoice.patient_id)
    return loading.pdf_response(services.receipt_pdf(payment, by=request.user), f"receipt-{payment.pk}.pdf")
