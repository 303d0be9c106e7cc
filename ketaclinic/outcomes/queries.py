"""Access-scoped reads of safety alerts, only for patients at the user's locations (else 404).

Clinical roles (``alerts.view``) see every alert there. Clinic admins (``alerts.escalated``) see only the alerts that
were escalated because no clinician acknowledged them in time: read-only, so that somebody makes sure a clinician acts.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.http import Http404

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.outcomes.models import SafetyAlert
from ketaclinic.patients.queries import patients_visible_to

ALERT_CAPABILITIES = ("alerts.view", "alerts.escalated")


def can_see_alerts(user: User) -> bool:
    role = getattr(user, "role", "")
    return any(role_can(role, capability) for capability in ALERT_CAPABILITIES)


def sees_escalated_only(user: User) -> bool:
    """A clinic admin: escalated alerts only, never acknowledging."""
    role = getattr(user, "role", "")
    return not role_can(role, "alerts.view") and role_can(role, "alerts.escalated")


def alerts_visible_to(user: User) -> QuerySet[SafetyAlert]:
    role = getattr(user, "role", "")
    if role_can(role, "alerts.view"):
        alerts = SafetyAlert.objects.all()
    elif role_can(role, "alerts.escalated"):
        alerts = SafetyAlert.objects.filter(escalated_at__isnull=False)
    else:
        return SafetyAlert.objects.none()
    return (
        alerts.filter(patient__in=patients_visible_to(user))
        .select_related("patient", "assigned_to", "acknowledged_by", "raised_by")
        .prefetch_related("escalated_to")
    )


def open_alerts_for(user: User) -> QuerySet[SafetyAlert]:
    """What the dashboard shows until acknowledged. For a clinician: open alerts addressed to them, and open alerts at
    their locations that could not be addressed to anyone in particular. For a clinic admin: open alerts escalated to
    them."""
    alerts = alerts_visible_to(user).filter(acknowledged_at__isnull=True)
    if sees_escalated_only(user):
        return alerts.filter(pk__in=SafetyAlert.objects.filter(escalated_to=user).values("pk"))
    return alerts.filter(Q(assigned_to=user) | Q(assigned_to__isnull=True))


def get_alert_for_user(user: User, alert_id: int) -> SafetyAlert:
    alert = alerts_visible_to(user).filter(pk=alert_id).first()
    if alert is None:
        raise Http404("No such alert.")
    return alert


def escalation_delay_min(alert: SafetyAlert) -> int | None:
    """Whole minutes between raising and escalating the alert (None when it was not escalated)."""
    if alert.escalated_at is None:
        return None
    return int((alert.escalated_at - alert.created_at).total_seconds() // 60)


def with_escalation_delay(alerts: Iterable[SafetyAlert]) -> list[SafetyAlert]:
    """The alerts, each with ``escalated_after_min`` set for templates."""
    rows = list(alerts)
    for alert in rows:
        alert.escalated_after_min = escalation_delay_min(alert)  # type: ignore[attr-defined]
    return rows
