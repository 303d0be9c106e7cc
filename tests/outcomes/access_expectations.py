"""Access matrix rows of the outcomes app (safety alerts)."""

from __future__ import annotations

from typing import Any

from tests.test_access_matrix import CLINICAL, staff

EXPECTED: dict[str, dict[str, int]] = {
    "outcomes:alert_list": staff(allowed=CLINICAL),
    "outcomes:alert_detail": staff(allowed=CLINICAL),
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
    return {**world, "alert": alert}


def url_kwargs(name: str, world: dict[str, Any]) -> dict[str, Any] | None:
    if name == "outcomes:alert_detail":
        return {"alert_id": world["alert"].pk}
    return None
