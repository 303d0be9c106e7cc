"""The outcome series and the course summary: baseline, latest, clinical-rules.md §5 categories, relapse, withdrawal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from ketaclinic.audit.models import AuditEvent
from ketaclinic.domain import instruments
from ketaclinic.outcomes import services
from ketaclinic.outcomes.models import Measurement, OutcomeCourse

T0 = dt.datetime(2026, 10, 1, 14, 0, tzinfo=dt.UTC)


def phq9(total: int) -> instruments.Score:
    """A PHQ-9 with the given total and item 9 = 0 (filled item by item from the top)."""
    answers = [0] * 9
    left = total
    for index in range(8):
        answers[index] = min(3, left)
        left -= answers[index]
    assert left == 0
    return instruments.score("phq9", answers)


def record(patient: Any, by: Any, total: int, day: int, context: str = "home", source: Any = None) -> Measurement:
    return services.record_measurement(
        by=by,
        patient=patient,
        score=phq9(total),
        context=context,
        source=source or _source(by),
        taken_at=T0 + dt.timedelta(days=day),
    )


_counter = iter(range(1, 10_000))


def _source(by: Any) -> Any:
    """A distinct saved row per measurement (a questionnaire link): one current score per source and scale."""
    from ketaclinic.followup.models import QuestionnaireLink

    number = next(_counter)
    return QuestionnaireLink.objects.create(
        patient_id=by.primary_patients.first().pk if by.primary_patients.exists() else _any_patient(),
        token_hash=f"{number:064d}",
        purpose="manual",
        instruments=["phq9"],
        schedule_key=f"test:{number}",
        due_on=T0.date(),
        expires_at=T0 + dt.timedelta(days=3),
        created_by=by,
    )


def _any_patient() -> int:
    from ketaclinic.patients.models import Patient

    return int(Patient.objects.values_list("pk", flat=True).first())


def test_baseline_then_response_then_remission(pat: Any, bob: Any) -> None:
    record(pat, bob, 20, 0, context="baseline")
    course = OutcomeCourse.objects.get(patient=pat, instrument="phq9")
    assert (course.baseline_total, course.latest_total, course.follow_ups, course.evaluable) == (20, None, 0, False)
    record(pat, bob, 12, 7)
    course.refresh_from_db()
    # (20 − 12) / 20 = 40 %: partial response (25–49 %), no response, no remission (PHQ-9 < 5).
    assert (course.reduction_pct, course.partial_response, course.response, course.remission) == (
        40.0,
        True,
        False,
        False,
    )
    record(pat, bob, 4, 14)
    course.refresh_from_db()
    assert (course.reduction_pct, course.response, course.remission, course.ever_response) == (80.0, True, True, True)
    assert course.measurements == 3 and course.follow_ups == 2 and course.evaluable
    assert AuditEvent.objects.filter(action="measurement.record", patient_id=pat.pk).count() == 3


def test_relapse_after_response_is_flagged(pat: Any, bob: Any) -> None:
    record(pat, bob, 20, 0, context="baseline")
    record(pat, bob, 8, 7)  # 60 %: response
    record(pat, bob, 11, 21)  # 45 %: back above half the baseline → relapse (clinical-rules.md §5)
    course = OutcomeCourse.objects.get(patient=pat, instrument="phq9")
    assert (course.ever_response, course.response, course.relapse) == (True, False, True)


def test_without_an_intake_score_the_first_score_is_the_baseline(pat: Any, bob: Any) -> None:
    record(pat, bob, 18, 0, context="pre_session")
    record(pat, bob, 9, 5)
    course = OutcomeCourse.objects.get(patient=pat, instrument="phq9")
    assert (course.baseline_total, course.latest_total, course.response) == (18, 9, True)


def test_a_later_intake_score_replaces_the_baseline(pat: Any, bob: Any) -> None:
    record(pat, bob, 10, 0, context="baseline")
    record(pat, bob, 20, 1, context="baseline")
    record(pat, bob, 10, 8)
    course = OutcomeCourse.objects.get(patient=pat, instrument="phq9")
    assert (course.baseline_total, course.follow_ups, course.response) == (20, 1, True)


def test_withdrawing_a_score_recomputes_the_course(pat: Any, bob: Any) -> None:
    record(pat, bob, 20, 0, context="baseline")
    wrong_source = _source(bob)
    record(pat, bob, 2, 7, source=wrong_source)
    assert OutcomeCourse.objects.get(patient=pat).remission is True
    assert services.withdraw_measurements_of(by=bob, source=wrong_source, reason="Another patient's form") == 1
    course = OutcomeCourse.objects.get(patient=pat)
    assert (course.latest_total, course.remission, course.measurements) == (None, None, 1)
    withdrawn = Measurement.objects.get(source_id=wrong_source.pk, source_type="followup.questionnairelink")
    assert withdrawn.entered_in_error and withdrawn.entered_in_error_reason == "Another patient's form"
    assert services.withdraw_measurements_of(by=bob, source=wrong_source, reason="again") == 0


def test_a_source_holds_one_current_score_per_scale(pat: Any, bob: Any) -> None:
    from django.db import IntegrityError

    source = _source(bob)
    record(pat, bob, 10, 0, source=source)
    with pytest.raises(IntegrityError):
        record(pat, bob, 11, 1, source=source)


def test_pain_scale_reports_immpact_improvement_and_no_remission(pat: Any, bob: Any) -> None:
    for day, rating in ((0, 8), (7, 5)):
        services.record_measurement(
            by=bob,
            patient=pat,
            score=instruments.score("pain_nrs", [rating]),
            context="baseline" if day == 0 else "home",
            source=_source(bob),
            taken_at=T0 + dt.timedelta(days=day),
        )
    course = OutcomeCourse.objects.get(patient=pat, instrument="pain_nrs")
    # (8 − 5) / 8 = 37.5 %: ≥ 30 % moderate, < 50 % substantial (IMMPACT); remission undefined for pain.
    assert (course.pain_moderate_improvement, course.pain_substantial_improvement, course.remission) == (
        True,
        False,
        None,
    )


def test_scales_without_change_rules_have_no_course(pat: Any, bob: Any) -> None:
    services.record_measurement(
        by=bob,
        patient=pat,
        score=instruments.score("cssrs_screener", [False, False, None, None, None, False, None]),
        context="home",
        source=_source(bob),
    )
    assert Measurement.objects.filter(instrument="cssrs_screener").count() == 1
    assert not OutcomeCourse.objects.exists()
    with pytest.raises(ValueError):
        services.refresh_course(pat, "cssrs_screener")


def test_unknown_context_is_refused(pat: Any, bob: Any) -> None:
    with pytest.raises(ValueError):
        record(pat, bob, 5, 0, context="telepathy")
    assert not Measurement.objects.exists()


def test_refresh_for_patient_takes_the_dimensions_of_the_latest_signed_plan(pat: Any, bob: Any) -> None:
    record(pat, bob, 20, 0, context="baseline")
    assert OutcomeCourse.objects.get(patient=pat).route == ""
    assert services.refresh_courses_for_patient(pat) == 1
    assert timezone.now() >= OutcomeCourse.objects.get(patient=pat).updated_at
