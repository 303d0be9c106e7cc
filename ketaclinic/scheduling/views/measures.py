"""/schedule/measures/: chair utilisation, cancellation and no-show rates per location and week, and as CSV."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.models import Location
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.csv_safe import SafeCsvWriter
from ketaclinic.domain.scheduling import UTILISATION_SOURCE
from ketaclinic.scheduling.measures import (
    CSV_HEADER,
    MAX_WEEKS,
    csv_rows,
    measures_for,
    percent,
    this_week,
    weeks_ending,
)
from ketaclinic.scheduling.queries import get_location_for_user, locations_of


def _choice(request: AuthedRequest) -> tuple[list[dt.date], Location | None, dict[str, str]]:
    """``?weeks=N`` (1–26, default 8) ending ``?week=YYYY-MM-DD``'s week (default this week), ``?location=ID``."""
    raw_weeks = request.GET.get("weeks", "")
    count = min(MAX_WEEKS, max(1, int(raw_weeks))) if raw_weeks.isdigit() and len(raw_weeks) < 4 else 8
    try:
        last = dt.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        last = this_week(request.user)
    raw_location = request.GET.get("location", "")
    location = None
    if raw_location:
        location = get_location_for_user(request.user, int(raw_location) if raw_location.isdigit() else 0)
    weeks = weeks_ending(last, count)
    chosen = {"weeks": str(count), "week": weeks[-1].isoformat(), "location": str(location.pk) if location else ""}
    return weeks, location, chosen


@require_GET
@staff_view("schedule.view")
def measures(request: AuthedRequest) -> HttpResponse:
    weeks, location, chosen = _choice(request)
    found = measures_for(request.user, weeks, location)
    audit.record(actor=request.user, action="schedule.measures_viewed", detail=chosen)
    tables = [
        {
            "location": m.location,
            "chairs": m.chairs,
            "weeks": [
                {
                    "week": w,
                    "utilisation": percent(w.utilisation),
                    "cancellation": percent(w.cancellation_rate),
                    "no_show": percent(w.no_show_rate),
                }
                for w in m.weeks
            ],
        }
        for m in found
    ]
    context = {
        "tables": tables,
        "chosen": chosen,
        "locations": locations_of(request.user),
        "source": UTILISATION_SOURCE,
    }
    return render(request, "scheduling/measures.html", context)


@require_GET
@staff_view("schedule.view")
def measures_csv(request: AuthedRequest) -> StreamingHttpResponse:
    weeks, location, chosen = _choice(request)
    rows = csv_rows(measures_for(request.user, weeks, location))
    audit.record(actor=request.user, action="schedule.measures_exported", detail={**chosen, "rows": len(rows)})
    writer = SafeCsvWriter()  # OWASP "CSV Injection": location names are clinic-entered text

    def lines() -> Iterator[str]:
        yield writer.row(CSV_HEADER)
        for row in rows:
            yield writer.row(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="schedule-measures-{chosen["week"]}.csv"'
    return response
