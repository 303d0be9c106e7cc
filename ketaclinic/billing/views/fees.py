"""Fee schedules: a location's versions (history) and a new version, started from a copy of the latest. Clinic admins
set fees (``billing.fees``); front desk reads them (``billing.manage``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, ServiceError, submitted
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.billing.models import FeeSchedule
from ketaclinic.billing.services import fees as services
from ketaclinic.billing.views import loading
from ketaclinic.billing.views.selfpay_forms import FeeScheduleForm


@require_GET
@staff_view("billing.manage")
def fee_schedules(request: AuthedRequest) -> HttpResponse:
    location = loading.chosen_location(request.user, request.GET.get("location", ""))
    schedules = FeeSchedule.objects.filter(location=location).prefetch_related("fees").order_by("-effective_from")
    return render(
        request,
        "billing/fees_list.html",
        {
            "location": location,
            "locations": request.user.locations.filter(is_active=True).order_by("name"),
            "schedules": schedules,
        },
    )


@require_GET
@staff_view("billing.manage")
def fee_schedule_detail(request: AuthedRequest, schedule_id: int) -> HttpResponse:
    schedule = get_object_or_404(FeeSchedule.objects.filter(location__in=request.user.locations.all()), pk=schedule_id)
    fees = [{"fee": fee, "label": services.service_label(fee.service)} for fee in schedule.fees.all()]
    return render(request, "billing/fees_detail.html", {"schedule": schedule, "fees": fees})


def _posted_rows(request: AuthedRequest) -> list[dict[str, Any]]:
    """The fee rows of the form: service keys and their fields; a row without an amount is not priced."""
    rows = []
    for index, service in enumerate(request.POST.getlist("service")):
        get = request.POST.getlist
        amount = (get("amount")[index] if index < len(get("amount")) else "").strip()
        if not amount:
            continue
        rows.append(
            {
                "service": service,
                "label": get("label")[index] if index < len(get("label")) else "",
                "code": get("code")[index] if index < len(get("code")) else "",
                "amount": amount,
                "sessions": (get("sessions")[index] if index < len(get("sessions")) else "1") or "1",
                "covers": get("covers")[index] if index < len(get("covers")) else "",
            }
        )
    return rows


def _starting_rows(location: Any) -> list[dict[str, Any]]:
    latest = services.latest_schedule(location)
    rows = services.fee_rows(latest)
    priced = {row["service"] for row in rows}
    rows += [
        {"service": s.key, "label": s.label, "code": s.code, "amount": "", "sessions": 1, "covers": ""}
        for s in services.catalogue()
        if s.key not in priced
    ]
    session_keys = [s for s in services.catalogue() if s.key.startswith(services.PROTOCOL_PREFIX)]
    rows += [
        {
            "service": services.package_key(s.key),
            "label": f"Package: {s.label}",
            "code": s.code,
            "amount": "",
            "sessions": 6,
            "covers": s.key,
        }
        for s in session_keys
        if services.package_key(s.key) not in priced
    ]
    return rows


@require_http_methods(["GET", "POST"])
@staff_view("billing.fees")
def fee_schedule_create(request: AuthedRequest) -> HttpResponse:
    location = loading.chosen_location(request.user, request.GET.get("location", ""))
    form = FeeScheduleForm(request.POST or None)
    rows = _posted_rows(request) if request.method == "POST" else _starting_rows(location)

    def act(data: dict[str, Any]) -> Done:
        if location is None:
            raise ServiceError("You work at no location.")
        try:
            schedule = services.create_schedule(by=request.user, location=location, fees=rows, **data)
        except ValueError as error:  # a sessions count that is not a number
            raise ValidationError(f"Sessions must be a whole number ({error}). Nothing was saved.") from None
        text = f"Version {schedule.version} saved: it takes effect on {schedule.effective_from:%Y-%m-%d}."
        return text, redirect("billing:fee_schedule", schedule_id=schedule.pk)

    answer = submitted(request, form, act)
    if answer is not None:
        return answer
    return render(
        request,
        "billing/fees_form.html",
        {
            "form": form,
            "rows": rows or _starting_rows(location),
            "location": location,
            "latest": services.latest_schedule(location) if location else None,
        },
        status=400 if request.method == "POST" else 200,
    )
