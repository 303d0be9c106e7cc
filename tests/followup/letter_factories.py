"""A patient whose IV series is signed and scored, for the progress letter tests (issue 20)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.conftest import make_patient
from tests.followup.trajectory_factories import iv_series


def treated_patient(location: Any, prescriber: Any, nurse: Any, after: tuple[int, ...] = (16, 12, 9, 6, 5, 4)) -> Any:
    """Six IV infusions (PHQ-9 20 → 4), every session note signed, one side effect (nausea, mild) in session 2."""
    from ketaclinic.infusions.models import SideEffect, TreatmentSession

    patient = make_patient(location, given_name="Lena", family_name="Ortiz", date_of_birth=dt.date(1979, 8, 14))
    iv_series(patient, prescriber, nurse, list(after))
    sessions = list(TreatmentSession.objects.filter(patient=patient).order_by("started_at"))
    for session in sessions:
        assert session.started_at is not None
        TreatmentSession.objects.filter(pk=session.pk).update(
            status=TreatmentSession.Status.SIGNED,
            note_text="Infusion given as ordered.",
            note_signed_by=nurse,
            note_signed_at=session.started_at + dt.timedelta(hours=2),
        )
    SideEffect.objects.create(
        session=sessions[1],
        effect=SideEffect.Effect.NAUSEA,
        severity=SideEffect.Severity.MILD,
        adverse_event=False,
        action_taken="ondansetron 4 mg",
        outcome=SideEffect.Outcome.RESOLVED,
        started_at=sessions[1].started_at + dt.timedelta(minutes=20),
        recorded_by=nurse,
    )
    return patient
