"""Issue 8: every outcome scale scored at intake is the baseline of the patient's outcome series (Measurement); a
scale re-entered at the same intake withdraws the earlier copy, so the course baseline follows the current answer."""

from __future__ import annotations

from typing import Any

from ketaclinic.intake.models import InstrumentResponse
from ketaclinic.intake.services import assessment as intake
from ketaclinic.outcomes.models import Measurement, OutcomeCourse
from tests.intake.factories import draft_intake

PHQ9_SEVERE = [3, 3, 3, 2, 2, 2, 2, 2, 0]  # 19


def test_intake_outcome_scales_become_the_baseline(alice: Any, pat: Any) -> None:
    assessment = draft_intake(patient=pat, clinician=alice)
    rows = {m.instrument: m for m in Measurement.objects.filter(patient=pat)}
    assert set(rows) == {"phq9", "gad7"}  # the C-SSRS screener is a safety screen, not an outcome scale
    phq9 = rows["phq9"]
    response = assessment.responses.get(instrument="phq9", entered_in_error=False)
    assert (phq9.context, phq9.total, phq9.recorded_by) == ("baseline", 8.0, alice)
    assert (phq9.source_type, phq9.source_id) == ("intake.instrumentresponse", response.pk)
    assert phq9.answers == response.answers and phq9.answers[:9] == [1, 1, 1, 1, 1, 1, 1, 1, 0]
    assert OutcomeCourse.objects.get(patient=pat, instrument="phq9").baseline_total == 8.0


def test_re_entering_a_scale_withdraws_the_earlier_copy(alice: Any, pat: Any) -> None:
    assessment = draft_intake(patient=pat, clinician=alice)
    first = assessment.responses.get(instrument="phq9", entered_in_error=False)
    second = intake.record_instrument(by=alice, assessment=assessment, instrument="phq9", answers=PHQ9_SEVERE)
    assert InstrumentResponse.objects.get(pk=first.pk).entered_in_error
    old = Measurement.objects.get(source_type="intake.instrumentresponse", source_id=first.pk)
    assert old.entered_in_error and old.entered_in_error_reason == "Re-entered" and old.entered_in_error_by == alice
    current = Measurement.objects.get(patient=pat, instrument="phq9", entered_in_error=False)
    assert current.source_id == second.pk and current.total == 19.0
    course = OutcomeCourse.objects.get(patient=pat, instrument="phq9")
    assert (course.baseline_total, course.measurements) == (19.0, 1)
