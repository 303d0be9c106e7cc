"""The demo clinic has an outcome history, and its course summaries are what the clinical-rules.md §5 rules compute."""

from __future__ import annotations

from typing import Any

import pytest

from ketaclinic.outcomes.models import Measurement, OutcomeCourse
from ketaclinic.outcomes.services import measurements

pytestmark = pytest.mark.django_db


def test_the_demo_history_is_what_the_rules_compute(client: Any) -> None:
    from ketaclinic.audit.models import AuditEvent
    from ketaclinic.demo.outcomes import PATIENTS_WITH_HISTORY

    event = AuditEvent.objects.get(action="demo.outcome_history")
    assert event.detail["patients"] == PATIENTS_WITH_HISTORY
    evaluable = OutcomeCourse.objects.filter(baseline_total__isnull=False, follow_ups__gt=0)
    assert evaluable.filter(instrument="phq9").count() >= 20
    assert not evaluable.filter(route="").exists()  # every evaluable course has the dimensions of a signed plan
    for course in OutcomeCourse.objects.select_related("patient").order_by("pk")[:25]:
        stored = (course.baseline_total, course.latest_total, course.response, course.remission, course.relapse)
        again = measurements.refresh_course(course.patient, course.instrument)
        assert stored == (again.baseline_total, again.latest_total, again.response, again.remission, again.relapse)
    assert Measurement.objects.filter(context="home").exists()
