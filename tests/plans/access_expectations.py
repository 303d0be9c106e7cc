"""Access matrix rows for the plans app (read by tests/test_access_matrix.py)."""

from __future__ import annotations

from typing import Any

ANON, FD, NURSE, PRESC, ADMIN = "anonymous", "front_desk", "nurse", "prescriber", "clinic_admin"
LOGIN = 302

EXPECTED: dict[str, dict[str, int]] = {
    "plans:protocol_list": {ANON: LOGIN, FD: 403, NURSE: 200, PRESC: 200, ADMIN: 200},
    "plans:protocol_detail": {ANON: LOGIN, FD: 403, NURSE: 200, PRESC: 200, ADMIN: 200},
    "plans:patient_plans": {ANON: LOGIN, FD: 403, NURSE: 200, PRESC: 200, ADMIN: 403},
    "plans:plan_create": {ANON: LOGIN, FD: 403, NURSE: 403, PRESC: 200, ADMIN: 403},
    "plans:version": {ANON: LOGIN, FD: 403, NURSE: 200, PRESC: 200, ADMIN: 403},
    "plans:plan_edit": {ANON: LOGIN, FD: 403, NURSE: 403, PRESC: 200, ADMIN: 403},
    "plans:plan_amend": {ANON: LOGIN, FD: 403, NURSE: 403, PRESC: 200, ADMIN: 403},
    "plans:version_sign": {ANON: 405, FD: 405, NURSE: 405, PRESC: 405, ADMIN: 405},
    "plans:hold_add": {ANON: 405, FD: 405, NURSE: 405, PRESC: 405, ADMIN: 405},
    "plans:hold_remove": {ANON: 405, FD: 405, NURSE: 405, PRESC: 405, ADMIN: 405},
    # Issue 8: only prescribers adjust a running plan (plans.adjust); the GET shows the evidence and the form.
    "plans:adjust": {ANON: LOGIN, FD: 403, NURSE: 403, PRESC: 200, ADMIN: 403},
}


def make_world(world: dict[str, Any]) -> dict[str, Any]:
    from decimal import Decimal

    from ketaclinic.patients import services as patients
    from ketaclinic.plans import services
    from tests.plans.conftest import iv_input, sign_eligibility

    pat, bob = world["pat"], world["cast"]["prescriber"]
    sign_eligibility(pat, bob, ["iv"])
    patients.record_measurement(by=bob, patient=pat, weight_kg=Decimal("80"), height_cm=Decimal("170"))
    signed = services.sign(by=bob, version=services.save_draft(by=bob, patient=pat, data=iv_input()))
    draft = services.save_draft(by=bob, patient=pat, data=iv_input())
    return {**world, "signed_plan": signed, "draft_plan": draft}


def url_kwargs(name: str, world: dict[str, Any]) -> dict[str, Any] | None:
    if name == "plans:protocol_detail":
        return {"protocol_id": "depression_iv"}
    if name in ("plans:patient_plans", "plans:plan_create"):
        return {"patient_id": world["pat"].pk}
    if name in ("plans:version", "plans:plan_edit", "plans:version_sign", "plans:hold_add"):
        return {"version_id": world["draft_plan"].pk}
    if name == "plans:hold_remove":
        return {"version_id": world["draft_plan"].pk, "index": 0}
    if name == "plans:plan_amend":
        return {"version_id": world["signed_plan"].pk}
    if name == "plans:adjust":
        return {"plan_id": world["signed_plan"].plan_id}
    return None
