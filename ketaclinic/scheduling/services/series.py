"""Booking a whole treatment series from a signed plan version in one step (issue 17; CONTRACTS.md §6 series).

``propose`` finds, for every open order not yet booked, a day (the plan's rhythm moved to the chosen start,
``domain.scheduling.series``), a time (the preferred times in order) and a chair that pass the same pure rules as a
single booking; the facts are loaded once and each placed session is added to them, so the sessions of one series
never collide with one another. ``book_series`` books the proposal in one transaction through ``booking.book``
(each booking re-checked under its locks): all sessions or none.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.domain import scheduling as rules
from ketaclinic.patients.queries import patients_visible_to
from ketaclinic.plans.evaluation import effective_protocol
from ketaclinic.plans.models import PlanVersion, SessionOrder, TreatmentPlan
from ketaclinic.scheduling.hooks import ProposedBooking
from ketaclinic.scheduling.models import Appointment, Chair
from ketaclinic.scheduling.queries import LIVE
from ketaclinic.scheduling.services.booking import (
    Proposal,
    blocks_or_override,
    book,
    facts_for,
    record_override,
    timing_for,
)

__all__ = ["KIND_FOR_ROUTE", "Placement", "SeriesNotPlaceable", "book_series", "propose", "suggested_start"]

KIND_FOR_ROUTE = {route: kind for kind, route in rules.ROUTE_FOR_KIND.items()}
DEFAULT_TIMES = (dt.time(9), dt.time(11), dt.time(13), dt.time(15))


class SeriesNotPlaceable(ServiceError):
    """Some sessions of the series cannot be placed; ``problems`` has one sentence per session (nothing written)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("These sessions cannot be placed: " + " | ".join(problems), field="start_date")
        self.problems = problems


@dataclass(frozen=True)
class Placement:
    order: SessionOrder
    start: dt.datetime
    end: dt.datetime
    chair: Chair


def _check_version(by: User, version: PlanVersion) -> str:
    if not role_can(by.role, "schedule.book"):
        raise PermissionDenied("Your role does not allow this (schedule.book).")
    if not patients_visible_to(by).filter(pk=version.plan.patient_id).exists():
        raise PermissionDenied("That patient is not one you can see.")
    if version.status != PlanVersion.Status.SIGNED:
        raise ServiceError(f"Plan version {version.version} is not signed.", field="plan_version_id")
    if version.plan.status != TreatmentPlan.Status.ACTIVE:
        raise ServiceError("The treatment plan has been stopped.", field="plan_version_id")
    kind = KIND_FOR_ROUTE.get(version.route)
    if kind is None:
        raise ServiceError(f"A {version.route} plan is not booked in a chair at the clinic.", field="plan_version_id")
    return kind


def propose(
    *,
    by: User,
    version: PlanVersion,
    location: Location,
    start_date: dt.date,
    preferred_times: tuple[dt.time, ...] = (),
) -> list[Placement]:
    """Where every open, unbooked order of the signed version would go; ServiceError naming each session that
    cannot be placed (nothing is written either way)."""
    kind = _check_version(by, version)
    if not by.locations.filter(pk=location.pk).exists():
        raise PermissionDenied("You do not work at that location.")
    patient = version.plan.patient
    booked = Appointment.objects.filter(order__plan_version=version, status__in=LIVE).values_list("order_id", flat=True)
    orders = list(
        version.orders.filter(status=SessionOrder.Status.OPEN).exclude(pk__in=list(booked)).order_by("session_number")
    )
    if not orders:
        raise ServiceError("Every session of this plan version is booked, given or cancelled.", field="plan_version_id")
    zone = ZoneInfo(location.clinic.timezone)
    today = timezone.now().astimezone(zone).date()
    if start_date < today:
        raise ServiceError("The series cannot start in the past.", field="start_date")
    protocol, _ = effective_protocol(location.clinic, version.protocol_id)
    # IV/IM: the protocol's most sessions a week; esketamine: the label's induction, twice a week (the most it has).
    most_per_week = protocol.series_sessions_per_week_max or (
        protocol.esketamine.induction_sessions_per_week if protocol.esketamine else None
    )
    min_gap = rules.min_gap_days(most_per_week)
    already = _last_booked(version, zone)
    days = rules.shifted_days([o.target_date for o in orders], start_date)
    horizon = days[-1] + dt.timedelta(days=3)
    first, _ = rules.local_day_bounds(start_date - dt.timedelta(days=1), location.clinic.timezone)
    _, last = rules.local_day_bounds(horizon, location.clinic.timezone)
    base = facts_for(
        Proposal(kind=kind, location=location, start=first, end=last, chair=None, patient=patient, order_problem=None)
    )
    chairs = list(Chair.objects.filter(location=location, kind=Chair.Kind.CHAIR, is_active=True))
    busy: dict[int, list[rules.Interval]] = {chair.pk: [] for chair in chairs}
    for chair_id, starts_at, ends_at in (
        Appointment.objects.overlapping(first, last)
        .filter(chair__in=chairs, status__in=LIVE)
        .values_list("chair_id", "starts_at", "ends_at")
    ):
        busy[chair_id].append(rules.Interval(starts_at, ends_at))
    times = preferred_times or DEFAULT_TIMES
    placements: list[Placement] = []
    problems: list[str] = []
    # Sessions of this version already booked count: the next one keeps its spacing from the last of them.
    previous, previous_target = already if already else (None, None)
    for order, day in zip(orders, days, strict=True):
        duration = rules.booked_duration(kind, timing_for(kind, location, order))
        gap = (order.target_date - previous_target).days if previous_target else None
        placed = None
        last_refusals: list[rules.Refusal] = []
        for option in rules.candidate_days(
            day, previous=previous, planned_gap_days=gap, min_gap=min_gap, not_before=today
        ):
            for wall in times:
                start = dt.datetime.combine(option, wall, tzinfo=zone).astimezone(dt.UTC)
                for chair in chairs:
                    facts = dataclasses.replace(
                        base,
                        start=start,
                        end=start + duration.delta,
                        now=timezone.now(),
                        chair=rules.ChairFacts(chair.location_id, False, chair.equipment, chair.is_active),
                        chair_busy=busy[chair.pk],
                    )
                    refusals = rules.check(facts)
                    if not refusals:
                        placed = Placement(order, facts.start, facts.end, chair)
                        break
                    last_refusals = refusals
                if placed:
                    break
            if placed:
                break
        if placed is None:
            why = " ".join(sorted({r.message for r in last_refusals})) or "No day within the series' spacing."
            problems.append(f"Session {order.session_number} (around {day:%a %d %b}): {why}")
            previous, previous_target = day, order.target_date
            continue
        placements.append(placed)
        interval = rules.Interval(placed.start, placed.end)
        busy[placed.chair.pk].append(interval)
        base = dataclasses.replace(
            base,
            patient_busy=[*base.patient_busy, interval],
            sessions_in_chairs=[*base.sessions_in_chairs, interval],
        )
        previous, previous_target = placed.start.astimezone(zone).date(), order.target_date
    if problems:
        raise SeriesNotPlaceable(problems)
    return placements


def _last_booked(version: PlanVersion, zone: ZoneInfo) -> tuple[dt.date, dt.date] | None:
    """The local day and the order's target date of the version's latest live appointment, if any."""
    last = (
        Appointment.objects.filter(order__plan_version=version, status__in=LIVE)
        .select_related("order")
        .order_by("-starts_at")
        .first()
    )
    if last is None or last.order is None:
        return None
    return last.starts_at.astimezone(zone).date(), last.order.target_date


def suggested_start(version: PlanVersion, zone: ZoneInfo, today: dt.date) -> dt.date:
    """Where the rest of the series should start: the plan's gap after the last booked session, else tomorrow."""
    already = _last_booked(version, zone)
    following = version.orders.filter(status=SessionOrder.Status.OPEN).exclude(appointments__status__in=LIVE)
    upcoming = following.order_by("session_number").first()
    if already is None or upcoming is None:
        return today + dt.timedelta(days=1)
    booked_day, booked_target = already
    return max(today + dt.timedelta(days=1), booked_day + (upcoming.target_date - booked_target))


def book_series(
    *,
    by: User,
    version: PlanVersion,
    location: Location,
    start_date: dt.date,
    preferred_times: tuple[dt.time, ...] = (),
    placements: list[Placement] | None = None,
    override_reason: str = "",
) -> list[Appointment]:
    """Book the proposal (or ``placements`` the staff adjusted) all at once: every session or none.

    The series is checked against the blocks of the apps above the calendar as a whole (a prior authorisation it
    would exceed): refused (``BookingNeedsOverride``) unless ``override_reason`` is given, then audited once."""
    chosen = placements or propose(
        by=by, version=version, location=location, start_date=start_date, preferred_times=preferred_times
    )
    kind = _check_version(by, version)
    patient = version.plan.patient
    with transaction.atomic():
        asked = [ProposedBooking(kind, p.start, p.order.dose_mg, p.order.devices) for p in chosen]
        blocks, override_reason = blocks_or_override(patient, asked, override_reason)
        appointments = [
            book(
                by=by,
                patient=patient,
                kind=kind,
                location=location,
                start=placement.start,
                chair=placement.chair,
                order=placement.order,
                blocks_checked=True,
            )
            for placement in chosen
        ]
        if blocks:
            ids = [a.pk for a in appointments]
            record_override(
                by=by, obj=version, patient=patient, blocks=blocks, reason=override_reason, appointments=ids
            )
        audit.record(
            actor=by,
            action="schedule.series_booked",
            obj=version,
            patient_id=version.plan.patient_id,
            detail={"appointments": [a.pk for a in appointments], "start_date": start_date.isoformat()},
        )
    return appointments
