"""Safety alerts: the list at the user's locations and one alert with its acknowledgement. Every view is audited."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.outcomes import services
from ketaclinic.outcomes.forms import AcknowledgeForm
from ketaclinic.outcomes.queries import alerts_visible_to, get_alert_for_user, open_alerts_for
from ketaclinic.patients.views import apply_errors

SHOW = {"mine": "Open, for me", "open": "All open", "all": "All, including acknowledged"}


@require_GET
@staff_view("alerts.view")
def alert_list(request: AuthedRequest) -> HttpResponse:
    show = request.GET.get("show", "mine")
    if show not in SHOW:
        show = "mine"
    alerts = {
        "mine": open_alerts_for(request.user),
        "open": alerts_visible_to(request.user).filter(acknowledged_at__isnull=True),
        "all": alerts_visible_to(request.user),
    }[show]
    page = Paginator(alerts.order_by("-created_at", "-pk"), 25).get_page(request.GET.get("page"))
    audit.record(actor=request.user, action="alert.list", detail={"show": show, "results": page.paginator.count})
    return render(request, "outcomes/list.html", {"page": page, "show": show, "choices": SHOW})


@require_http_methods(["GET", "POST"])
@staff_view("alerts.view")
def alert_detail(request: AuthedRequest, alert_id: int) -> HttpResponse:
    alert = get_alert_for_user(request.user, alert_id)
    can_acknowledge = alert.is_open and role_can(request.user.role, "alerts.acknowledge")
    form = AcknowledgeForm(request.POST or None) if can_acknowledge else None
    status = 200
    if request.method == "POST" and form is None:
        status = 409  # already acknowledged, or a role that may not: nothing to do
    elif request.method == "POST" and form is not None and form.is_valid():
        try:
            services.acknowledge_alert(by=request.user, alert=alert, follow_up_note=form.cleaned_data["follow_up_note"])
        except (ValidationError, ServiceError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Alert acknowledged; your follow-up note is on record.")
            return redirect("outcomes:alert_detail", alert_id=alert.pk)
    audit.record(actor=request.user, action="alert.view", obj=alert, patient_id=alert.patient_id)
    return render(request, "outcomes/detail.html", {"alert": alert, "form": form}, status=status)
