"""Treatment courses and outcome scores at scale for ``ketaclinic seed`` (benchmarks of the outcomes pages).

For each batch of seeded patients this writes, with ``bulk_create``: a signed ``TreatmentPlan`` + ``PlanVersion`` with
its ``SessionOrder`` rows, ~10 signed ``TreatmentSession`` rows, ~100 ``Measurement`` rows (intake baseline, a score
before each session, scores from home), the ``OutcomeCourse`` of each patient and scale, and a few ``SafetyAlert``
and ``SideEffect`` rows.

Scores are scored by ``domain.instruments.score`` and the course flags by the same ``domain.outcomes`` functions
``outcomes.services.measurements.refresh_course`` uses (``assess_change``, ``detect_relapse``), with the same choice of
baseline and follow-ups, so a seeded course equals what ``refresh_course`` would compute from the seeded scores (the
seed test checks this). The trajectories are synthetic: a baseline, a per-patient final improvement and an
exponential approach with noise; a share of responders relapse. Nothing here is a clinical figure.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ketaclinic.accounts.models import User
from ketaclinic.domain import instruments
from ketaclinic.domain import outcomes as rules
from ketaclinic.infusions.models import SideEffect, TreatmentSession
from ketaclinic.outcomes.models import Measurement, OutcomeCourse, SafetyAlert
from ketaclinic.patients.models import Patient
from ketaclinic.plans.models import PlanVersion, SessionOrder, TreatmentPlan

#: Rows per INSERT.
INSERT_BATCH = 5000
SESSIONS_PER_PATIENT = 10
#: Scores per patient: two scales × (baseline + one per session + home scores) = 100.
HOME_SCORES_PER_SCALE = 50 - 1 - SESSIONS_PER_PATIENT
HOME_SOURCE = "demo.seed_home_score"

#: Index of ``demo.clinic.INDICATIONS`` (the patient's condition) → plan indication, and the protocols used for it
#: with their route and weight.
COURSES: dict[int, tuple[str, list[tuple[str, str, int]]]] = {
    0: (
        "treatment_resistant_depression",
        [
            ("depression_iv", "iv", 60),
            ("esketamine", "intranasal_esketamine", 20),
            ("depression_im", "im", 10),
            ("sublingual", "sublingual", 10),
        ],
    ),
    1: ("major_depression", [("depression_iv", "iv", 70), ("depression_im", "im", 15), ("oral", "oral", 15)]),
    2: ("crps", [("crps_outpatient", "iv", 1)]),
    3: ("fibromyalgia", [("fibromyalgia_test_dose", "iv", 1)]),
}
#: The two scales scored for each indication: (primary, secondary).
SCALES = {
    "treatment_resistant_depression": ("phq9", "gad7"),
    "major_depression": ("phq9", "gad7"),
    "crps": ("pain_nrs", "phq9"),
    "fibromyalgia": ("pain_nrs", "phq9"),
}
EFFECTS = [value for value in SideEffect.Effect.values if value != SideEffect.Effect.OTHER]


@dataclass(frozen=True)
class SeedPatient:
    patient: Patient
    indication_index: int  # into demo.clinic.INDICATIONS


@functools.lru_cache(maxsize=4096)
def _scored(instrument: str, answers: tuple[int | None, ...]) -> instruments.Score:
    return instruments.score(instrument, list(answers))


def _answers(instrument: str, total: int, rng: random.Random, item9: int = 0) -> tuple[int | None, ...]:
    """Item answers (published order) whose total is ``total``; PHQ-9 item 9 is ``item9``."""
    if instrument == "pain_nrs":
        return (total,)
    items = 9 if instrument == "phq9" else 7
    fixed = [item9] if instrument == "phq9" else []
    free = items - len(fixed)
    remaining = max(0, min(total - sum(fixed), 3 * free))
    values = [0] * free
    order = list(range(free))
    rng.shuffle(order)
    for index in order * 3:
        if remaining == 0:
            break
        values[index] += 1
        remaining -= 1
    answers: list[int | None] = [*values, *fixed]
    if instrument == "phq9":
        answers.append(None)  # item 10 (difficulty) is optional and unscored
    return tuple(answers)


def _trajectory(instrument: str, rng: random.Random, days: list[float], responder_draw: float) -> list[int]:
    """Synthetic totals at ``days`` (day 0 = baseline)."""
    high = instruments.get(instrument).total_range[1]
    baseline = {"phq9": rng.randint(12, 26), "gad7": rng.randint(9, 20), "pain_nrs": rng.randint(5, 9)}[instrument]
    # Synthetic, not clinical figures: about half the patients (the same on both scales) improve by 60–95 %, the
    # others by −10–42 %, approaching it within about a week (τ = 5 days); 15 % lose most of it later on. With this
    # noise the seeded rates land near the §6 benchmarks (response ~50 %, remission ~25 %).
    final = rng.uniform(0.6, 0.95) if responder_draw < 0.55 else rng.uniform(-0.1, 0.42)
    relapse_day = rng.uniform(60, 200) if rng.random() < 0.15 else None
    noise = 0.4 if instrument == "pain_nrs" else 0.5
    totals = []
    for day in days:
        improvement = final * (1 - math.exp(-day / 5.0))
        if relapse_day is not None and day > relapse_day:
            improvement *= 0.4
        value = baseline * (1 - improvement) + rng.gauss(0, noise)
        totals.append(int(max(0, min(high, round(value)))))
    totals[0] = baseline
    return totals


def _course(
    patient: Patient,
    instrument: str,
    series: list[tuple[int, float, dt.datetime, str]],
    sessions_given: int,
    dimensions: dict[str, str],
    now: dt.datetime,
) -> OutcomeCourse:
    """The course ``refresh_course`` would compute from ``series`` (key, total, taken_at, context), in the same way."""
    series = sorted(series, key=lambda row: (row[2], row[0]))
    baselines = [row for row in series if row[3] == Measurement.Context.BASELINE]
    baseline = baselines[-1] if baselines else series[0]
    follow_ups = [row for row in series if row[0] != baseline[0] and row[2] >= baseline[2]]
    course = OutcomeCourse(
        patient=patient,
        instrument=instrument,
        location_id=patient.location_id,
        baseline_total=baseline[1],
        baseline_at=baseline[2],
        latest_total=follow_ups[-1][1] if follow_ups else None,
        latest_at=follow_ups[-1][2] if follow_ups else None,
        measurements=len(series),
        follow_ups=len(follow_ups),
        sessions_given=sessions_given,
        updated_at=now,
        **dimensions,
    )
    if follow_ups:
        change = rules.assess_change(instrument, baseline[1], follow_ups[-1][1])
        relapse = rules.detect_relapse(instrument, baseline[1], [(row[2], row[1]) for row in follow_ups])
        course.reduction_pct = change.percent_reduction
        course.response = change.response
        course.partial_response = change.partial_response
        course.remission = change.remission
        course.ever_response = relapse.responded_at is not None
        course.relapse = relapse.relapsed
        course.pain_moderate_improvement = bool(change.moderate_improvement)
        course.pain_substantial_improvement = bool(change.substantial_improvement)
    return course


def fill(*, batch: list[SeedPatient], clinician: User, rng: random.Random, now: dt.datetime) -> dict[str, int]:
    """Write plans, sessions, scores, courses, alerts and side effects for ``batch`` (call inside a transaction)."""
    plans = TreatmentPlan.objects.bulk_create(
        [TreatmentPlan(patient=item.patient, created_by=clinician, created_at=now) for item in batch]
    )
    starts: list[dt.datetime] = []
    versions = []
    for item, plan in zip(batch, plans, strict=True):
        indication, options = COURSES[item.indication_index]
        protocol_id, route, _ = rng.choices(options, weights=[weight for *_, weight in options])[0]
        start = now - dt.timedelta(days=rng.uniform(105, 400), minutes=rng.randint(0, 600))
        starts.append(start)
        dose = Decimal(rng.choice(["35.0", "40.0", "42.5", "56.0", "84.0"]))
        versions.append(
            PlanVersion(
                plan=plan,
                version=1,
                status=PlanVersion.Status.SIGNED,
                indication=indication,
                protocol_id=protocol_id,
                route=route,
                dose_mode=PlanVersion.DoseMode.FIXED,
                fixed_dose_mg=dose,
                dose_mg=dose,
                age_years=max(18, now.year - item.patient.date_of_birth.year),
                sex=item.patient.sex,
                sessions_planned=SESSIONS_PER_PATIENT,
                start_date=start.date(),
                created_by=clinician,
                created_at=start - dt.timedelta(days=2),
                signed_by=clinician,
                signed_at=start - dt.timedelta(days=1),
            )
        )
    PlanVersion.objects.bulk_create(versions)
    # Induction twice a week for three weeks, then boosters every two to four weeks.
    offsets = [0, 3.5, 7, 10.5, 14, 17.5] + [17.5 + 21 * k for k in range(1, SESSIONS_PER_PATIENT - 5)]
    orders, session_times = [], []
    for version, start in zip(versions, starts, strict=True):
        times = [start + dt.timedelta(days=offset + rng.uniform(-0.2, 0.2)) for offset in offsets]
        times = [moment for moment in times if moment < now - dt.timedelta(hours=3)] or [start]
        session_times.append(times)
        for number, moment in enumerate(times, start=1):
            orders.append(
                SessionOrder(
                    plan_version=version,
                    session_number=number,
                    target_date=moment.date(),
                    route=version.route,
                    dose_mg=version.dose_mg,
                    duration_min=40 if version.route == "iv" else None,
                    status=SessionOrder.Status.GIVEN,
                )
            )
    SessionOrder.objects.bulk_create(orders, batch_size=INSERT_BATCH)
    sessions = []
    cursor = 0
    for item, version, times in zip(batch, versions, session_times, strict=True):
        for moment in times:
            sessions.append(
                TreatmentSession(
                    patient=item.patient,
                    location_id=item.patient.location_id,
                    order=orders[cursor],
                    protocol_id=version.protocol_id,
                    route=version.route,
                    chair=f"Chair {rng.randint(1, 8)}",
                    status=TreatmentSession.Status.SIGNED,
                    checked_in_at=moment - dt.timedelta(minutes=20),
                    checked_in_by=clinician,
                    ride_home_confirmed=True,
                    started_at=moment,
                    started_by=clinician,
                    infusion_ended_at=moment + dt.timedelta(minutes=40),
                    dose_delivered_mg=version.dose_mg,
                    discharged_at=moment + dt.timedelta(minutes=120),
                    discharged_by=clinician,
                    note_text="Seeded session.",
                    note_signed_by=clinician,
                    note_signed_at=moment + dt.timedelta(minutes=150),
                    created_at=moment - dt.timedelta(minutes=20),
                    updated_at=moment + dt.timedelta(minutes=150),
                )
            )
            cursor += 1
    TreatmentSession.objects.bulk_create(sessions, batch_size=INSERT_BATCH)

    effects = [
        SideEffect(
            session=session,
            effect=rng.choice(EFFECTS),
            severity=rng.choices(["mild", "moderate", "severe"], weights=[80, 18, 2])[0],
            adverse_event=rng.random() < 0.02,
            outcome=SideEffect.Outcome.RESOLVED,
            started_at=session.started_at + dt.timedelta(minutes=15),
            resolved_at=session.started_at + dt.timedelta(minutes=60),
            recorded_by=clinician,
            recorded_at=session.started_at + dt.timedelta(minutes=15),
        )
        for session in sessions
        if session.started_at is not None and rng.random() < 0.3
    ]
    SideEffect.objects.bulk_create(effects, batch_size=INSERT_BATCH)

    measurements: list[Measurement] = []
    series: dict[tuple[int, str], list[tuple[int, float, dt.datetime, str]]] = {}
    alerts: list[SafetyAlert] = []
    home_key = 0
    cursor = 0
    for item, version, start, times in zip(batch, versions, starts, session_times, strict=True):
        patient = item.patient
        patient_sessions = sessions[cursor : cursor + len(times)]
        cursor += len(times)
        responder_draw = rng.random()
        flagged = rng.random() < 0.02  # a positive PHQ-9 item 9 somewhere in the course
        span_days = max(1.0, (now - start).total_seconds() / 86400 - 0.2)
        for instrument in SCALES[version.indication]:
            points: list[tuple[dt.datetime, str, Any]] = [(start - dt.timedelta(days=3), "baseline", patient)]
            points += [
                (moment - dt.timedelta(minutes=30), "pre_session", s)
                for moment, s in zip(times, patient_sessions, strict=True)
            ]
            points += [
                (start + dt.timedelta(days=rng.uniform(0.5, span_days)), "home", None)
                for _ in range(HOME_SCORES_PER_SCALE)
            ]
            points.sort(key=lambda point: point[0])
            days = [(moment - points[0][0]).total_seconds() / 86400 for moment, _, _ in points]
            totals = _trajectory(instrument, rng, days, responder_draw)
            alert_at = rng.randrange(1, len(points)) if flagged and instrument == "phq9" else -1
            for index, ((moment, context, source), total) in enumerate(zip(points, totals, strict=True)):
                item9 = 1 if index == alert_at else 0
                score = _scored(instrument, _answers(instrument, total, rng, item9))
                if source is None:
                    home_key += 1
                    source_type, source_id = HOME_SOURCE, patient.pk * 1000 + home_key % 1000
                else:
                    source_type, source_id = source._meta.label_lower, source.pk
                measurements.append(
                    Measurement(
                        patient=patient,
                        instrument=instrument,
                        answers=list(score.answers),
                        total=float(score.total),
                        band=score.band or "",
                        flags=sorted(score.flags),
                        subscales={},
                        taken_at=moment,
                        context=context,
                        sessions_given=sum(1 for when in times if when < moment),
                        source_type=source_type,
                        source_id=source_id,
                        recorded_by=None if context == "home" else clinician,
                        recorded_at=moment,
                    )
                )
                if "suicidality" in score.flags:
                    alerts.append(_alert(patient, clinician, score, source_type, source_id, moment, rng))
            home_key = 0
    Measurement.objects.bulk_create(measurements, batch_size=INSERT_BATCH)
    for row in measurements:
        series.setdefault((row.patient_id, row.instrument), []).append((row.pk, row.total, row.taken_at, row.context))
    SafetyAlert.objects.bulk_create(alerts, batch_size=INSERT_BATCH)

    courses = []
    by_patient = {item.patient.pk: (item.patient, version) for item, version in zip(batch, versions, strict=True)}
    given = {item.patient.pk: len(times) for item, times in zip(batch, session_times, strict=True)}
    for (patient_id, instrument), rows in series.items():
        if instrument not in rules.CHANGE_INSTRUMENTS:
            continue
        patient, version = by_patient[patient_id]
        dimensions = {"indication": version.indication, "route": version.route, "protocol_id": version.protocol_id}
        courses.append(_course(patient, instrument, rows, given[patient_id], dimensions, now))
    OutcomeCourse.objects.bulk_create(courses, batch_size=INSERT_BATCH)
    return {
        "plans": len(plans),
        "sessions": len(sessions),
        "measurements": len(measurements),
        "courses": len(courses),
        "safety_alerts": len(alerts),
        "side_effects": len(effects),
    }


def _alert(
    patient: Patient,
    clinician: User,
    score: instruments.Score,
    source_type: str,
    source_id: int,
    moment: dt.datetime,
    rng: random.Random,
) -> SafetyAlert:
    acknowledged = rng.random() < 0.9
    return SafetyAlert(
        patient=patient,
        kind=SafetyAlert.Kind.SUICIDALITY,
        severity=SafetyAlert.Severity.UNRATED,
        instrument=score.instrument,
        score_total=float(score.total),
        score_band=score.band or "",
        source_type=source_type,
        source_id=source_id,
        message="Seeded: PHQ-9 item 9 answered above 0.",
        recommended_action="Give the C-SSRS screener today.",
        assigned_to=clinician,
        assignment=SafetyAlert.Assignment.PRIMARY_CLINICIAN,
        raised_by=None,
        created_at=moment,
        acknowledged_by=clinician if acknowledged else None,
        acknowledged_at=moment + dt.timedelta(minutes=30) if acknowledged else None,
        follow_up_note="Seeded follow-up: screened, safety plan reviewed." if acknowledged else "",
    )
