"""/billing/reconciliation/: the Spravato reconciliation report for a location and a date range, on screen and as CSV.

The range is ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (the clinic's calendar; the last 30 days when not given, at most
366 days); ``?location=ID`` among the user's locations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.models import Location
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.billing.services import reconciliation as service
from ketaclinic.billing.services.authorisations import today_at
from ketaclinic.csv_safe import SafeCsvWriter
from ketaclinic.scheduling.queries import locations_of
from ketaclinic.scheduling.views.common import chosen_location

CSV_HEADER = (
    "session",
    "date",
    "patient",
    "documented dose (mg)",
    "REMS form dose (mg)",
    "REMS submitted on",
    "ledger devices",
    "claim lines",
    "mismatch",
    "what disagrees",
)

KIND_LABELS = {
    "rems_dose": "REMS form dose",
    "ledger_devices": "ledger devices",
    "g_code": "G-code for the dose",
    "drug_units": "drug units",
    "rems_late": "REMS form late",
    "unbilled_devices": "devices not billed",
}
"""Plain names for the kinds of mismatch (the CSV's "mismatch" column)."""


def _range(request: AuthedRequest, location: Location) -> tuple[dt.date, dt.date, str]:
    """The dates asked for, or the last 30 days; a message when what was asked could not be used."""
    today = today_at(location)
    first, last, problem = today - dt.timedelta(days=30), today, ""
    raw_first, raw_last = request.GET.get("from", ""), request.GET.get("to", "")
    if raw_first or raw_last:
        try:
            asked_first = dt.date.fromisoformat(raw_first) if raw_first else first
            asked_last = dt.date.fromisoformat(raw_last) if raw_last else last
        except ValueError:
            return first, last, "Dates are YYYY-MM-DD; showing the last 30 days."
        if asked_last < asked_first:
            return first, last, "The last day is before the first; showing the last 30 days."
        if (asked_last - asked_first).days > service.MAX_DAYS:
            return first, last, f"At most {service.MAX_DAYS} days at once; showing the last 30 days."
        first, last = asked_first, asked_last
    return first, last, problem


@require_GET
@staff_view("billing.view")
def report(request: AuthedRequest) -> HttpResponse:
    location = chosen_location(request)
    first, last, problem = _range(request, location)
    rows = service.report(location, first, last)
    audit.record(
        actor=request.user,
        action="billing.reconciliation_viewed",
        obj=location,
        detail={"from": first.isoformat(), "to": last.isoformat(), "sessions": [r.session.pk for r in rows]},
    )
    context = {
        "location": location,
        "locations": locations_of(request.user),
        "first": first,
        "last": last,
        "problem": problem,
        "rows": rows,
        "with_mismatch": sum(1 for r in rows if r.mismatches),
        "can_open_sessions": role_can(request.user.role, "sessions.view"),
    }
    return render(request, "billing/reconciliation.html", context)


@require_GET
@staff_view("billing.view")
def report_csv(request: AuthedRequest) -> StreamingHttpResponse:
    location = chosen_location(request)
    first, last, _ = _range(request, location)
    rows = service.report(location, first, last)
    audit.record(
        actor=request.user,
        action="billing.reconciliation_exported",
        obj=location,
        detail={"from": first.isoformat(), "to": last.isoformat(), "sessions": [r.session.pk for r in rows]},
    )
    writer = SafeCsvWriter()  # OWASP "CSV Injection": patient names are free text

    def lines() -> Iterator[str]:
        yield writer.row(CSV_HEADER)
        for row in rows:
            f = row.facts
            base = [
                row.session.pk,
                f.service_date.isoformat(),
                row.session.patient.full_name,
                f.documented_dose_mg,
                f.rems_form_dose_mg,
                f.rems_submitted_on.isoformat() if f.rems_submitted_on else "",
                f.ledger_devices,
                row.claim_text,
            ]
            for mismatch in row.mismatches or ():
                yield writer.row([*base, KIND_LABELS.get(mismatch.kind, mismatch.kind), mismatch.message])
            if not row.mismatches:
                yield writer.row([*base, "", "All agree."])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = f"spravato-reconciliation-{first.isoformat()}-{last.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
