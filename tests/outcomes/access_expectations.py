"""Access matrix rows of the outcomes app (safety alerts): clinicians see every alert at their locations, clinic admins
the escalated ones (the world's alert is escalated to dave), front desk none."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.test_access_matrix import ADMIN, NURSE, PRESC, staff

EXPECTED: dict[str, dict[str, int]] = {
    "outcomes:alert_list": staff(allowed=(NURSE, PRESC, ADMIN)),
    "outcomes:alert_detail": staff(allowed=(NURSE, PRESC, ADMIN)),
}


def make_world(world: dict[str, Any]) -> dict[str, Any]:
    from ketaclinic.outcomes import services

    pat = world["pat"]
    alert = services.raise_alert(
        by=world["cast"]["nurse"],
        patient=pat,
        kind="suicidality",
        severity="low",
        instrument="cssrs_screener",
        score_total=1,
        score_band="low",
        source=pat,
        message="C-SSRS screener at intake: low risk.",
        recommended_action="Behavioural-health referral and crisis resources.",
    )
    from django.conf import settings

    from ketaclinic.outcomes.services.alerts import escalate_overdue_alerts

    overdue = alert.created_at + dt.timedelta(minutes=settings.KETACLINIC_ALERT_ESCALATION_MINUTES + 1)
    escalate_overdue_alerts(now=overdue)
    return {**world, "alert": alert}


def url_kwargs(name: str, world: dict[str, Any]) -> dict[str, Any] | None:
    if name == "outcomes:alert_detail":
        return {"alert_id": world["alert"].pk}
    return None
