"""/api/v1/outcomes/dashboard: the clinic outcomes summary as JSON (aggregates only, no patient).

The same figures as the dashboard page and its CSV (``followup.queries.dashboard.summarise``), scoped to the caller's
locations. Prescribers and clinic admins (``dashboard.view``); 401 without credentials, 403 for other roles, 422 for a
filter the dashboard cannot use (the body names the field). Every read is audited.
"""

import datetime as dt
from typing import Literal

from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.api.schemas import ErrorOut, Id, IsoDate
from ketaclinic.audit import services as audit
from ketaclinic.followup.queries import dashboard

router = Router()

Scale = Literal["bpi", "gad7", "madrs", "pain_nrs", "peg", "phq9", "qids_sr16"]


class RateOut(Schema):
    successes: int
    n: int = Field(description="Denominator: evaluable patients (a baseline and at least one later score).")
    rate: float | None = Field(description="successes / n (0–1); null when n is 0.")
    low: float | None = Field(description="Wilson 95 % interval, lower bound (0–1).")
    high: float | None = Field(description="Wilson 95 % interval, upper bound (0–1).")


class OutcomeRowOut(Schema):
    key: str
    label: str
    courses: int
    evaluable: int
    response: RateOut
    remission: RateOut | None = Field(description="null for scales without remission (pain).")
    partial_response: RateOut
    relapse: RateOut = Field(description="Relapses among patients who ever responded.")


class PainRowOut(Schema):
    key: str
    label: str
    courses: int
    evaluable: int
    moderate: RateOut = Field(description="≥ 30 % NRS reduction (IMMPACT).")
    substantial: RateOut = Field(description="≥ 50 % NRS reduction (IMMPACT).")
    mean_change_points: float | None


class CountRowOut(Schema):
    key: str
    label: str
    count: int
    adverse_events: int


class SafetyOut(Schema):
    sessions: int
    safety_alerts: int
    alerts_per_session: float | None
    session_alerts: int
    session_alerts_by_code: list[CountRowOut]
    side_effects: int
    adverse_events: int
    side_effects_by_type: list[CountRowOut]


class BenchmarkOut(Schema):
    source: str
    population: str
    measure: str
    values: str


class FiltersOut(Schema):
    scale: str
    location_id: int | None
    date_from: dt.date | None
    date_to: dt.date | None
    min_sessions: int


class DashboardOut(Schema):
    filters: FiltersOut
    scale_name: str
    has_remission: bool
    remission_rule: str | None = Field(
        None, description="The remission definition used, with its source (MADRS: the clinic's cut-off)."
    )
    overall: OutcomeRowOut
    by_indication: list[OutcomeRowOut]
    by_route: list[OutcomeRowOut]
    by_protocol: list[OutcomeRowOut]
    by_location: list[OutcomeRowOut]
    pain_overall: PainRowOut
    pain_by_indication: list[PainRowOut]
    safety: SafetyOut
    benchmarks: list[BenchmarkOut] = Field(description="clinical-rules.md §6, as published.")


class DashboardFilter(Schema):
    scale: Scale = Field("phq9", description="The outcome scale.")
    location: Id | None = Field(None, description="One of your locations (default: all of yours).")
    date_from: IsoDate | None = Field(None, description="Latest score on or after this day (UTC).")
    date_to: IsoDate | None = Field(None, description="Latest score on or before this day (UTC).")
    min_sessions: int = Field(
        0,
        ge=0,
        le=dashboard.MIN_SESSIONS_INPUT_MAX,
        description="Only patients with at least this many sessions (4 compares with the §6 benchmarks).",
    )


@router.get(
    "/",
    response={200: DashboardOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Clinic outcome rates with Wilson 95 % intervals, pain outcomes, safety figures and benchmarks",
)
def read_dashboard(request: AuthedRequest, filters: Query[DashboardFilter]):  # type: ignore[no-untyped-def]
    if not role_can(request.user.role, "dashboard.view"):
        raise HttpError(403, "Your role does not allow this (dashboard.view).")
    raw = {
        "scale": filters.scale,
        "location": "" if filters.location is None else str(filters.location),
        "date_from": filters.date_from.isoformat() if filters.date_from else "",
        "date_to": filters.date_to.isoformat() if filters.date_to else "",
        "min_sessions": str(filters.min_sessions),
    }
    try:
        parsed = dashboard.parse_filters(
            raw, location_ids=dashboard.visible_locations(request.user).values_list("pk", flat=True)
        )
    except dashboard.FilterError as error:
        raise HttpError(422, f"{error.field}: {error}") from None
    summary = dashboard.summarise(request.user, parsed)
    audit.record(actor=request.user, action="api.dashboard.read", detail=parsed.as_dict())
    return {
        "filters": parsed.as_dict(),
        "scale_name": summary.scale_name,
        "has_remission": summary.has_remission,
        "remission_rule": summary.remission_rule,
        "overall": summary.overall,
        "by_indication": summary.groups["indication"],
        "by_route": summary.groups["route"],
        "by_protocol": summary.groups["protocol_id"],
        "by_location": summary.groups["location"],
        "pain_overall": summary.pain_overall,
        "pain_by_indication": summary.pain_by_indication,
        "safety": summary.safety,
        "benchmarks": summary.benchmarks,
    }
