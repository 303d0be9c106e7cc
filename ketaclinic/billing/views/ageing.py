"""Accounts-receivable ageing: open balances of issued invoices per location in the 0-30, 31-60, 61-90 and over-90
day buckets by issue date; the page and a CSV (cells neutralised: OWASP "CSV Injection")."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.billing.models import Invoice
from ketaclinic.billing.services import invoices as invoice_services
from ketaclinic.billing.views import loading
from ketaclinic.csv_safe import SafeCsvWriter
from ketaclinic.domain.billing import invoicing

HEADER = ["invoice", "patient", "mrn", "issued", "days", "bucket", "balance"]


def ageing_rows(user: User, location: Location | None) -> tuple[list[dict[str, Any]], invoicing.Ageing]:
    today = invoice_services.local_date(timezone.now(), location) if location else None
    rows: list[dict[str, Any]] = []
    invoices = loading.invoices_for(user).filter(location=location, status=Invoice.Status.ISSUED).order_by("issued_at")
    for invoice in invoices:
        balance = invoice_services.totals_for(invoice).balance
        if balance <= Decimal("0") or invoice.issued_at is None or today is None:
            continue
        issued = invoice_services.local_date(invoice.issued_at, invoice.location)
        rows.append(
            {
                "invoice": invoice,
                "issued": issued,
                "days": (today - issued).days,
                "bucket": invoicing.age_bucket(issued, today),
                "balance": balance,
            }
        )
    summary = (
        invoicing.ageing([(row["issued"], row["balance"]) for row in rows], today) if today else invoicing.Ageing()
    )
    return rows, summary


@require_GET
@staff_view("billing.manage")
def ageing(request: AuthedRequest) -> HttpResponse:
    location = loading.chosen_location(request.user, request.GET.get("location", ""))
    rows, summary = ageing_rows(request.user, location)
    return render(
        request,
        "billing/ageing_report.html",
        {
            "location": location,
            "locations": request.user.locations.filter(is_active=True).order_by("name"),
            "rows": rows,
            "summary": summary,
            "buckets": invoicing.BUCKETS,
        },
    )


@require_GET
@staff_view("billing.manage")
def ageing_csv(request: AuthedRequest) -> StreamingHttpResponse:
    location = loading.chosen_location(request.user, request.GET.get("location", ""))
    rows, _ = ageing_rows(request.user, location)
    audit.record(
        actor=request.user,
        action="billing.ageing.export",
        detail={"location": location.pk if location else None, "rows": len(rows)},
    )
    writer = SafeCsvWriter()

    def lines() -> Iterator[str]:
        yield writer.row(HEADER)
        for row in rows:
            invoice = row["invoice"]
            yield writer.row(
                [
                    invoice.display_number,
                    invoice.patient.full_name,
                    invoice.patient.mrn,
                    f"{row['issued']:%Y-%m-%d}",
                    row["days"],
                    row["bucket"],
                    row["balance"],
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ar-ageing.csv"'
    return response
