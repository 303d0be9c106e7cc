"""Issue 8: signing a plan refreshes the patient's outcome courses, whose indication, route and protocol come from
the latest signed plan (the clinic dashboard groups by them)."""

from __future__ import annotations

from typing import Any

from ketaclinic.outcomes.models import OutcomeCourse
from ketaclinic.plans import services as plans
from tests.plans.conftest import iv_input


def test_signing_a_plan_sets_the_course_dimensions(ready: Any, bob: Any) -> None:
    course = OutcomeCourse.objects.get(patient=ready, instrument="phq9")  # the intake baseline made it
    assert (course.indication, course.route, course.protocol_id) == ("", "", "")
    version = plans.save_draft(by=bob, patient=ready, data=iv_input())
    course.refresh_from_db()
    assert course.protocol_id == ""  # a draft is not a plan yet
    plans.sign(by=bob, version=version)
    for course in OutcomeCourse.objects.filter(patient=ready):
        assert (course.indication, course.route, course.protocol_id) == (
            "treatment_resistant_depression",
            "iv",
            "depression_iv",
        ), course.instrument
