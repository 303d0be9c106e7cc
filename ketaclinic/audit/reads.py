"""Auditing the patients a list screen shows (issue 13, defect 9b): the staff dashboard and the floor board.

knowledge/security.md H4 asks for "every patient-data read" (45 CFR 164.312(b)); ARCHITECTURE.md: "Every read or
write of patient data is audited". A screen that lists several patients records one event *per patient*, with the
``patient_id`` column set, so the audit viewer's filter by patient (H6) finds it.

Volume: the floor board polls every 15 s, and the dashboard is the page every sign-in lands on. Recording every
patient on every poll would write thousands of identical rows a day per screen and bury the events that matter. So a
patient is recorded when they *appear* on that screen in the signed-in session: the first time, and again after they
had left it (the set last recorded per screen is kept in the session). While a patient stays on an open board,
nothing new is recorded: that is a continuation of the view already audited, and it is bounded by the idle timeout
(board polls are not activity: ketaclinic.accounts.middleware). Callers still record one summary event per full page
load.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from ketaclinic.audit import services

SESSION_KEY = "kc_audited_shown"


def record_patients_shown(
    request: HttpRequest, *, action: str, patient_ids: Iterable[int | None], detail: Mapping[str, Any] | None = None
) -> list[int]:
    """Record ``action`` for each patient in ``patient_ids`` not already on this screen (``action``) in this session.

    Returns the ids recorded. All events are written in one transaction (ARCHITECTURE.md: audited, atomic)."""
    shown = sorted({pid for pid in patient_ids if pid is not None})
    session = getattr(request, "session", None)
    remembered: dict[str, list[int]] = dict(session.get(SESSION_KEY, {})) if session is not None else {}
    before = set(remembered.get(action, []))
    new = [pid for pid in shown if pid not in before]
    if new:
        with transaction.atomic():
            for pid in new:
                services.record(actor=request.user, action=action, patient_id=pid, detail=dict(detail or {}))
    if session is not None and remembered.get(action) != shown:
        remembered[action] = shown
        session[SESSION_KEY] = remembered
    return new
