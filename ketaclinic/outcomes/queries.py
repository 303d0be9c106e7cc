"""Access-scoped reads of safety alerts: only clinical roles, only patients at the user's locations (else 404)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.outcomes.models import SafetyAlert
from ketaclinic.patients.queries import patients_visible_to


def alerts_visible_to(user: User) -> QuerySet[SafetyAlert]:
    if not role_can(getattr(user, "role", ""), "alerts.view"):
        return SafetyAlert.objects.none()
    return SafetyAlert.objects.filter(patient__in=patients_visible_to(user)).select_related(
        "patient", "assigned_to", "acknowledged_by"
    )


def open_alerts_for(user: User) -> QuerySet[SafetyAlert]:
    """What the dashboard shows until acknowledged: open alerts addressed to this user, and open alerts at the user's
    locations that could not be addressed to anyone in particular."""
    return alerts_visible_to(user).filter(
        Q(assigned_to=user) | Q(assigned_to__isnull=True), acknowledged_at__isnull=True
    )


def get_alert_for_user(user: User, alert_id: int) -> SafetyAlert:
    alert = alerts_visible_to(user).filter(pk=alert_id).first()
    if alert is None:
        raise Http404("No such alert.")
    return alert
