"""Builders for trajectory and plan-adjustment tests: a signed IV plan, started sessions, a PHQ-9 series.

The plan, eligibility, weights and scores go through the real services. The treatment sessions are written as the
rows the trajectory reads (started, with a dose): running each one through the chair workflow (stock, vitals, ledger)
is what tests/infusions/ covers, and 40 of them would only slow these tests down.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ketaclinic.domain import instruments

#: The series starts tomorrow: after the intake baseline that ``sign_eligibility`` records now, so the baseline here
#: (context "baseline") is the latest one and the course measures change from it.
T0 = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(hour=14, minute=0, second=0, microsecond=0)


def signed_iv_plan(patient: Any, prescriber: Any, routes: tuple[str, ...] = ("iv", "im")) -> Any:
    """A signed depression_iv plan (0.5 mg/kg × 80 kg = 40 mg, 6 sessions) for ``patient``."""
    from ketaclinic.patients import services as patients
    from ketaclinic.plans import services as plans
    from tests.plans.conftest import iv_input, sign_eligibility

    sign_eligibility(patient, prescriber, list(routes))
    patients.record_measurement(by=prescriber, patient=patient, weight_kg=Decimal("80"), height_cm=Decimal("170"))
    return plans.sign(by=prescriber, version=plans.save_draft(by=prescriber, patient=patient, data=iv_input()))


def started_session(order: Any, nurse: Any, started_at: dt.datetime, dose_mg: str | None = "40") -> Any:
    from ketaclinic.infusions.models import TreatmentSession

    version = order.plan_version
    patient = version.plan.patient
    return TreatmentSession.objects.create(
        patient=patient,
        location=patient.location,
        order=order,
        protocol_id=version.protocol_id,
        route=order.route,
        chair="Chair 1",
        status=TreatmentSession.Status.DISCHARGED,
        checked_in_at=started_at - dt.timedelta(minutes=30),
        checked_in_by=nurse,
        started_at=started_at,
        started_by=nurse,
        dose_delivered_mg=Decimal(dose_mg) if dose_mg is not None else None,
    )


def phq9(total: int) -> instruments.Score:
    """A PHQ-9 with the given total and item 9 = 0."""
    answers = [0] * 9
    left = total
    for index in range(8):
        answers[index] = min(3, left)
        left -= answers[index]
    assert left == 0
    return instruments.score("phq9", answers)


_counter = iter(range(1, 1_000_000))


def link_source(patient: Any, by: Any) -> Any:
    """A distinct saved row per score (one current measurement per source and scale)."""
    from ketaclinic.followup.models import QuestionnaireLink

    number = next(_counter)
    return QuestionnaireLink.objects.create(
        patient=patient,
        token_hash=f"{number:064d}",
        purpose="manual",
        instruments=["phq9"],
        schedule_key=f"trajectory-test:{number}",
        due_on=T0.date(),
        expires_at=T0 + dt.timedelta(days=3),
        created_by=by,
    )


def score(patient: Any, by: Any, total: int, when: dt.datetime, context: str = "home") -> Any:
    from ketaclinic.outcomes import services

    return services.record_measurement(
        by=by, patient=patient, score=phq9(total), context=context, source=link_source(patient, by), taken_at=when
    )


def iv_series(patient: Any, prescriber: Any, nurse: Any, after: list[int], *, baseline: int = 20) -> Any:
    """Baseline at T0, then for each total in ``after`` one infusion (day 1, 3, 5, …, 10:00) and the score taken
    before the next one (its pre-dose score, the next day 09:00). Returns the signed plan version."""
    version = signed_iv_plan(patient, prescriber)
    orders = list(version.orders.order_by("session_number"))
    score(patient, nurse, baseline, T0, context="baseline")
    for index, total in enumerate(after):
        day = T0.replace(hour=10) + dt.timedelta(days=1 + 2 * index)
        started_session(orders[index], nurse, day)
        score(patient, nurse, total, day + dt.timedelta(hours=23), context="pre_session")
    return version
