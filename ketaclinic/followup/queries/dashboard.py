"""The clinic outcomes dashboard: aggregates over ``OutcomeCourse`` rows, computed in the database.

One ``OutcomeCourse`` row per patient and scale holds where the patient stands (clinical-rules.md §5 flags computed by
``outcomes.services.measurements.refresh_course``). Every figure here is a ``COUNT(...) FILTER (WHERE ...)`` over those
rows, overall or with ``GROUP BY`` indication, route, protocol and location, so the number of queries is fixed and
their cost grows with patients, never with scores; no Python loop walks patients. Rates carry a Wilson 95 % interval
(``domain.outcomes.proportion_ci``; Wilson, JASA 1927).

Definitions (clinical-rules.md §5):

- *evaluable*: a baseline and at least one later score (``baseline_total`` not null and ``follow_ups`` > 0) — the
  denominator of every rate;
- *response*: ≥ 50 % reduction from baseline at the latest score; *remission*: the scale's threshold at the latest
  score (PHQ-9 < 5 ...; MADRS: the clinic's cut-off, default ≤ 9, Zimmerman 2004), named on the page as
  ``Summary.remission_rule``; not defined for pain scales;
- pain (``pain_nrs``): ≥ 30 % NRS reduction = moderate, ≥ 50 % = substantial improvement (IMMPACT).

Safety figures: safety alerts (suicide-risk screens) per treatment session not cancelled, the monitoring alerts raised
in sessions by code, and side effects / adverse events by type (not entered in error).

Everything is scoped to the locations the user works at; only aggregates leave this module, never a patient.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet

from ketaclinic.accounts.models import Location, User, clinical_settings_for
from ketaclinic.domain import benchmarks as literature
from ketaclinic.domain import instruments, protocols
from ketaclinic.domain import outcomes as rules
from ketaclinic.domain.vocabulary import INDICATION_CHOICES, ROUTE_CHOICES
from ketaclinic.infusions.models import SessionAlert, SideEffect, TreatmentSession
from ketaclinic.outcomes.models import OutcomeCourse, SafetyAlert

#: Scales the dashboard can report (those with a course summary: clinical-rules.md §5 defines change for them).
SCALES: tuple[str, ...] = tuple(sorted(rules.CHANGE_INSTRUMENTS))
DEFAULT_SCALE = "phq9"
#: The pain section reads the NRS (clinical-rules.md §5: "≥ 30 % NRS reduction ... ≥ 50 % = substantial (IMMPACT)").
PAIN_SCALE = "pain_nrs"
#: Group-by dimensions of the response/remission tables, in display order: (key, heading).
DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("indication", "Indication"),
    ("route", "Route"),
    ("protocol_id", "Protocol"),
    ("location", "Location"),
)

EVALUABLE = Q(baseline_total__isnull=False, follow_ups__gt=0)

_INDICATION_LABELS = dict(INDICATION_CHOICES)
_ROUTE_LABELS = dict(ROUTE_CHOICES)


@dataclass(frozen=True)
class Rate:
    """``successes`` of ``n`` with the Wilson 95 % interval; ``rate``/``low``/``high`` are ``None`` when ``n`` is 0."""

    successes: int
    n: int
    rate: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(cls, successes: int, n: int) -> Rate:
        if n == 0:
            return cls(successes, 0, None, None, None)
        rate, low, high = rules.proportion_ci(successes, n)
        return cls(successes, n, rate, low, high)

    def as_dict(self) -> dict[str, Any]:
        return {"successes": self.successes, "n": self.n, "rate": self.rate, "low": self.low, "high": self.high}

    # Percent forms for the page (0–100); the small interval chart draws on a 0–100 axis.
    @property
    def pct(self) -> float | None:
        return None if self.rate is None else self.rate * 100

    @property
    def low_pct(self) -> float | None:
        return None if self.low is None else self.low * 100

    @property
    def high_pct(self) -> float | None:
        return None if self.high is None else self.high * 100

    @property
    def width_pct(self) -> float | None:
        return None if self.low is None or self.high is None else (self.high - self.low) * 100


@dataclass(frozen=True)
class OutcomeRow:
    """Response and remission on one scale for one group (or overall: ``key`` ``""``)."""

    key: str
    label: str
    courses: int
    evaluable: int
    response: Rate
    remission: Rate | None  # None: remission is not defined for the scale (pain)
    partial_response: Rate
    relapse: Rate  # relapses among those who ever responded


@dataclass(frozen=True)
class PainRow:
    key: str
    label: str
    courses: int
    evaluable: int
    moderate: Rate
    substantial: Rate
    mean_change_points: float | None  # latest − baseline NRS, mean over evaluable courses (negative = better)


@dataclass(frozen=True)
class CountRow:
    key: str
    label: str
    count: int
    adverse_events: int = 0


@dataclass(frozen=True)
class Safety:
    sessions: int
    safety_alerts: int
    alerts_per_session: float | None
    session_alerts: int
    session_alerts_by_code: tuple[CountRow, ...]
    side_effects: int
    adverse_events: int
    side_effects_by_type: tuple[CountRow, ...]


@dataclass(frozen=True)
class Filters:
    scale: str = DEFAULT_SCALE
    location_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    min_sessions: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "location_id": self.location_id,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "min_sessions": self.min_sessions,
        }


@dataclass(frozen=True)
class Summary:
    filters: Filters
    scale_name: str
    has_remission: bool
    overall: OutcomeRow
    groups: Mapping[str, tuple[OutcomeRow, ...]]
    pain_overall: PainRow
    pain_by_indication: tuple[PainRow, ...]
    safety: Safety
    locations: tuple[tuple[int, str], ...]
    benchmarks: tuple[literature.Benchmark, ...] = field(default=literature.BENCHMARKS)
    remission_rule: str | None = None
    """The remission definition the figures used, with its source (MADRS: the clinic's cut-off); None for pain."""


class FilterError(ValueError):
    """A filter value the dashboard cannot use; the message names the field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


#: The largest "at least N sessions" filter accepted (an input bound, not a clinical figure). Setting it to 4 compares
#: like with like against the clinical-rules.md §6 benchmarks, which were measured after 4–8 infusions.
MIN_SESSIONS_INPUT_MAX = 100

#: The range a date filter may take (outside it the figures would be empty, and day arithmetic would overflow).
DATE_FILTER_FIRST = dt.date(1900, 1, 1)
DATE_FILTER_LAST = dt.date(9998, 12, 31)


def parse_filters(data: Mapping[str, Any], *, location_ids: Iterable[int]) -> Filters:
    """Read ``scale``, ``location``, ``date_from`` and ``date_to`` (ISO dates) from a query string.

    Raises ``FilterError`` for an unknown scale, a location the user does not work at, a malformed date or a range
    that ends before it starts.
    """
    scale = (data.get("scale") or DEFAULT_SCALE).strip()
    if scale not in SCALES:
        raise FilterError("scale", f"Unknown scale {scale!r}; choose one of {', '.join(SCALES)}.")
    location_id: int | None = None
    raw_location = str(data.get("location") or "").strip()
    if raw_location:
        if not (raw_location.isascii() and raw_location.isdigit()) or int(raw_location) not in set(location_ids):
            raise FilterError("location", "Choose one of your locations.")
        location_id = int(raw_location)
    dates: dict[str, dt.date | None] = {}
    for name in ("date_from", "date_to"):
        raw = str(data.get(name) or "").strip()
        try:
            dates[name] = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            raise FilterError(name, f"Enter the date as YYYY-MM-DD (got {raw!r}).") from None
        found = dates[name]
        if found is not None and not (DATE_FILTER_FIRST <= found <= DATE_FILTER_LAST):
            raise FilterError(name, f"Enter a date between {DATE_FILTER_FIRST} and {DATE_FILTER_LAST}.")
    if dates["date_from"] and dates["date_to"] and dates["date_to"] < dates["date_from"]:
        raise FilterError("date_to", "The end date is before the start date.")
    raw_sessions = str(data.get("min_sessions") or "").strip()
    min_sessions = 0
    if raw_sessions:
        if not (raw_sessions.isascii() and raw_sessions.isdigit()) or int(raw_sessions) > MIN_SESSIONS_INPUT_MAX:
            raise FilterError("min_sessions", f"Enter a whole number of sessions from 0 to {MIN_SESSIONS_INPUT_MAX}.")
        min_sessions = int(raw_sessions)
    return Filters(scale, location_id, dates["date_from"], dates["date_to"], min_sessions)


def visible_locations(user: User) -> QuerySet[Location]:
    """The locations whose figures the user may see: the ones they work at."""
    if not user.is_authenticated or not user.is_active:
        return Location.objects.none()
    return user.locations.all()


def _label(dimension: str, key: str) -> str:
    if key == "":
        return "Not recorded"
    if dimension == "indication":
        return _INDICATION_LABELS.get(key, key)
    if dimension == "route":
        return _ROUTE_LABELS.get(key, key)
    if dimension == "protocol_id":
        try:
            return protocols.get(key).name
        except (KeyError, ValueError):
            return key
    return key


def _day_bounds(filters: Filters) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Whole days in UTC (storage is UTC): from 00:00 of ``date_from`` to before 00:00 after ``date_to``."""
    start = dt.datetime.combine(filters.date_from, dt.time.min, dt.UTC) if filters.date_from else None
    end = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min, dt.UTC) if filters.date_to else None
    return start, end


def _courses(scale: str, filters: Filters, locations: QuerySet[Location]) -> QuerySet[OutcomeCourse]:
    rows = OutcomeCourse.objects.filter(instrument=scale, location__in=locations)
    if filters.location_id is not None:
        rows = rows.filter(location_id=filters.location_id)
    if filters.min_sessions:
        rows = rows.filter(sessions_given__gte=filters.min_sessions)
    start, end = _day_bounds(filters)
    if start is not None:
        rows = rows.filter(latest_at__gte=start)
    if end is not None:
        rows = rows.filter(latest_at__lt=end)
    return rows.order_by()


def _outcome_counts() -> dict[str, Count]:
    return {
        "courses": Count("pk"),
        "evaluable": Count("pk", filter=EVALUABLE),
        "responders": Count("pk", filter=EVALUABLE & Q(response=True)),
        "remitters": Count("pk", filter=EVALUABLE & Q(remission=True)),
        "partial": Count("pk", filter=EVALUABLE & Q(partial_response=True)),
        "ever_responders": Count("pk", filter=EVALUABLE & Q(ever_response=True)),
        "relapses": Count("pk", filter=EVALUABLE & Q(ever_response=True, relapse=True)),
    }


def _outcome_row(key: str, label: str, counts: Mapping[str, Any], has_remission: bool) -> OutcomeRow:
    evaluable = counts["evaluable"] or 0
    return OutcomeRow(
        key=key,
        label=label,
        courses=counts["courses"] or 0,
        evaluable=evaluable,
        response=Rate.of(counts["responders"] or 0, evaluable),
        remission=Rate.of(counts["remitters"] or 0, evaluable) if has_remission else None,
        partial_response=Rate.of(counts["partial"] or 0, evaluable),
        relapse=Rate.of(counts["relapses"] or 0, counts["ever_responders"] or 0),
    )


def _pain_counts() -> dict[str, Any]:
    return {
        "courses": Count("pk"),
        "evaluable": Count("pk", filter=EVALUABLE),
        "moderate": Count("pk", filter=EVALUABLE & Q(pain_moderate_improvement=True)),
        "substantial": Count("pk", filter=EVALUABLE & Q(pain_substantial_improvement=True)),
        "mean_change": Avg(F("latest_total") - F("baseline_total"), filter=EVALUABLE),
    }


def _pain_row(key: str, label: str, counts: Mapping[str, Any]) -> PainRow:
    evaluable = counts["evaluable"] or 0
    mean = counts["mean_change"]
    return PainRow(
        key=key,
        label=label,
        courses=counts["courses"] or 0,
        evaluable=evaluable,
        moderate=Rate.of(counts["moderate"] or 0, evaluable),
        substantial=Rate.of(counts["substantial"] or 0, evaluable),
        mean_change_points=None if mean is None else float(mean),
    )


def _safety(filters: Filters, locations: QuerySet[Location]) -> Safety:
    start, end = _day_bounds(filters)
    sessions = TreatmentSession.objects.filter(location__in=locations).exclude(status=TreatmentSession.Status.CANCELLED)
    alerts = SafetyAlert.objects.filter(patient__location__in=locations)
    session_alerts = SessionAlert.objects.filter(session__location__in=locations).exclude(
        session__status=TreatmentSession.Status.CANCELLED
    )
    effects = SideEffect.objects.filter(session__location__in=locations, entered_in_error=False)
    if filters.location_id is not None:
        sessions = sessions.filter(location_id=filters.location_id)
        alerts = alerts.filter(patient__location_id=filters.location_id)
        session_alerts = session_alerts.filter(session__location_id=filters.location_id)
        effects = effects.filter(session__location_id=filters.location_id)
    if start is not None:
        sessions = sessions.filter(checked_in_at__gte=start)
        alerts = alerts.filter(created_at__gte=start)
        session_alerts = session_alerts.filter(raised_at__gte=start)
        effects = effects.filter(started_at__gte=start)
    if end is not None:
        sessions = sessions.filter(checked_in_at__lt=end)
        alerts = alerts.filter(created_at__lt=end)
        session_alerts = session_alerts.filter(raised_at__lt=end)
        effects = effects.filter(started_at__lt=end)
    session_count = sessions.order_by().count()
    alert_count = alerts.order_by().count()
    by_code = tuple(
        CountRow(row["code"], row["code"].replace("_", " "), row["n"])
        for row in session_alerts.order_by().values("code").annotate(n=Count("pk")).order_by("-n", "code")
    )
    effect_labels = dict(SideEffect.Effect.choices)
    by_effect = tuple(
        CountRow(row["effect"], effect_labels.get(row["effect"], row["effect"]), row["n"], row["adverse"])
        for row in effects.order_by()
        .values("effect")
        .annotate(n=Count("pk"), adverse=Count("pk", filter=Q(adverse_event=True)))
        .order_by("-n", "effect")
    )
    return Safety(
        sessions=session_count,
        safety_alerts=alert_count,
        alerts_per_session=alert_count / session_count if session_count else None,
        session_alerts=sum(row.count for row in by_code),
        session_alerts_by_code=by_code,
        side_effects=sum(row.count for row in by_effect),
        adverse_events=sum(row.adverse_events for row in by_effect),
        side_effects_by_type=by_effect,
    )


def summarise(user: User, filters: Filters | None = None) -> Summary:
    """Every dashboard figure for ``user``'s locations, in a fixed number of queries (about a dozen)."""
    filters = filters or Filters()
    locations = visible_locations(user)
    location_rows = tuple(locations.order_by("name").values_list("pk", "name"))
    location_names = dict(location_rows)
    scale = filters.scale
    has_remission = scale not in rules.PAIN_INSTRUMENTS
    courses = _courses(scale, filters, locations)
    overall = _outcome_row("", "All evaluable patients", courses.aggregate(**_outcome_counts()), has_remission)
    groups: dict[str, tuple[OutcomeRow, ...]] = {}
    for dimension, _heading in DIMENSIONS:
        column = "location_id" if dimension == "location" else dimension
        rows = courses.values(column).annotate(**_outcome_counts()).order_by(column)
        built = []
        for row in rows:
            key = str(row[column])
            label = location_names.get(row[column], key) if dimension == "location" else _label(dimension, key)
            built.append(_outcome_row(key, label, row, has_remission))
        groups[dimension] = tuple(sorted(built, key=lambda item: (-item.evaluable, item.label)))
    pain = _courses(PAIN_SCALE, filters, locations)
    pain_overall = _pain_row("", "All evaluable patients", pain.aggregate(**_pain_counts()))
    pain_groups = tuple(
        sorted(
            (
                _pain_row(row["indication"], _label("indication", row["indication"]), row)
                for row in pain.values("indication").annotate(**_pain_counts()).order_by("indication")
            ),
            key=lambda item: (-item.evaluable, item.label),
        )
    )
    return Summary(
        filters=filters,
        scale_name=instruments.get(scale).name,
        has_remission=has_remission,
        overall=overall,
        groups=groups,
        pain_overall=pain_overall,
        pain_by_indication=pain_groups,
        safety=_safety(filters, locations),
        locations=location_rows,
        remission_rule=rules.remission_rule(
            scale, madrs_remission_at_most=clinical_settings_for(user.clinic_id).madrs_remission_at_most
        ),
    )


# --- flat forms (CSV and JSON) ----------------------------------------------------------------------------------------


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def csv_rows(summary: Summary) -> list[list[str]]:
    """The dashboard as CSV rows: one line per (section, group, measure) with n, rate and the 95 % interval."""
    header = ["section", "group", "measure", "successes", "n", "rate_pct", "ci95_low_pct", "ci95_high_pct"]
    out: list[list[str]] = [
        ["ketaclinic clinic outcomes dashboard"],
        ["scale", summary.filters.scale, summary.scale_name],
        ["remission", summary.remission_rule or "not defined for this scale"],
        ["location", str(summary.filters.location_id or "all of yours")],
        ["latest score from", str(summary.filters.date_from or "")],
        ["latest score to", str(summary.filters.date_to or "")],
        [],
        header,
    ]

    def outcome(section: str, row: OutcomeRow) -> None:
        measures: list[tuple[str, Rate | None]] = [
            ("response", row.response),
            ("remission", row.remission),
            ("partial_response", row.partial_response),
            ("relapse_after_response", row.relapse),
        ]
        for name, rate in measures:
            if rate is not None:
                out.append(_rate_line(section, row.label, name, rate))

    outcome("overall", summary.overall)
    for dimension, _heading in DIMENSIONS:
        for row in summary.groups[dimension]:
            outcome(f"by_{dimension}", row)
    for section, pain_rows in (
        ("pain_overall", (summary.pain_overall,)),
        ("pain_by_indication", summary.pain_by_indication),
    ):
        for pain in pain_rows:
            out.append(_rate_line(section, pain.label, "nrs_reduction_30pct", pain.moderate))
            out.append(_rate_line(section, pain.label, "nrs_reduction_50pct", pain.substantial))
            mean = "" if pain.mean_change_points is None else f"{pain.mean_change_points:.2f}"
            out.append([section, pain.label, "mean_nrs_change_points", "", str(pain.evaluable), mean, "", ""])
    safety = summary.safety
    out.append([])
    out.append(["safety", "measure", "count"])
    out.append(["safety", "sessions", str(safety.sessions)])
    out.append(["safety", "safety_alerts", str(safety.safety_alerts)])
    per = "" if safety.alerts_per_session is None else f"{safety.alerts_per_session:.4f}"
    out.append(["safety", "safety_alerts_per_session", per])
    for code in safety.session_alerts_by_code:
        out.append(["session_alerts_by_code", code.key, str(code.count)])
    out.append(["side_effects_by_type", "effect", "count", "adverse_events"])
    for effect in safety.side_effects_by_type:
        out.append(["side_effects_by_type", effect.key, str(effect.count), str(effect.adverse_events)])
    out.append([])
    out.append(["benchmark_source", "population", "measure", "values (clinical-rules.md §6)"])
    for bench in summary.benchmarks:
        out.append([bench.source, bench.population, bench.measure, bench.values])
    return out


def _rate_line(section: str, group: str, measure: str, rate: Rate) -> list[str]:
    return [
        section,
        group,
        measure,
        str(rate.successes),
        str(rate.n),
        _percent(rate.rate),
        _percent(rate.low),
        _percent(rate.high),
    ]
