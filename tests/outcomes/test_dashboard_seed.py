"""``ketaclinic seed`` with outcomes at a small scale: the counts, and course flags equal to ``refresh_course``'s."""

from __future__ import annotations

from typing import Any

import pytest

from ketaclinic.audit.models import AuditEvent
from ketaclinic.demo import seed, seed_outcomes
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.outcomes.models import Measurement, OutcomeCourse
from ketaclinic.outcomes.services import measurements as services
from ketaclinic.patients.models import Patient
from ketaclinic.plans.models import PlanVersion, SessionOrder, TreatmentPlan

pytestmark = pytest.mark.django_db

COMPARED = [
    "location_id",
    "indication",
    "route",
    "protocol_id",
    "baseline_total",
    "baseline_at",
    "latest_total",
    "latest_at",
    "measurements",
    "follow_ups",
    "sessions_given",
    "reduction_pct",
    "response",
    "partial_response",
    "remission",
    "ever_response",
    "relapse",
    "pain_moderate_improvement",
    "pain_substantial_improvement",
]


@pytest.fixture
def seeded(db: Any) -> str:
    return seed.run(patients=20, seed=5)


def test_twenty_patients_get_plans_sessions_and_a_hundred_scores_each(seeded: str) -> None:
    assert Patient.objects.count() == 20
    assert TreatmentPlan.objects.count() == 20
    assert PlanVersion.objects.filter(status="signed", signed_at__isnull=False).count() == 20
    sessions = TreatmentSession.objects.count()
    assert sessions == SessionOrder.objects.count() == 20 * seed_outcomes.SESSIONS_PER_PATIENT
    assert TreatmentSession.objects.exclude(status="signed").count() == 0
    assert Measurement.objects.count() == 20 * 100
    assert set(Measurement.objects.values_list("context", flat=True)) == {"baseline", "pre_session", "home"}
    assert OutcomeCourse.objects.count() == 40  # two scales per patient
    assert f"{sessions} sessions" in seeded and "2000 measurements" in seeded
    load = AuditEvent.objects.filter(action="seed.bulk_load")
    assert load.count() == 1 and load.get().detail["measurements"] == 2000


def test_seeded_courses_equal_what_refresh_course_computes(seeded: str) -> None:
    stored = {(row.patient_id, row.instrument): row for row in OutcomeCourse.objects.all()}
    assert any(row.response for row in stored.values()) and any(not row.response for row in stored.values())
    for (patient_id, instrument), row in stored.items():
        expected = {name: getattr(row, name) for name in COMPARED}
        recomputed = services.refresh_course(Patient.objects.get(pk=patient_id), instrument)
        got = {name: getattr(recomputed, name) for name in COMPARED}
        assert got == expected, (patient_id, instrument)


def test_scores_are_valid_and_count_the_sessions_before_them(seeded: str) -> None:
    from ketaclinic.domain import instruments

    for row in Measurement.objects.order_by("?")[:50]:
        score = instruments.score(row.instrument, row.answers)
        assert score.total == row.total and sorted(score.flags) == row.flags
        assert row.sessions_given == services.sessions_started_before(row.patient_id, row.taken_at)


def test_seed_without_outcomes_keeps_the_patients_only(db: Any) -> None:
    seed.run(patients=3, seed=6, outcomes=False)
    assert Patient.objects.count() == 3 and TreatmentSession.objects.count() == 0 and Measurement.objects.count() == 0
