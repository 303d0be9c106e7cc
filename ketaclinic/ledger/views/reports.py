"""Reports on screen, as CSV and printable (controlled-substances.md "Reports"). Every report is audited; those
that show patients name them in the audit event."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.csv_safe import SafeCsvWriter
from ketaclinic.documents import Produced, render_pdf
from ketaclinic.ledger import forms, queries, reports
from ketaclinic.ledger.models import Inventory
from ketaclinic.patients import documents as chart_documents

NEEDS = {
    "inventory": "inventory",
    "reconciliation": "inventory",
    "form106": "theft_loss",
}


@require_GET
@staff_view("ledger.report")
def report_index(request: AuthedRequest) -> HttpResponse:
    return render(request, "ledger/reports.html", {"kinds": reports.KINDS})


def _csv(report: reports.Report) -> StreamingHttpResponse:
    writer = SafeCsvWriter()  # OWASP "CSV Injection": patient names, lots and notes are free text

    def rows() -> Iterator[str]:
        yield writer.row([report.title])
        for label, value in report.facts:
            yield writer.row([label, value])
        for note in report.notes:
            yield writer.row(["Note", note])
        for section in report.sections:
            yield writer.row([])
            yield writer.row([section.title])
            yield writer.row(section.columns)
            for row in section.rows:
                yield writer.row(row)
            if section.totals:
                yield writer.row(section.totals)

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = f"{timezone.now():%Y%m%d-%H%M}"
    response["Content-Disposition"] = f'attachment; filename="ledger-{report.kind}-{report.location.pk}-{stamp}.csv"'
    return response


def _build(kind: str, form: forms.ReportFilterForm, request: AuthedRequest) -> reports.Report | None:
    data = form.cleaned_data
    need = NEEDS.get(kind)
    if need == "inventory":
        inventory = data.get("inventory") or (
            Inventory.objects.filter(location=data["location"], status=Inventory.Status.FINALISED)
            .order_by("-taken_at")
            .first()
        )
        if inventory is None:
            return None
        return reports.inventory(inventory) if kind == "inventory" else reports.reconciliation(inventory)
    if need == "theft_loss":
        report = (
            data.get("theft_loss")
            or queries.theft_loss_visible_to(request.user)
            .filter(location=data["location"])
            .order_by("-discovered_at")
            .first()
        )
        return reports.form_106(report) if report is not None else None
    location = data["location"]
    start, end = form.period()
    period = reports.Period(start, end, ZoneInfo(location.clinic.timezone))
    if kind == "receipts":
        return reports.receipts(location, period)
    if kind == "administrations":
        return reports.administrations(location, period, data.get("patient"))
    if kind == "disposal":
        return reports.disposal(location, period)
    if kind == "balances":
        return reports.balances(location, period)
    return reports.inspection(location, period)


def _pdf(report: reports.Report, kind: str, request: AuthedRequest) -> HttpResponse:
    """The report through the one document path: the letterhead of the report's location, "Page X of Y", who
    produced it and when; no patient strip (a report concerns the location's records, not one patient)."""
    location = report.location
    body = render_to_string("ledger/report_pdf.html", {"report": report})
    content = render_pdf(
        title=f"{report.title} — {location.name}",
        body_html=body,
        letterhead=chart_documents.letterhead(location),
        patient=None,
        produced=Produced(by=request.user.display_name, at=timezone.now(), timezone=location.clinic.timezone),
        landscape=True,  # the journal has thirteen columns
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="ledger-{kind}-{timezone.localdate():%Y-%m-%d}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@staff_view("ledger.report")
def report(request: AuthedRequest, kind: str) -> HttpResponse | StreamingHttpResponse:
    if kind not in reports.KINDS:
        raise Http404("No such report.")
    params = request.GET.copy()
    home = None if params.get("location") else queries.home_location(request.user)
    if home is not None:
        params["location"] = str(home.pk)  # the signed-in user's own location, not the first alphabetically
    form = forms.ReportFilterForm(params, user=request.user)
    built: reports.Report | None = None
    if form.is_valid():
        built = _build(kind, form, request)
        if built is not None:
            built.normalise()
    output = request.GET.get("format", "html")
    detail: dict[str, Any] = {"kind": kind, "format": output, "filters": request.GET.urlencode()[:300]}
    if built is not None:
        detail["patients"] = sorted(built.patient_ids)
    audit.record(
        actor=request.user,
        action="ledger.report.export" if output in ("csv", "print", "pdf") else "ledger.report.view",
        patient_id=next(iter(built.patient_ids)) if built is not None and len(built.patient_ids) == 1 else None,
        detail=detail,
    )
    if built is not None and output == "csv":
        return _csv(built)
    if built is not None and output == "pdf":
        return _pdf(built, kind, request)
    template = "ledger/report_print.html" if output == "print" and built is not None else "ledger/report.html"
    query = request.GET.copy()
    query.pop("format", None)
    return render(
        request,
        template,
        {
            "kind": kind,
            "kind_title": reports.KINDS[kind],
            "form": form,
            "report": built,
            "query": query.urlencode(),
            "printed_at": timezone.localtime(),
            "needs": NEEDS.get(kind),
        },
    )
