"""The audit viewer for clinic admins: filter by user, patient, action and date; export CSV (security.md H6).

It lives in ``web`` (the top of the house) because it reads users and patients, which sit above the audit log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.audit.models import AuditEvent
from ketaclinic.csv_safe import SafeCsvWriter
from ketaclinic.patients.models import Patient
from ketaclinic.web.forms import AuditFilterForm


def _filtered(request: AuthedRequest) -> tuple[AuditFilterForm, QuerySet[AuditEvent]]:
    form = AuditFilterForm(request.GET or None, admin=request.user)
    # An admin sees the events of their own clinic's users, plus anonymous events (failed logins, lockouts).
    events = AuditEvent.objects.filter(actor__clinic=request.user.clinic) | AuditEvent.objects.filter(
        actor__isnull=True
    )
    events = events.select_related("actor").order_by("-seq")
    if form.is_valid():
        data = form.cleaned_data
        if data["user"]:
            events = events.filter(actor=data["user"])
        if data["mrn"]:
            patient_ids = Patient.objects.filter(mrn__iexact=data["mrn"].strip()).values_list("pk", flat=True)
            events = events.filter(patient_id__in=list(patient_ids))
        if data["action"]:
            events = events.filter(action__startswith=data["action"].strip())
        tz = timezone.get_current_timezone()
        if data["date_from"]:
            events = events.filter(occurred_at__gte=dt.datetime.combine(data["date_from"], dt.time.min, tz))
        if data["date_to"]:
            events = events.filter(
                occurred_at__lt=dt.datetime.combine(data["date_to"] + dt.timedelta(days=1), dt.time.min, tz)
            )
    elif form.is_bound:
        events = events.none()
    return form, events


@require_GET
@staff_view("audit.view")
def audit_list(request: AuthedRequest) -> HttpResponse:
    form, events = _filtered(request)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    audit.record(actor=request.user, action="audit.view", detail={"filters": request.GET.urlencode()[:300]})
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/audit_log.html", {"form": form, "page": page, "query": query.urlencode()})


@require_GET
@staff_view("audit.view")
def audit_export(request: AuthedRequest) -> StreamingHttpResponse:
    _, events = _filtered(request)
    audit.record(
        actor=request.user,
        action="audit.export",
        detail={"filters": request.GET.urlencode()[:300], "rows": events.count()},
    )
    writer = SafeCsvWriter()  # OWASP "CSV Injection": usernames and user agents are attacker-controlled
    header = [
        "seq",
        "occurred_at_utc",
        "user",
        "action",
        "object_type",
        "object_id",
        "patient_id",
        "ip_address",
        "user_agent",
        "outcome",
        "detail",
        "entry_hash",
    ]

    def rows() -> Iterator[str]:
        yield writer.row(header)
        for event in events.iterator(chunk_size=2000):
            yield writer.row(
                [
                    event.seq,
                    event.occurred_at.astimezone(dt.UTC).isoformat(),
                    event.actor_username,
                    event.action,
                    event.object_type,
                    event.object_id,
                    event.patient_id or "",
                    event.ip_address or "",
                    event.user_agent,
                    event.outcome,
                    event.detail,
                    event.entry_hash,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.now():%Y%m%d-%H%M}.csv"'
    return response
