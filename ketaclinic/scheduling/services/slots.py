"""Free slots (CONTRACTS.md §6 ``GET /api/v1/schedule/slots``): every start that ``booking.book`` would accept.

Read-only. The facts are loaded once for the whole range (a constant number of queries), and each candidate start
and chair is put through the same pure ``check`` that ``book`` applies, so a slot offered here is refused later only
if someone took it meanwhile (the API then answers 409).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.models import Location
from ketaclinic.domain import scheduling as rules
from ketaclinic.patients.models import Patient
from ketaclinic.plans.models import SessionOrder
from ketaclinic.scheduling.models import Appointment, Chair
from ketaclinic.scheduling.queries import LIVE, settings_for
from ketaclinic.scheduling.services.booking import Proposal, facts_for, order_problem, timing_for

__all__ = ["MAX_DAYS", "MAX_SLOTS", "Slot", "free_slots"]

MAX_DAYS = 21  # a three-week series is the longest search the front desk needs (issue 17 benchmark)
MAX_SLOTS = 500


@dataclass(frozen=True)
class Slot:
    start: dt.datetime
    end: dt.datetime
    chair_id: int | None
    chair_label: str | None


def free_slots(
    *,
    location: Location,
    kind: str,
    date_from: dt.date,
    date_to: dt.date,
    patient: Patient | None = None,
    order: SessionOrder | None = None,
) -> list[Slot]:
    if kind not in rules.KINDS:
        raise ServiceError(f"Unknown appointment kind {kind!r}.", field="kind")
    if date_to < date_from:
        raise ServiceError("date_to is before date_from.", field="date_to")
    if (date_to - date_from).days >= MAX_DAYS:
        raise ServiceError(f"Search at most {MAX_DAYS} days at a time.", field="date_to")
    if kind in rules.CHAIR_KINDS and order is None:
        raise ServiceError("order_id is needed: a session's length comes from its order.", field="order_id")
    if order is not None and kind not in rules.CHAIR_KINDS:
        raise ServiceError("Only a treatment session is booked against a session order.", field="order_id")
    if order is not None and patient is not None:
        problem = order_problem(kind, patient, order)
        if problem:
            raise ServiceError(problem, field="order_id")
    duration = rules.booked_duration(kind, timing_for(kind, location, order))
    zone = location.clinic.timezone
    first, _ = rules.local_day_bounds(date_from, zone)
    _, last = rules.local_day_bounds(date_to, zone)
    chairs: list[Chair | None]
    if kind in rules.CHAIR_KINDS:
        chairs = list(Chair.objects.filter(location=location, kind=Chair.Kind.CHAIR, is_active=True))
    else:
        chairs = [None]  # staff time only (a room can be chosen when booking)
    # One load for the whole range: the same facts ``book`` sees, with the range as the window.
    base = facts_for(
        Proposal(kind=kind, location=location, start=first, end=last, chair=None, patient=patient, order_problem=None)
    )
    if patient is None:  # no patient yet: their own rules (REMS, double booking) are checked at booking
        base = dataclasses.replace(base, rems_enrolled=True)
    busy = _chair_busy(location, first, last)
    chair_facts = {chair.pk: _chair_facts(chair) for chair in chairs if chair is not None}
    step = _step(location)
    now = timezone.now()
    slots: list[Slot] = []
    day = date_from
    while day <= date_to and len(slots) < MAX_SLOTS:
        candidates = rules.candidate_starts(day, zone, base.hours, minutes=duration.minutes, step_min=step)
        starts = [s for s in candidates if s >= now]
        if not starts:
            day += dt.timedelta(days=1)
            continue
        # Interval arithmetic first: only the intervals that overlap this day's candidates can matter to the
        # rules (each only looks at intervals overlapping the proposed window), so the day's facts keep those.
        span = rules.Interval(starts[0], starts[-1] + duration.delta)
        day_base = dataclasses.replace(
            base,
            patient_busy=_within(base.patient_busy, span),
            sessions_in_chairs=_within(base.sessions_in_chairs, span),
            nurse_shifts=_within(base.nurse_shifts, span),
            prescriber_shifts=_within(base.prescriber_shifts, span),
        )
        day_busy = {pk: _within(intervals, span) for pk, intervals in busy.items()}
        for start in starts:
            window = rules.Interval(start, start + duration.delta)
            for chair in chairs:
                chair_busy = day_busy.get(chair.pk, []) if chair is not None else []
                if any(rules.overlaps(window, taken) for taken in chair_busy):
                    continue  # the chair is taken: ``check`` would refuse it (chair_free), no need to ask
                facts = dataclasses.replace(
                    day_base,
                    start=start,
                    end=window.end,
                    now=now,
                    chair=None if chair is None else chair_facts[chair.pk],
                    chair_busy=chair_busy,
                )
                if not rules.check(facts):
                    slots.append(
                        Slot(facts.start, facts.end, chair.pk if chair else None, chair.label if chair else None)
                    )
        day += dt.timedelta(days=1)
    return slots[:MAX_SLOTS]


def _within(intervals: Sequence[rules.Interval], span: rules.Interval) -> list[rules.Interval]:
    """The intervals overlapping ``span`` (half-open, as the rules compare them)."""
    return [interval for interval in intervals if rules.overlaps(interval, span)]


def _step(location: Location) -> int:
    return settings_for(location).slot_step_min


def _chair_facts(chair: Chair) -> rules.ChairFacts:
    return rules.ChairFacts(
        location_id=chair.location_id,
        is_room=chair.kind == Chair.Kind.ROOM,
        equipment=chair.equipment,
        active=chair.is_active,
    )


def _chair_busy(location: Location, start: dt.datetime, end: dt.datetime) -> dict[int, list[rules.Interval]]:
    busy: dict[int, list[rules.Interval]] = {}
    rows = (
        Appointment.objects.overlapping(start, end)
        .filter(location=location, chair__isnull=False, status__in=LIVE)
        .values_list("chair_id", "starts_at", "ends_at")
    )
    for chair_id, starts_at, ends_at in rows:
        busy.setdefault(chair_id, []).append(rules.Interval(starts_at, ends_at))
    return busy
