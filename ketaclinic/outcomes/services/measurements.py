"""Recording outcome scores and keeping each patient's course summary in step with them.

Every score that measures whether treatment works goes through ``record_measurement``: the intake baseline
(``intake.services.assessment``), the pre-dose score at the chair (``infusions.services.checkin``) and the questionnaire
a patient fills from home (``followup.services.questionnaires``). Each call recomputes the patient's ``OutcomeCourse``
for that scale in the same transaction, with the clinical-rules.md §5 definitions implemented in
``ketaclinic.domain.outcomes`` (response, partial response, remission, IMMPACT pain improvement, relapse).
"""

from __future__ import annotations

import datetime as dt

from django.db import models, transaction
from django.utils import timezone

from ketaclinic.accounts.models import User, clinical_settings_for
from ketaclinic.audit import services as audit
from ketaclinic.domain import instruments
from ketaclinic.domain import outcomes as rules
from ketaclinic.locking import lock
from ketaclinic.outcomes import hooks
from ketaclinic.outcomes.models import Measurement, OutcomeCourse
from ketaclinic.patients.models import Patient

#: Scales with a course summary: those clinical-rules.md §5 defines change for.
COURSE_INSTRUMENTS = rules.CHANGE_INSTRUMENTS


def sessions_started_before(patient_id: int, moment: dt.datetime) -> int:
    """Treatment sessions (not cancelled) the patient had started before ``moment`` (``infusions`` answers it)."""
    return hooks.sessions_started_before(patient_id, moment)


@transaction.atomic
def record_measurement(
    *,
    by: User | None,
    patient: Patient,
    score: instruments.Score,
    context: str,
    source: models.Model,
    taken_at: dt.datetime | None = None,
) -> Measurement:
    """Store one scored scale as part of the patient's outcome series and refresh the course summary.

    ``by`` is ``None`` when the patient answered from home. ``source`` is the row that holds the original (an intake
    response, a session score, a questionnaire link): one current measurement per source and scale.
    """
    if context not in Measurement.Context.values:
        raise ValueError(f"unknown measurement context {context!r}")
    when = taken_at or timezone.now()
    row = Measurement.objects.create(
        patient=patient,
        instrument=score.instrument,
        answers=list(score.answers),
        total=float(score.total),
        band=score.band or "",
        flags=sorted(score.flags),
        subscales={key: None if value is None else float(value) for key, value in score.subscales.items()},
        taken_at=when,
        context=context,
        sessions_given=sessions_started_before(patient.pk, when),
        source_type=source._meta.label_lower,
        source_id=source.pk,
        recorded_by=by,
    )
    audit.record(
        actor=by,
        action="measurement.record",
        obj=row,
        patient_id=patient.pk,
        detail={"instrument": row.instrument, "total": row.total, "context": context},
    )
    if row.instrument in COURSE_INSTRUMENTS:
        refresh_course(patient, row.instrument)
    return row


@transaction.atomic
def withdraw_measurements_of(*, by: User, source: models.Model, reason: str) -> int:
    """Mark the measurements copied from ``source`` entered in error (the source itself was), and refresh courses."""
    rows = list(
        lock(Measurement).filter(source_type=source._meta.label_lower, source_id=source.pk, entered_in_error=False)
    )
    now = timezone.now()
    for row in rows:
        row.entered_in_error = True
        row.entered_in_error_reason = reason
        row.entered_in_error_by = by
        row.entered_in_error_at = now
        row.save(
            update_fields=["entered_in_error", "entered_in_error_reason", "entered_in_error_by", "entered_in_error_at"]
        )
        audit.record(actor=by, action="measurement.entered_in_error", obj=row, patient_id=row.patient_id)
    patients = {row.patient_id: row.patient for row in rows}
    for row in rows:
        if row.instrument in COURSE_INSTRUMENTS:
            refresh_course(patients[row.patient_id], row.instrument)
    return len(rows)


def _plan_dimensions(patient: Patient) -> dict[str, str]:
    """Indication, route and protocol of the patient's latest signed plan version (blank when there is none)."""
    return hooks.plan_dimensions(patient.pk)


def madrs_remission_cutoff(patient: Patient) -> int:
    """The MADRS remission cut-off of the patient's clinic (a clinical setting; default ≤ 9, Zimmerman 2004)."""
    return clinical_settings_for(patient.location.clinic_id).madrs_remission_at_most


def refresh_course(patient: Patient, instrument: str, *, dimensions: dict[str, str] | None = None) -> OutcomeCourse:
    """Recompute where the patient stands on one scale (clinical-rules.md §5) from their current measurements.

    Baseline: the latest intake (``baseline``) score, or the first score when there is no intake score. The latest
    score is the last one after the baseline; relapse is judged over every score after the baseline
    (``domain.outcomes.detect_relapse``).
    """
    if instrument not in COURSE_INSTRUMENTS:
        raise ValueError(f"{instrument!r} has no outcome course (clinical-rules.md §5 defines change for it)")
    series = list(
        Measurement.objects.filter(patient=patient, instrument=instrument, entered_in_error=False)
        .order_by("taken_at", "pk")
        .values_list("pk", "total", "taken_at", "context", "sessions_given")
    )
    baselines = [row for row in series if row[3] == Measurement.Context.BASELINE]
    baseline = baselines[-1] if baselines else (series[0] if series else None)
    follow_ups = [row for row in series if baseline is not None and row[0] != baseline[0] and row[2] >= baseline[2]]
    values: dict[str, object] = {
        "location_id": patient.location_id,
        "baseline_total": baseline[1] if baseline else None,
        "baseline_at": baseline[2] if baseline else None,
        "latest_total": follow_ups[-1][1] if follow_ups else None,
        "latest_at": follow_ups[-1][2] if follow_ups else None,
        "measurements": len(series),
        "follow_ups": len(follow_ups),
        "sessions_given": sessions_started_before(patient.pk, timezone.now() + dt.timedelta(seconds=1)),
        "reduction_pct": None,
        "response": False,
        "partial_response": False,
        "remission": None,
        "ever_response": False,
        "relapse": False,
        "pain_moderate_improvement": False,
        "pain_substantial_improvement": False,
        "updated_at": timezone.now(),
    }
    values.update(dimensions if dimensions is not None else _plan_dimensions(patient))
    if baseline is not None and follow_ups:
        # MADRS remission follows the clinic's cut-off (default ≤ 9, Zimmerman 2004); the other scales have one.
        cutoff = madrs_remission_cutoff(patient)
        change = rules.assess_change(instrument, baseline[1], follow_ups[-1][1], madrs_remission_at_most=cutoff)
        relapse = rules.detect_relapse(
            instrument, baseline[1], [(row[2], row[1]) for row in follow_ups], madrs_remission_at_most=cutoff
        )
        values.update(
            reduction_pct=change.percent_reduction,
            response=change.response,
            partial_response=change.partial_response,
            remission=change.remission,
            ever_response=relapse.responded_at is not None,
            relapse=relapse.relapsed,
            pain_moderate_improvement=bool(change.moderate_improvement),
            pain_substantial_improvement=bool(change.substantial_improvement),
        )
    course, _ = OutcomeCourse.objects.update_or_create(patient=patient, instrument=instrument, defaults=values)
    return course


@transaction.atomic
def refresh_courses_for_patient(patient: Patient) -> int:
    """Refresh every course of the patient (after a plan is signed or stopped: the dimensions change)."""
    dimensions = _plan_dimensions(patient)
    instruments_seen = set(
        Measurement.objects.filter(patient=patient, entered_in_error=False, instrument__in=COURSE_INSTRUMENTS)
        .values_list("instrument", flat=True)
        .distinct()
    )
    for instrument in sorted(instruments_seen):
        refresh_course(patient, instrument, dimensions=dimensions)
    return len(instruments_seen)
