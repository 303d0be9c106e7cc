"""The booking rules of a ketamine clinic's calendar: every refusal names its rule and where the rule comes from.

Pure: the caller (scheduling.services) loads the facts (opening hours, closures, rosters, the chair's and the patient's
other appointments) and passes them in; ``check`` collects every problem at once (STYLE.md, Medplum) so the front
desk sees all of them. Times are aware datetimes (UTC in storage); opening hours and closures are local to the
location's time zone, so an appointment is converted to local time before it is compared with them, which keeps
the rules right across the daylight-saving changes.

Sources: knowledge/scheduling.md (keys S1…S44 in its §8).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ketaclinic.domain.controlled.deadlines import federal_holidays
from ketaclinic.domain.scheduling.kinds import CHAIR_KINDS, REQUIRED_EQUIPMENT, VIRTUAL_KINDS

__all__ = [
    "RULES",
    "BookingFacts",
    "ChairFacts",
    "Closure",
    "Interval",
    "OpenHours",
    "Refusal",
    "check",
    "covered",
    "overlaps",
]


@dataclass(frozen=True)
class Interval:
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class OpenHours:
    weekday: int  # Monday = 0, as datetime.date.weekday()
    opens: dt.time
    closes: dt.time


@dataclass(frozen=True)
class Closure:
    first_day: dt.date
    last_day: dt.date
    reason: str


@dataclass(frozen=True)
class ChairFacts:
    location_id: int
    is_room: bool = False
    equipment: frozenset[str] = frozenset()
    active: bool = True


@dataclass(frozen=True)
class Refusal:
    rule: str
    message: str
    source: str
    field: str | None = None

    def __str__(self) -> str:
        return f"{self.message} [{self.rule}; {self.source}]"


# Rule code → where it comes from. Each refusal carries its code and this source.
RULES = {
    "not_in_past": "common sense, enforced: an appointment cannot start in the past",
    "opening_hours": "clinic setting: the location's opening hours",
    "closure": "clinic setting: the location's closures",
    "federal_holiday": "5 U.S.C. 6103(a) federal holidays as observed, a clinic setting",
    "chair_required": "a treatment session sits in a chair",
    "chair_not_for_kind": "visits take staff time but no chair; telehealth takes no room",
    "chair_location": "the chair must belong to the booking's location",
    "chair_inactive": "the chair has been taken out of service",
    "equipment": "the chair must have the equipment the kind needs",
    "chair_free": "one patient per chair at a time",
    "patient_free": "the patient cannot be in two places at once",
    "nurse_ratio_unset": "no published nurse-to-chair ratio exists (clinic policy): the clinic must set its own",
    "nurse_ratio": "clinic policy: patients in chairs per rostered nurse (no published ratio exists)",
    "prescriber_onsite": "Spravato REMS (FDA, 2024): a prescriber onsite during administration and monitoring",
    "rems_enrolment": "Spravato REMS (FDA, 2024): the patient is enrolled before the first treatment",
    "signed_plan": "a session needs a signed plan with an open order",
}


def refusal(rule: str, message: str, field: str | None = None) -> Refusal:
    return Refusal(rule, message, RULES[rule], field)


@dataclass(frozen=True)
class BookingFacts:
    """Everything the rules need about one proposed appointment."""

    kind: str
    start: dt.datetime
    end: dt.datetime
    now: dt.datetime
    location_id: int
    time_zone: str
    hours: Sequence[OpenHours] = ()
    closures: Sequence[Closure] = ()
    closed_on_federal_holidays: bool = True
    chair: ChairFacts | None = None
    chair_busy: Sequence[Interval] = ()  # the chair's other live appointments
    patient_busy: Sequence[Interval] = ()  # the patient's other live appointments, anywhere
    sessions_in_chairs: Sequence[Interval] = ()  # other chair sessions at the location
    nurse_shifts: Sequence[Interval] = ()
    prescriber_shifts: Sequence[Interval] = ()
    patients_per_nurse: int | None = None  # the clinic's ratio; None = not set
    rems_enrolled: bool = False
    order_problem: str | None = None  # why the session order cannot be booked, "" / None when it can


def overlaps(a: Interval, b: Interval) -> bool:
    """Half-open [start, end): one appointment ending at 10:00 and the next starting at 10:00 do not overlap."""
    return a.start < b.end and b.start < a.end


def covered(shifts: Sequence[Interval], window: Interval) -> bool:
    """True when the union of ``shifts`` covers the whole window (back-to-back shifts count as one)."""
    reached = window.start
    for shift in sorted(shifts, key=lambda s: s.start):
        if shift.start > reached:
            break
        reached = max(reached, shift.end)
    return reached >= window.end


def _local(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return moment.astimezone(zone)


def _hours_problems(facts: BookingFacts, zone: ZoneInfo) -> list[Refusal]:
    start, end = _local(facts.start, zone), _local(facts.end, zone)
    for hours in facts.hours:
        same_day = hours.weekday == start.weekday() and end.date() == start.date()
        if same_day and hours.opens <= start.time() and end.time() <= hours.closes:
            return []
    shown = ", ".join(f"{h.opens:%H:%M}–{h.closes:%H:%M}" for h in facts.hours if h.weekday == start.weekday())
    return [
        refusal(
            "opening_hours",
            f"{start:%a %d %b %H:%M}–{end:%H:%M} is outside the location's opening hours"
            + (f" ({shown})." if shown else " (closed that weekday)."),
            "start",
        )
    ]


def _closure_problems(facts: BookingFacts, zone: ZoneInfo) -> list[Refusal]:
    day = _local(facts.start, zone).date()
    for closure in facts.closures:
        if closure.first_day <= day <= closure.last_day:
            return [refusal("closure", f"The location is closed on {day:%d %b %Y}: {closure.reason}.", "start")]
    if facts.closed_on_federal_holidays and day in federal_holidays(day.year):
        return [refusal("federal_holiday", f"{day:%d %b %Y} is a federal holiday; the location is closed.", "start")]
    return []


def _chair_problems(facts: BookingFacts, window: Interval) -> list[Refusal]:
    chair, kind = facts.chair, facts.kind
    if chair is None:
        if kind in CHAIR_KINDS:
            return [refusal("chair_required", "Choose a chair for a treatment session.", "chair")]
        return []
    if kind in VIRTUAL_KINDS or (kind not in CHAIR_KINDS and not chair.is_room):
        return [refusal("chair_not_for_kind", f"A {kind.replace('_', ' ')} appointment takes no chair.", "chair")]
    if chair.location_id != facts.location_id:
        return [refusal("chair_location", "That chair belongs to another location.", "chair")]
    problems = []
    if not chair.active:
        problems.append(refusal("chair_inactive", "That chair is out of service.", "chair"))
    if kind in CHAIR_KINDS and chair.is_room:
        problems.append(refusal("chair_required", "A treatment session needs a chair, not a room.", "chair"))
    for item, why in REQUIRED_EQUIPMENT.get(kind, ()):
        if item not in chair.equipment:
            problems.append(refusal("equipment", f"The chair has no {item.replace('_', ' ')}: {why}.", "chair"))
    if any(overlaps(window, busy) for busy in facts.chair_busy):
        problems.append(refusal("chair_free", "That chair is already booked at that time: the slot is gone.", "start"))
    return problems


def _ratio_problems(facts: BookingFacts, window: Interval, zone: ZoneInfo) -> list[Refusal]:
    if facts.patients_per_nurse is None:
        return [
            refusal(
                "nurse_ratio_unset",
                "Set the clinic's patients-per-nurse ratio (Scheduling settings) before booking chair sessions.",
            )
        ]
    # The count of patients in chairs and of nurses on shift changes only at these moments inside the window.
    moments = {window.start}
    for other in (*facts.sessions_in_chairs, *facts.nurse_shifts):
        for edge in (other.start, other.end):
            if window.start < edge < window.end:
                moments.add(edge)
    for moment in sorted(moments):
        in_chairs = 1 + sum(1 for s in facts.sessions_in_chairs if s.start <= moment < s.end)
        nurses = sum(1 for s in facts.nurse_shifts if s.start <= moment < s.end)
        if in_chairs > facts.patients_per_nurse * nurses:
            return [
                refusal(
                    "nurse_ratio",
                    f"At {_local(moment, zone):%H:%M} there would be {in_chairs} patient(s) in chairs and "
                    f"{nurses} nurse(s) rostered; the clinic allows {facts.patients_per_nurse} per nurse.",
                    "start",
                )
            ]
    return []


def check(facts: BookingFacts) -> list[Refusal]:
    """Every rule the proposed appointment breaks (empty: it may be booked)."""
    zone = ZoneInfo(facts.time_zone)
    window = Interval(facts.start, facts.end)
    problems: list[Refusal] = []
    if facts.start < facts.now:
        problems.append(refusal("not_in_past", "That time has already passed.", "start"))
    if facts.kind not in VIRTUAL_KINDS:
        problems += _hours_problems(facts, zone)
        problems += _closure_problems(facts, zone)
    problems += _chair_problems(facts, window)
    if any(overlaps(window, busy) for busy in facts.patient_busy):
        problems.append(refusal("patient_free", "The patient already has an appointment at that time.", "start"))
    if facts.kind in CHAIR_KINDS:
        if facts.order_problem:
            problems.append(refusal("signed_plan", facts.order_problem, "order"))
        problems += _ratio_problems(facts, window, zone)
    if facts.kind == "esketamine":
        if not facts.rems_enrolled:
            problems.append(
                refusal("rems_enrolment", "Record the patient's Spravato REMS enrolment (Consents) first.", "patient")
            )
        if not covered(facts.prescriber_shifts, window):
            problems.append(
                refusal(
                    "prescriber_onsite",
                    "No prescriber is rostered onsite for the whole administration and monitoring window.",
                    "start",
                )
            )
    return problems
