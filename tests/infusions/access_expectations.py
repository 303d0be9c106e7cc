"""Access matrix rows for the sessions app (read by tests/test_access_matrix.py).

The world adds Pat's IV session at check-in with every hard stop met (the ledger's own world stocks Main later, so this
one does not start it). Sessions are clinical: front desk and clinic admins get 403 before any lookup. POST-only views
answer 405 to a GET. Pages that need a started session answer a clinician 404 (end of the infusion, the note, the
REMS form of a non-esketamine session) or send them back to the session (discharge, 302); tests/infusions/
test_views.py opens each of them on a session in the right state.
"""

from __future__ import annotations

from typing import Any

ANON, FD, NURSE, PRESC, ADMIN = "anonymous", "front_desk", "nurse", "prescriber", "clinic_admin"
LOGIN = 302


def clinical(status: int = 200) -> dict[str, int]:
    return {ANON: LOGIN, FD: 403, NURSE: status, PRESC: status, ADMIN: 403}


POST_ONLY = dict.fromkeys((ANON, FD, NURSE, PRESC, ADMIN), 405)

EXPECTED: dict[str, dict[str, int]] = {
    "infusions:today": clinical(),
    "infusions:board": clinical(),
    "infusions:board_rows": clinical(),
    "infusions:rems_tracker": clinical(),
    "infusions:check_in": POST_ONLY,
    "infusions:check_in_appointment": POST_ONLY,
    "infusions:patient_sessions": clinical(),
    "infusions:session": clinical(),
    "infusions:status": clinical(),
    "infusions:checkin_update": POST_ONLY,
    "infusions:scale": clinical(),
    "infusions:risk_acknowledge": POST_ONLY,
    "infusions:allergy_override": POST_ONLY,
    "infusions:cancel": clinical(),
    "infusions:start": clinical(),
    "infusions:vitals_create": POST_ONLY,
    "infusions:alert_ack": POST_ONLY,
    "infusions:rate_change": POST_ONLY,
    "infusions:end_infusion": clinical(404),
    "infusions:correct_draw": clinical(404),
    "infusions:side_effect_create": clinical(),
    "infusions:side_effect_resolve": POST_ONLY,
    "infusions:rescue_create": clinical(),
    "infusions:entered_in_error": clinical(),
    "infusions:discharge": clinical(302),
    "infusions:sign": POST_ONLY,
    "infusions:note": clinical(404),
    "infusions:note_pdf": clinical(404),
    "infusions:rems_pdf": clinical(404),
    "infusions:rems": clinical(404),
}


def make_world(world: dict[str, Any]) -> dict[str, Any]:
    from django.utils import timezone

    from ketaclinic.patients import services as patients
    from tests.infusions.conftest import check_in, complete_check_in

    pat, nurse = world["pat"], world["cast"]["nurse"]
    order = world["signed_plan"].orders.order_by("session_number").first()
    patients.record_consent(
        by=nurse, patient=pat, kind="treatment", version="2026", signed_at=timezone.now(), signed_by_name="Pat"
    )
    session = complete_check_in(check_in(order, nurse), nurse)
    return {**world, "session": session, "reading": session.readings.first()}


def url_kwargs(name: str, world: dict[str, Any]) -> dict[str, Any] | None:
    if not name.startswith("infusions:"):
        return None
    session = world["session"]
    kwargs: dict[str, dict[str, Any]] = {
        "infusions:check_in": {"order_id": session.order_id},
        "infusions:check_in_appointment": {"appointment_id": 1},
        "infusions:patient_sessions": {"patient_id": session.patient_id},
        "infusions:scale": {"session_id": session.pk, "instrument": "phq9"},
        "infusions:alert_ack": {"session_id": session.pk, "alert_id": 1},
        "infusions:side_effect_resolve": {"session_id": session.pk, "side_effect_id": 1},
        "infusions:entered_in_error": {"session_id": session.pk, "kind": "reading", "row_id": world["reading"].pk},
    }
    if name in kwargs:
        return kwargs[name]
    if name in ("infusions:today", "infusions:board", "infusions:board_rows", "infusions:rems_tracker"):
        return {}
    return {"session_id": session.pk}
