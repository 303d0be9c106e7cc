"""Access matrix rows of the questionnaire pages: the public fill page (any visitor, with a real link) and the staff
page of a patient's links (clinical roles)."""

from __future__ import annotations

from typing import Any

from tests.test_access_matrix import CLINICAL, everyone, staff

EXPECTED: dict[str, dict[str, int]] = {
    "questionnaire:fill": everyone(200),
    "questionnaire:thanks": everyone(200),
    "questionnaires:patient_links": staff(allowed=CLINICAL),
    "questionnaires:revoke": everyone(405),  # POST only
}


def make_world(world: dict[str, Any]) -> dict[str, Any]:
    from tests.followup.questionnaire_factories import send_link

    _, token = send_link(world["pat"], key="access-matrix")
    return {**world, "questionnaire_token": token}


def url_kwargs(name: str, world: dict[str, Any]) -> dict[str, Any] | None:
    if name == "questionnaire:fill":
        return {"token": world["questionnaire_token"]}
    if name.startswith("questionnaires:"):
        return {"patient_id": world["pat"].pk}
    return None
