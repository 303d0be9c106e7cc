"""The clinic outcomes dashboard page and its CSV export (aggregates only: no patient is named). Both are audited."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.csv_safe import SafeCsvWriter
from ketaclinic.domain import benchmarks as literature
from ketaclinic.domain import instruments
from ketaclinic.followup.queries import dashboard


def _filters(request: AuthedRequest) -> tuple[dashboard.Filters | None, dashboard.FilterError | None]:
    location_ids = dashboard.visible_locations(request.user).values_list("pk", flat=True)
    try:
        return dashboard.parse_filters(request.GET, location_ids=location_ids), None
    except dashboard.FilterError as error:
        return None, error


@require_GET
@staff_view("dashboard.view")
def index(request: AuthedRequest) -> HttpResponse:
    filters, error = _filters(request)
    summary = dashboard.summarise(request.user, filters) if filters is not None else None
    audit.record(
        actor=request.user,
        action="dashboard.view",
        outcome="success" if error is None else "failure",
        detail=filters.as_dict() if filters is not None else {"error": str(error)},
    )
    context = {
        "summary": summary,
        "error": error,
        "scales": [(scale, instruments.get(scale).name) for scale in dashboard.SCALES],
        "locations": list(dashboard.visible_locations(request.user).order_by("name").values_list("pk", "name")),
        "query": request.GET,
        "group_tables": [(key, heading, summary.groups[key]) for key, heading in dashboard.DIMENSIONS]
        if summary is not None
        else [],
        "depression_benchmarks": literature.for_measure("depression"),
        "pain_benchmarks": literature.for_measure("pain"),
        "target": literature.REALISTIC_TARGET,
    }
    return render(request, "followup/dashboard/index.html", context, status=200 if error is None else 400)


@require_GET
@staff_view("dashboard.view")
def export_csv(request: AuthedRequest) -> HttpResponse | StreamingHttpResponse:
    filters, error = _filters(request)
    if filters is None:
        audit.record(actor=request.user, action="dashboard.export", outcome="failure", detail={"error": str(error)})
        return HttpResponse(f"{error}\n", status=400, content_type="text/plain; charset=utf-8")
    rows = dashboard.csv_rows(dashboard.summarise(request.user, filters))
    audit.record(actor=request.user, action="dashboard.export", detail={**filters.as_dict(), "rows": len(rows)})
    writer = SafeCsvWriter()  # OWASP "CSV Injection": group labels come from clinic data

    def lines() -> Iterator[str]:
        for row in rows:
            yield writer.row(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = f"{timezone.now():%Y%m%d-%H%M}"
    response["Content-Disposition"] = f'attachment; filename="outcomes-{filters.scale}-{stamp}.csv"'
    return response
