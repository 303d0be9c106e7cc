"""Self-pay invoices: one per signed session (the fee in effect on the session's date) or per package (paid up
front), issued with the clinic's next number; credit notes; voids. Nothing is deleted, and every write is audited in
its transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.template.loader import render_to_string
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.billing.models import CreditNote, Fee, Invoice, InvoiceCounter, InvoiceLine, Payment, Refund
from ketaclinic.billing.services import fees as fee_services
from ketaclinic.documents import render_pdf
from ketaclinic.domain.billing import invoicing
from ketaclinic.domain.billing.invoicing import MoneyError, Totals
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.patients import documents as chart_documents
from ketaclinic.patients.models import Patient

ZERO = Decimal("0.00")


def require_manager(by: User, location: Location) -> None:
    """Billing writes: clinic admins and front desk at the location."""
    if not role_can(by.role, "billing.manage") or not by.locations.filter(pk=location.pk).exists():
        raise PermissionDenied("Only clinic admins and front desk at this location record bills and payments.")


def local_date(moment: dt.datetime, location: Location) -> dt.date:
    return timezone.localtime(moment, ZoneInfo(location.clinic.timezone)).date()


def totals_for(invoice: Invoice) -> Totals:
    """The invoice's charges, credits, payments and refunds, summed by the database (exact decimals)."""
    if invoice.status == Invoice.Status.VOID:
        return Totals()

    def total(queryset: QuerySet[InvoiceLine] | QuerySet[CreditNote] | QuerySet[Payment] | QuerySet[Refund]) -> Decimal:
        return queryset.aggregate(s=Sum("amount"))["s"] or ZERO

    return invoicing.totals(
        charges=[total(invoice.lines.all())],
        credits=[total(invoice.credit_notes.all())],
        payments=[total(invoice.payments.all())],
        refunds=[total(Refund.objects.filter(payment__invoice=invoice))],
    )


def _issue(invoice: Invoice) -> Invoice:
    counter, _ = InvoiceCounter.objects.get_or_create(clinic=invoice.clinic)
    counter = InvoiceCounter.objects.select_for_update().get(pk=counter.pk)  # one number each (PostgreSQL)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    invoice.number = counter.last_number
    invoice.status = Invoice.Status.ISSUED
    invoice.issued_at = timezone.now()
    invoice.save(update_fields=["number", "status", "issued_at"])
    return invoice


def session_date(session: TreatmentSession) -> dt.date:
    return local_date(session.started_at or session.checked_in_at, session.location)


def open_package_line(patient: Patient, service: str) -> InvoiceLine | None:
    """The patient's oldest package (on an issued invoice) for ``service`` with sessions left."""
    lines = (
        InvoiceLine.objects.filter(
            invoice__patient=patient, invoice__status=Invoice.Status.ISSUED, covers=service, package_sessions__gt=0
        )
        .annotate(used=Count("covered_sessions", filter=~Q(covered_sessions__invoice__status=Invoice.Status.VOID)))
        .order_by("pk")
    )
    for line in lines:
        if line.used < line.package_sessions:
            return line
    return None


def package_use(line: InvoiceLine) -> tuple[int, int]:
    """(sessions used, sessions included) of a package line."""
    used = line.covered_sessions.exclude(invoice__status=Invoice.Status.VOID).count()
    return used, line.package_sessions


@transaction.atomic
def invoice_session(*, by: User, session: TreatmentSession) -> Invoice:
    """An issued invoice for one signed session at the fee in effect on the session's date; a session covered by the
    patient's package is invoiced at 0.00 against it. Refuses an unsigned session, a session already invoiced and a
    session whose service has no fee that day."""
    require_manager(by, session.location)
    session = (
        TreatmentSession.objects.select_for_update().select_related("location__clinic", "patient").get(pk=session.pk)
    )
    if session.status != TreatmentSession.Status.SIGNED:
        raise ServiceError("Only a signed session is invoiced: the note must be signed first. Nothing was saved.")
    if InvoiceLine.objects.filter(session=session).exclude(invoice__status=Invoice.Status.VOID).exists():
        raise ServiceError("This session is already on an invoice. Nothing was saved.")
    on = session_date(session)
    service = fee_services.protocol_key(session.protocol_id)
    package = open_package_line(session.patient, service)
    invoice = Invoice.objects.create(
        clinic=session.location.clinic, patient=session.patient, location=session.location, created_by=by
    )
    if package is not None:
        used, included = package_use(package)
        InvoiceLine.objects.create(
            invoice=invoice,
            session=session,
            covered_by=package,
            service_date=on,
            description=f"{fee_services.service_label(service)} (package session {used + 1} of {included}, "
            f"paid on invoice {package.invoice.display_number})",
            code=package.code,
            quantity=1,
            unit_price=ZERO,
            amount=ZERO,
        )
    else:
        fee = fee_services.fee_in_effect(session.location, service, on)
        if fee is None:
            raise ServiceError(
                f"No fee for {fee_services.service_label(service)} was in effect on {on:%Y-%m-%d} at "
                f"{session.location.name}: add it to the fee schedule first. Nothing was saved."
            )
        InvoiceLine.objects.create(
            invoice=invoice,
            session=session,
            fee=fee,
            service_date=on,
            description=fee.label,
            code=fee.code,
            quantity=1,
            unit_price=fee.amount,
            amount=invoicing.line_amount(1, fee.amount),
        )
    _issue(invoice)
    audit.record(
        actor=by,
        action="billing.invoice.session",
        obj=invoice,
        patient_id=session.patient_id,
        detail={"session": session.pk, "number": invoice.number, "package": package.pk if package else None},
    )
    return invoice


@transaction.atomic
def invoice_package(*, by: User, patient: Patient, fee: Fee, on: dt.date | None = None) -> Invoice:
    """An issued invoice for a package (e.g. a 6-infusion induction paid up front) at the price in the schedule in
    effect today at the patient's location."""
    location = patient.location
    require_manager(by, location)
    on = on or local_date(timezone.now(), location)
    if not fee.is_package:
        raise ServiceError("This fee is not a package. Nothing was saved.")
    current = fee_services.fee_in_effect(location, fee.service, on)
    if current is None or current.pk != fee.pk:
        raise ServiceError("This package price is not the one in effect today at this location. Nothing was saved.")
    invoice = Invoice.objects.create(clinic=location.clinic, patient=patient, location=location, created_by=by)
    InvoiceLine.objects.create(
        invoice=invoice,
        fee=fee,
        package_sessions=fee.sessions,
        covers=fee.covers,
        service_date=on,
        description=f"{fee.label} ({fee.sessions} sessions, paid in advance)",
        code=fee.code,
        quantity=1,
        unit_price=fee.amount,
        amount=invoicing.line_amount(1, fee.amount),
    )
    _issue(invoice)
    audit.record(
        actor=by,
        action="billing.invoice.package",
        obj=invoice,
        patient_id=patient.pk,
        detail={"fee": fee.pk, "number": invoice.number, "sessions": fee.sessions},
    )
    return invoice


def _locked(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_for_update().select_related("location__clinic").get(pk=invoice.pk)


@transaction.atomic
def add_credit_note(*, by: User, invoice: Invoice, amount: Decimal | str, reason: str) -> CreditNote:
    """Take back part of what an issued invoice charges; never below a zero balance."""
    require_manager(by, invoice.location)
    invoice = _locked(invoice)
    if invoice.status != Invoice.Status.ISSUED:
        raise ServiceError("Only an issued invoice takes a credit note. Nothing was saved.")
    if not reason.strip():
        raise ServiceError("Say why the credit is given. Nothing was saved.", field="reason")
    try:
        value = invoicing.money(amount, what="credit note")
        invoicing.check_credit(totals_for(invoice), value)
    except MoneyError as error:
        raise ServiceError(f"{error} Nothing was saved.", field="amount") from None
    note = CreditNote.objects.create(invoice=invoice, amount=value, reason=reason.strip(), created_by=by)
    audit.record(
        actor=by,
        action="billing.credit_note",
        obj=note,
        patient_id=invoice.patient_id,
        detail={"invoice": invoice.pk, "amount": str(note.amount)},
    )
    return note


@transaction.atomic
def void_invoice(*, by: User, invoice: Invoice, reason: str) -> Invoice:
    """Void an invoice issued in error. Only when nothing is left paid on it (refund the payments first), so money
    received is never hidden behind a void."""
    require_manager(by, invoice.location)
    invoice = _locked(invoice)
    if invoice.status == Invoice.Status.VOID:
        raise ServiceError("This invoice is already void. Nothing was changed.")
    if not reason.strip():
        raise ServiceError("Say why the invoice is void. Nothing was changed.", field="reason")
    if totals_for(invoice).paid > 0:
        raise ServiceError("Money is still paid on this invoice: refund the payments first. Nothing was changed.")
    invoice.status = Invoice.Status.VOID
    invoice.voided_at = timezone.now()
    invoice.voided_by = by
    invoice.void_reason = reason.strip()
    invoice.save(update_fields=["status", "voided_at", "voided_by", "void_reason"])
    audit.record(
        actor=by, action="billing.invoice.void", obj=invoice, patient_id=invoice.patient_id, detail={"reason": reason}
    )
    return invoice


# --- What is printed ------------------------------------------------------------------------------------------------


def invoice_context(invoice: Invoice) -> dict[str, Any]:
    """What the invoice page and PDFs show: lines, credit notes, payments (each with what is left to refund), totals."""
    payments = list(invoice.payments.prefetch_related("refunds"))
    for payment in payments:
        payment.left = payment.amount - sum(r.amount for r in payment.refunds.all())  # type: ignore[attr-defined]
    return {
        "invoice": invoice,
        "lines": invoice.lines.select_related("session"),
        "payments": payments,
        "credit_notes": invoice.credit_notes.all(),
        "totals": totals_for(invoice),
    }


def invoice_pdf(invoice: Invoice, *, by: Any = None, by_name: str = "") -> bytes:
    """The invoice (lines, credit notes, payments, balance) through the one document path."""
    body = render_to_string("billing/invoices_pdf.html", invoice_context(invoice))
    return render_pdf(
        title=f"Invoice {invoice.display_number}",
        body_html=body,
        letterhead=chart_documents.letterhead(invoice.location),
        patient=chart_documents.identifiers(invoice.patient),
        produced=chart_documents.produced(invoice.patient, by=by, by_name=by_name),
    )


def receipt_pdf(payment: Payment, *, by: Any = None, by_name: str = "") -> bytes:
    invoice = payment.invoice
    context = invoice_context(invoice)
    context["payment"] = payment
    body = render_to_string("billing/invoices_receipt_pdf.html", context)
    return render_pdf(
        title=f"Receipt for invoice {invoice.display_number}",
        body_html=body,
        letterhead=chart_documents.letterhead(invoice.location),
        patient=chart_documents.identifiers(invoice.patient),
        produced=chart_documents.produced(invoice.patient, by=by, by_name=by_name),
    )
