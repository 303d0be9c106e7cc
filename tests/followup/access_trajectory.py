"""Access matrix rows of the trajectory pages: clinicians (outcomes.view) only; another location's patient is 404
(tests/outcomes/test_trajectory_page.py)."""

from __future__ import annotations

from typing import Any

from tests.test_access_matrix import NURSE, PRESC, staff

EXPECTED: dict[str, dict[str, int]] = {
    "trajectory:patient": staff(allowed=(NURSE, PRESC)),
    "trajectory:chart_svg": staff(allowed=(NURSE, PRESC)),
}


def url_kwargs(name: str, world: dict[str, Any]) -> dict[str, Any] | None:
    if name in EXPECTED:
        return {"patient_id": world["pat"].pk}
    return None
