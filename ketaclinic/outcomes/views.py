"""Safety alerts: the list at the user's locations and one alert with its acknowledgement. Every view is audited.

Clinicians (``alerts.view``) see every alert and acknowledge them. Clinic admins (``alerts.escalated``) see, read-only,
the alerts escalated because nobody acknowledged them in time; acknowledging stays a clinical action.
"""

from __future__ import annotations

import re
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ketaclinic.accounts.access import View, staff_view
from ketaclinic.accounts.errors import Done, submitted
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.outcomes import hooks, services
from ketaclinic.outcomes.forms import AcknowledgeForm
from ketaclinic.outcomes.queries import (
    ALERT_CAPABILITIES,
    alerts_visible_to,
    can_see_alerts,
    get_alert_for_user,
    open_alerts_for,
    sees_escalated_only,
    with_escalation_delay,
)


def _tel(number: str) -> str:
    """A ``tel:`` target: the digits and a leading + of a number typed with spaces, dashes or brackets (RFC 3966)."""
    return re.sub(r"[^0-9+]", "", number)


SHOW = {"mine": "Open, for me", "open": "All open", "all": "All, including acknowledged"}
SHOW_ESCALATED = {"mine": "Escalated to me, still open", "open": "Escalated, still open", "all": "All escalated"}


def alerts_view(view: View) -> View:
    """``staff_view`` for either alert capability: clinicians, and clinic admins for escalated alerts (else 403)."""

    @staff_view()
    @wraps(view)
    def wrapper(request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponse | StreamingHttpResponse:
        if not can_see_alerts(request.user):
            audit.record(
                actor=request.user,
                action="access.denied",
                outcome="denied",
                detail={"capability": " or ".join(ALERT_CAPABILITIES), "path": request.path},
            )
            raise PermissionDenied("Your role does not allow this (alerts.view).")
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@alerts_view
def alert_list(request: AuthedRequest) -> HttpResponse:
    escalated_only = sees_escalated_only(request.user)
    choices = SHOW_ESCALATED if escalated_only else SHOW
    show = request.GET.get("show", "mine")
    if show not in choices:
        show = "mine"
    alerts = {
        "mine": open_alerts_for(request.user),
        "open": alerts_visible_to(request.user).filter(acknowledged_at__isnull=True),
        "all": alerts_visible_to(request.user),
    }[show]
    page = Paginator(alerts.order_by("-created_at", "-pk"), 25).get_page(request.GET.get("page"))
    page.object_list = with_escalation_delay(page.object_list)
    audit.record(
        actor=request.user,
        action="alert.list",
        detail={"show": show, "results": page.paginator.count, "escalated_only": escalated_only},
    )
    context = {"page": page, "show": show, "choices": choices, "escalated_only": escalated_only}
    return render(request, "outcomes/list.html", context)


@require_http_methods(["GET", "POST"])
@alerts_view
def alert_detail(request: AuthedRequest, alert_id: int) -> HttpResponse:
    alert = with_escalation_delay([get_alert_for_user(request.user, alert_id)])[0]
    can_acknowledge = alert.is_open and role_can(request.user.role, "alerts.acknowledge")
    form = AcknowledgeForm(request.POST or None) if can_acknowledge else None

    def act(data: dict[str, Any]) -> Done:
        services.acknowledge_alert(by=request.user, alert=alert, follow_up_note=data["follow_up_note"])
        text = "Alert acknowledged; your follow-up note is on record."
        return text, redirect("outcomes:alert_detail", alert_id=alert.pk)

    if form is not None and (done := submitted(request, form, act)):
        return done
    # 409: already acknowledged, or a role that may not (clinic admins read escalations): nothing to do
    status = 409 if request.method == "POST" and form is None else 200
    audit.record(actor=request.user, action="alert.view", obj=alert, patient_id=alert.patient_id)
    place = hooks.cssrs_place(alert.patient_id) if alert.is_open else None
    patient = alert.patient
    context = {
        "alert": alert,
        "form": form,
        # "Record C-SSRS now" (issue 15): where the screener is recorded for this patient, for a role that may record it
        "phone_href": _tel(patient.phone),
        "emergency_href": _tel(patient.emergency_contact_phone),
        "cssrs": place if place is not None and role_can(request.user.role, place.capability) else None,
        "escalated_only": sees_escalated_only(request.user),
        "escalated_to": list(alert.escalated_to.all()),
    }
    return render(request, "outcomes/detail.html", context, status=status)
