"""Access matrix rows of the pain plan pages: clinicians (pain.view / pain.record) only; another location's patient is
404 (tests/pain/test_pain_pages.py). The world adds a pain plan with one referral for Pat."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tests.test_access_matrix import NURSE, PRESC, everyone, staff

EXPECTED: dict[str, dict[str, int]] = {
    "pain:plan": staff(allowed=(NURSE, PRESC)),
    "pain:plan_create": staff(allowed=(NURSE, PRESC)),
    "pain:referral_create": staff(allowed=(NURSE, PRESC)),
    "pain:referral_status": everyone(405),  # POST only
    "pain:medication_entry_create": staff(allowed=(NURSE, PRESC)),
    "pain:entered_in_error": staff(allowed=(NURSE, PRESC)),
}


def make_world(world: dict[str, Any]) -> dict[str, Any]:
    from ketaclinic.pain import services

    by = world["cast"][PRESC]
    plan = services.create_plan(
        by=by, patient=world["pat"], peg_baseline=Decimal("7"), peg_target=Decimal("4.5"), function_goals="Walk 1 km"
    )
    referral = services.add_referral(
        by=by,
        plan=plan,
        kind="physical_therapy",
        provider_name="Lakeside PT",
        provider_contact="555-0100",
        sent_on=dt.date(2026, 1, 5),
    )
    return {**world, "pain_plan": plan, "pain_referral": referral}


def url_kwargs(name: str, world: dict[str, Any]) -> dict[str, Any] | None:
    if name == "pain:referral_status":
        return {"patient_id": world["pat"].pk, "referral_id": world["pain_referral"].pk}
    if name == "pain:entered_in_error":
        return {"patient_id": world["pat"].pk, "kind": "referral", "pk": world["pain_referral"].pk}
    if name in EXPECTED:
        return {"patient_id": world["pat"].pk}
    return None
