"""How the self-pay pages load what they show: always through the patients the user may see (another location's
patient, invoice, payment or estimate is 404), and the location chosen among the user's own."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse

from ketaclinic.accounts.models import Location, User
from ketaclinic.billing.models import GoodFaithEstimate, Invoice, Payment
from ketaclinic.billing.services import invoices as invoice_services
from ketaclinic.patients.queries import patients_visible_to


def invoices_for(user: User) -> QuerySet[Invoice]:
    return Invoice.objects.filter(patient__in=patients_visible_to(user)).select_related("patient", "location__clinic")


def get_invoice(user: User, invoice_id: int) -> Invoice:
    invoice = invoices_for(user).filter(pk=invoice_id).first()
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


def get_payment(user: User, payment_id: int) -> Payment:
    payment = (
        Payment.objects.filter(invoice__in=invoices_for(user), pk=payment_id)
        .select_related("invoice__patient", "invoice__location__clinic")
        .first()
    )
    if payment is None:
        raise Http404("No such payment.")
    return payment


def get_estimate(user: User, estimate_id: int) -> GoodFaithEstimate:
    estimate = (
        GoodFaithEstimate.objects.filter(patient__in=patients_visible_to(user), pk=estimate_id)
        .select_related("patient", "location__clinic")
        .first()
    )
    if estimate is None:
        raise Http404("No such estimate.")
    return estimate


def chosen_location(user: User, raw: str) -> Location | None:
    locations = user.locations.filter(is_active=True).order_by("name")
    if raw.isdigit():
        chosen = locations.filter(pk=int(raw)).first()
        if chosen is None:
            raise Http404("No such location.")
        return chosen
    return locations.first()


def with_balances(invoices: Any) -> list[dict[str, Any]]:
    """Each invoice with its totals (charges, credits, paid, balance)."""
    return [{"invoice": invoice, "totals": invoice_services.totals_for(invoice)} for invoice in invoices]


def total_balance(rows: list[dict[str, Any]]) -> Decimal:
    return sum((row["totals"].balance for row in rows), Decimal("0.00"))


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
