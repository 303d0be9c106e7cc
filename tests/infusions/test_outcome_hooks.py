"""Issue 8: an outcome scale scored at check-in joins the patient's outcome series as a pre-session score (with the
score's own time); marking that score entered in error withdraws the copy and the course follows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from ketaclinic.infusions import services
from ketaclinic.outcomes.models import Measurement, OutcomeCourse
from tests.infusions.conftest import CSSRS_LOW, PHQ9_MILD, check_in

pytestmark = pytest.mark.django_db


def test_a_pre_dose_phq9_is_a_pre_session_measurement(alice: Any, iv_order: Any) -> None:
    session = check_in(iv_order, alice)
    taken = timezone.now() - dt.timedelta(minutes=20)
    score = services.record_score(
        by=alice, session=session, version=None, instrument="phq9", answers=PHQ9_MILD, taken_at=taken
    )
    services.record_score(by=alice, session=session, version=None, instrument="cssrs_screener", answers=CSSRS_LOW)
    row = Measurement.objects.get(source_type="infusions.sessionscore")  # the C-SSRS is not an outcome scale
    assert (row.source_id, row.context, row.instrument, row.total) == (score.pk, "pre_session", "phq9", 8.0)
    assert row.taken_at == score.taken_at == taken and row.patient_id == session.patient_id
    assert row.recorded_by == alice


def test_a_score_entered_in_error_withdraws_its_measurement(alice: Any, iv_order: Any) -> None:
    session = check_in(iv_order, alice)
    score = services.record_score(by=alice, session=session, version=None, instrument="phq9", answers=PHQ9_MILD)
    patient = session.patient
    course = OutcomeCourse.objects.get(patient=patient, instrument="phq9")
    before = course.measurements
    services.mark_entered_in_error(by=alice, session=session, version=None, row=score, reason="Wrong patient")
    row = Measurement.objects.get(source_type="infusions.sessionscore", source_id=score.pk)
    assert row.entered_in_error and row.entered_in_error_reason == "Wrong patient" and row.entered_in_error_by == alice
    course.refresh_from_db()
    assert course.measurements == before - 1
