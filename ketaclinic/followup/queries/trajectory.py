"""What a patient's trajectory page shows, read with a constant number of queries (issue 8 "Trajectories").

``load(patient, scale=...)`` gathers, for one patient:

- the scales the patient has scores on, and the selected scale's scores (not entered in error), oldest first, each
  with its change from baseline (``domain.outcomes.assess_change``);
- the treatment sessions that started (date, route, dose: delivered, else ordered; status) — the chart's markers;
- the ``OutcomeCourse`` rows (response, partial response, remission, relapse flags; clinical-rules.md §5);
- the IV stop-signal suggestion on the selected scale (``domain.trajectory.stop_assessment`` →
  ``domain.outcomes.iv_series_stop_signal``: never before infusion 3), for the patient's active signed IV plan;
- the plan adjustment history.

The query count is fixed (one query per item above, plus the current plan), whatever the number of scores or sessions:
tests/outcomes/test_trajectory_page.py checks it with ``django_assert_max_num_queries``. ``evidence`` turns the same
data into the JSON snapshot a plan adjustment stores.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from ketaclinic.domain import instruments
from ketaclinic.domain import outcomes as rules
from ketaclinic.domain import trajectory as arrange
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.outcomes.models import Measurement, OutcomeCourse
from ketaclinic.outcomes.services.measurements import madrs_remission_cutoff
from ketaclinic.pain.models import PainPlan, Referral
from ketaclinic.patients.models import Patient
from ketaclinic.plans.models import PlanAdjustment, PlanVersion

#: Shown first in the scale selector when the patient has scores on it (clinical-rules.md §5: PHQ-9 before every
#: session is the default measure).
PREFERRED_SCALES = ("phq9", "madrs", "qids_sr16", "gad7", "pain_nrs", "peg", "bpi")


def scale_label(instrument_id: str) -> str:
    """The short name of a scale ("PHQ-9"), taken from the abbreviation that ends its published name."""
    try:
        name = instruments.get(instrument_id).name
    except ValueError:
        return instrument_id
    found = re.search(r"\(([^()]+)\)$", name)
    return found.group(1) if found else name


def route_label(route: str) -> str:
    return {
        "iv": "IV",
        "im": "IM",
        "intranasal_esketamine": "Esketamine IN",
        "oral": "Oral",
        "sublingual": "SL",
    }.get(route, route)


def change_label(percent_reduction: float | None) -> str:
    """A reduction from baseline as a change of the score: 15 % better → "−15 %", 10 % worse → "+10 %"."""
    if percent_reduction is None:
        return "—"
    rounded = round(percent_reduction)
    if rounded == 0:
        return "0 %"
    return f"−{rounded} %" if rounded > 0 else f"+{-rounded} %"


@dataclass(frozen=True)
class Score:
    pk: int
    taken_at: dt.datetime
    total: float
    band: str
    flags: tuple[str, ...]
    context: str
    context_label: str
    sessions_given: int
    percent_reduction: float | None

    @property
    def change(self) -> str:
        return change_label(self.percent_reduction)


@dataclass(frozen=True)
class SessionMark:
    pk: int
    number: int
    started_at: dt.datetime
    route: str
    route_label: str
    dose_mg: Decimal | None
    dose_delivered: bool
    status: str
    status_label: str
    plan_id: int

    @property
    def label(self) -> str:
        dose = f" {self.dose_mg.normalize():f} mg" if self.dose_mg is not None else ""
        return f"#{self.number} {self.route_label}{dose}"


@dataclass(frozen=True)
class ReferralMark:
    """A referral of the pain plan drawn on the chart like a session: dotted purple, labelled R1, R2 …"""

    pk: int
    number: int
    started_at: dt.datetime
    label: str
    style: dict[str, str] = field(default_factory=lambda: {"color": "#7c3aed", "linestyle": ":"})

    @property
    def short(self) -> str:
        return f"R{self.number}"


def referral_marks(patient: Patient) -> list[ReferralMark]:
    """The current referrals of the patient's current pain plan, numbered as on the pain plan page (by date sent)."""
    plan_id = PainPlan.objects.filter(patient=patient, entered_in_error=False).values_list("pk", flat=True).first()
    marks = []
    for number, row in enumerate(Referral.objects.filter(plan_id=plan_id).order_by("sent_on", "pk"), start=1):
        if row.entered_in_error:  # keeps its number in the table, struck through; not drawn
            continue
        moment = dt.datetime.combine(row.sent_on, dt.time(12, 0), tzinfo=dt.UTC)
        marks.append(ReferralMark(row.pk, number, moment, f"R{number} {row.get_kind_display()}"))
    return marks


@dataclass
class Trajectory:
    patient: Patient
    scales: list[tuple[str, str]]
    scale: str | None
    scale_label: str
    total_range: tuple[float, float] | None
    scores: list[Score]
    sessions: list[Any]  # SessionMark, and ReferralMark on the pain plan's chart
    courses: list[OutcomeCourse]
    course: OutcomeCourse | None
    lines: arrange.ReferenceLines | None
    plan: Any  # TreatmentPlan | None: the plan adjustments apply to (latest plan with a signed version)
    plan_version: Any  # its signed PlanVersion
    stop: arrange.StopAssessment | None
    stop_note: str
    adjustments: list[Any] = field(default_factory=list)
    madrs_remission_at_most: int = rules.MADRS_REMISSION_AT_MOST
    """The clinic's MADRS remission cut-off (a clinical setting; default ≤ 9, Zimmerman 2004)."""

    @property
    def baseline_total(self) -> float | None:
        return self.lines.baseline_total if self.lines else None

    @property
    def latest(self) -> Score | None:
        return self.scores[-1] if self.scores else None

    @property
    def course_rows(self) -> list[tuple[OutcomeCourse, str, str]]:
        """Each course with its scale's short name and its latest change, for the flags table."""
        return [(c, scale_label(c.instrument), change_label(c.reduction_pct)) for c in self.courses]

    @property
    def plan_active(self) -> bool:
        return self.plan is not None and self.plan.status == "active"


#: Subscales that can be drawn as their own series, with their label: the BPI interference mean (instruments.md
#: § bpi; the BPI total is the severity mean). IMMPACT counts a 1-point decrease in BPI interference as minimally
#: important (Dworkin et al. 2008).
SUBSCALE_SERIES = {("bpi", "interference"): "BPI interference"}


def subscale_series(view: Trajectory, subscale: str) -> Trajectory:
    """The same trajectory with the scores replaced by one subscale of the selected scale (only ``SUBSCALE_SERIES``;
    scores where the subscale is not valid, e.g. fewer than 4 BPI interference items answered, are left out). No
    reference lines: the baseline and response lines belong to the total.

    Raises
    ------
    ValueError
        The selected scale has no such drawable subscale.
    """
    label = SUBSCALE_SERIES.get((view.scale or "", subscale))
    if label is None:
        raise ValueError(f"{view.scale!r} has no drawable subscale {subscale!r}")
    values = dict(
        Measurement.objects.filter(pk__in=[s.pk for s in view.scores]).values_list("pk", f"subscales__{subscale}")
    )
    scores = [
        replace(score, total=float(values[score.pk]), band="", percent_reduction=None)
        for score in view.scores
        if values.get(score.pk) is not None
    ]
    return replace(view, scale_label=label, scores=scores, lines=None, stop=None)


def _scales(patient: Patient) -> list[str]:
    found = set(
        Measurement.objects.filter(patient=patient, entered_in_error=False)
        .values_list("instrument", flat=True)
        .distinct()
    )
    preferred = [scale for scale in PREFERRED_SCALES if scale in found]
    return preferred + sorted(found - set(preferred))


def _sessions(patient: Patient) -> list[SessionMark]:
    rows = (
        TreatmentSession.objects.filter(patient=patient, started_at__isnull=False)
        .exclude(status=TreatmentSession.Status.CANCELLED)
        .select_related("order__plan_version")
        .order_by("started_at", "pk")
    )
    marks = []
    for number, row in enumerate(rows, start=1):
        assert row.started_at is not None  # filtered above
        delivered = row.dose_delivered_mg is not None
        marks.append(
            SessionMark(
                pk=row.pk,
                number=number,
                started_at=row.started_at,
                route=row.route,
                route_label=route_label(row.route),
                dose_mg=row.dose_delivered_mg if delivered else row.order.dose_mg,
                dose_delivered=delivered,
                status=row.status,
                status_label=row.get_status_display(),
                plan_id=row.order.plan_version.plan_id,
            )
        )
    return marks


def _current_plan(patient: Patient) -> Any:
    """The latest signed (current) plan version of the patient's most recent plan, with its plan; None if none."""
    return (
        PlanVersion.objects.filter(plan__patient=patient, status=PlanVersion.Status.SIGNED)
        .select_related("plan")
        .order_by("-plan__created_at", "-plan_id", "-version")
        .first()
    )


def _adjustments(patient: Patient) -> list[Any]:
    return list(
        PlanAdjustment.objects.filter(plan__patient=patient).select_related(
            "decided_by", "from_version", "draft_version"
        )
    )


def _change(instrument_id: str, baseline: float | None, total: float) -> float | None:
    if baseline is None or instrument_id not in rules.CHANGE_INSTRUMENTS:
        return None
    return rules.assess_change(instrument_id, baseline, total).percent_reduction


def load(patient: Patient, *, scale: str | None = None, with_adjustments: bool = True) -> Trajectory:
    """Everything the trajectory page (or chart) shows for one patient and one scale (the first one if not given)."""
    scales = _scales(patient)
    chosen = scale if scale in scales else (scales[0] if scales else None)
    courses = list(OutcomeCourse.objects.filter(patient=patient).order_by("instrument"))
    course = next((c for c in courses if c.instrument == chosen), None)
    rows = (
        list(
            Measurement.objects.filter(patient=patient, instrument=chosen, entered_in_error=False)
            .order_by("taken_at", "pk")
            .values_list("pk", "taken_at", "total", "band", "flags", "context", "sessions_given")
        )
        if chosen
        else []
    )
    baseline = course.baseline_total if course else (rows[0][2] if rows else None)
    contexts = dict(Measurement.Context.choices)
    scores = [
        Score(
            pk=pk,
            taken_at=taken_at,
            total=total,
            band=band,
            flags=tuple(flags or ()),
            context=context,
            context_label=contexts.get(context, context),
            sessions_given=given,
            percent_reduction=_change(chosen, baseline, total) if chosen else None,
        )
        for pk, taken_at, total, band, flags, context, given in rows
    ]
    sessions = _sessions(patient)
    version = _current_plan(patient)
    plan = version.plan if version else None
    stop, note = _stop(chosen, course, baseline, scores, sessions, version)
    total_range = instruments.get(chosen).total_range if chosen else None
    cutoff = madrs_remission_cutoff(patient)
    return Trajectory(
        patient=patient,
        scales=[(s, scale_label(s)) for s in scales],
        scale=chosen,
        scale_label=scale_label(chosen) if chosen else "",
        total_range=(float(total_range[0]), float(total_range[1])) if total_range else None,
        scores=scores,
        sessions=sessions,
        courses=courses,
        course=course,
        lines=arrange.reference_lines(chosen, baseline, madrs_remission_at_most=cutoff) if chosen else None,
        plan=plan,
        plan_version=version,
        stop=stop,
        stop_note=note,
        adjustments=_adjustments(patient) if with_adjustments else [],
        madrs_remission_at_most=cutoff,
    )


def _stop(
    chosen: str | None,
    course: OutcomeCourse | None,
    baseline: float | None,
    scores: list[Score],
    sessions: list[SessionMark],
    version: Any,
) -> tuple[arrange.StopAssessment | None, str]:
    """The stop suggestion for the active plan's IV infusions on the selected scale, or a note why there is none."""
    if chosen is None:
        return None, "No scores yet."
    if version is None:
        return None, "No signed treatment plan: the stop signal follows an IV series."
    if version.plan.status != "active":
        return None, "The treatment plan is stopped."
    starts = [s.started_at for s in sessions if s.plan_id == version.plan_id and s.route == arrange.IV_ROUTE]
    baseline_at = course.baseline_at if course else (scores[0].taken_at if scores else None)
    series = [
        (arrange.infusions_before(starts, s.taken_at), s.total)
        for s in scores
        if baseline_at is not None and s.taken_at >= baseline_at and s.context != Measurement.Context.BASELINE
    ]
    return arrange.stop_assessment(chosen, version.route, baseline, series), ""


def evidence(patient: Patient) -> dict[str, Any]:
    """A JSON snapshot for a plan adjustment: each course's baseline, latest score and change, and the stop signal.

    Reads the course rows (one query) and, for the stop signal, the trajectory of each depression scale the patient has
    a course on; each part is a fixed number of queries.
    """
    snapshot: dict[str, Any] = {"scales": {}, "stop_signal": {}}
    for course in OutcomeCourse.objects.filter(patient=patient).order_by("instrument"):
        snapshot["scales"][course.instrument] = {
            "baseline_total": course.baseline_total,
            "baseline_at": course.baseline_at.isoformat() if course.baseline_at else None,
            "latest_total": course.latest_total,
            "latest_at": course.latest_at.isoformat() if course.latest_at else None,
            "reduction_pct": None if course.reduction_pct is None else round(course.reduction_pct, 1),
            "response": course.response,
            "partial_response": course.partial_response,
            "remission": course.remission,
            "relapse": course.relapse,
        }
        if course.instrument in rules.DEPRESSION_INSTRUMENTS:
            view = load(patient, scale=course.instrument, with_adjustments=False)
            if view.stop is not None:
                snapshot["stop_signal"][course.instrument] = {
                    "applies": view.stop.applies,
                    "suggest_stop": view.stop.suggest_stop,
                    "rule": view.stop.signal.rule if view.stop.signal else None,
                    "infusions_assessed": view.stop.signal.infusions if view.stop.signal else 0,
                    "reason": view.stop.reason,
                }
            else:
                snapshot["stop_signal"][course.instrument] = {"applies": False, "reason": view.stop_note}
    return snapshot
