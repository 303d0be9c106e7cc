"""Access-scoped reads of the calendar: a user sees the resources and appointments of their own locations only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.http import Http404

from ketaclinic.accounts.models import Location, User
from ketaclinic.domain.scheduling import ROUTE_FOR_KIND, local_day_bounds
from ketaclinic.patients.queries import patients_visible_to
from ketaclinic.plans.models import PlanVersion, SessionOrder, TreatmentPlan
from ketaclinic.scheduling.models import (
    Appointment,
    AppointmentMessage,
    AppointmentQuerySet,
    Chair,
    OpeningHours,
    RosterShift,
    SchedulingSettings,
    WaitingListEntry,
)

LIVE = [str(status) for status in Appointment.LIVE]


def settings_for(location: Location) -> SchedulingSettings:
    """The clinic's scheduling policy, or the defaults (with no nurse ratio) until an admin saves one."""
    found = SchedulingSettings.objects.filter(clinic_id=location.clinic_id).first()
    return found or SchedulingSettings(clinic_id=location.clinic_id)


def locations_of(user: User) -> QuerySet[Location]:
    if not user.is_authenticated or not user.is_active:
        return Location.objects.none()
    return user.locations.filter(is_active=True).select_related("clinic").order_by("name", "pk")


def get_location_for_user(user: User, location_id: int) -> Location:
    location = locations_of(user).filter(pk=location_id).first()
    if location is None:
        raise Http404("No such location.")
    return location


def appointments_visible_to(user: User) -> AppointmentQuerySet:
    return Appointment.objects.filter(location__in=locations_of(user)).select_related("patient", "chair", "location")


def get_appointment_for_user(user: User, appointment_id: int) -> Appointment:
    appointment = appointments_visible_to(user).filter(pk=appointment_id).first()
    if appointment is None:
        raise Http404("No such appointment.")
    return appointment


def chairs_visible_to(user: User) -> QuerySet[Chair]:
    return Chair.objects.filter(location__in=locations_of(user)).select_related("location")


def shifts_visible_to(user: User) -> QuerySet[RosterShift]:
    return RosterShift.objects.filter(location__in=locations_of(user)).select_related("user", "location")


@dataclass(frozen=True)
class Cell:
    appointment: Appointment | None = None
    rowspan: int = 1


@dataclass(frozen=True)
class Row:
    time: dt.time
    cells: list[Cell | None]  # None: covered by an appointment above (no <td>)


@dataclass(frozen=True)
class DayGrid:
    day: dt.date
    chairs: list[Chair]
    rows: list[Row]
    visits: list[Appointment]  # live appointments without a chair
    other: list[Appointment]  # cancelled and no-shows, for the record
    shifts: list[RosterShift]
    hours: list[OpeningHours]
    step_min: int
    appointments: list[Appointment]  # every appointment of the day, for the audit record


def day_grid(location: Location, day: dt.date) -> DayGrid:
    """One location's day: chairs as columns, ``step_min`` rows down the side in the clinic's wall-clock time.

    A constant number of queries whatever the data (chairs, hours, settings, appointments, shifts)."""
    zone = ZoneInfo(location.clinic.timezone)
    step = settings_for(location).slot_step_min
    hours = list(OpeningHours.objects.filter(location=location, weekday=day.weekday()))
    start_utc, end_utc = local_day_bounds(day, location.clinic.timezone)
    appointments = list(
        Appointment.objects.overlapping(start_utc, end_utc)
        .filter(location=location)
        .select_related("patient", "chair", "order")
        .order_by("starts_at", "pk")
    )
    chairs = list(
        Chair.objects.filter(location=location).filter(
            Q(is_active=True) | Q(pk__in={a.chair_id for a in appointments if a.chair_id})
        )
    )
    live = [a for a in appointments if a.status in LIVE]

    def wall(moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(zone).replace(tzinfo=None)

    opens = [dt.datetime.combine(day, h.opens_at) for h in hours] or [dt.datetime.combine(day, dt.time(7))]
    closes = [dt.datetime.combine(day, h.closes_at) for h in hours] or [dt.datetime.combine(day, dt.time(19))]
    first = min([*opens, *(max(wall(a.starts_at), dt.datetime.combine(day, dt.time(0))) for a in live)])
    last = max([*closes, *(min(wall(a.ends_at), dt.datetime.combine(day, dt.time(23, 59))) for a in live)])
    first = first.replace(minute=first.minute - first.minute % step)
    steps = max(1, -(-int((last - first).total_seconds() // 60) // step))
    columns: list[list[Cell | None]] = []
    for chair in chairs:
        column: list[Cell | None] = [Cell() for _ in range(steps)]
        for appointment in (a for a in live if a.chair_id == chair.pk):
            top = max(0, int((wall(appointment.starts_at) - first).total_seconds() // 60) // step)
            bottom = min(steps, -(-int((wall(appointment.ends_at) - first).total_seconds() // 60) // step))
            if top >= steps or column[top] is None or column[top].appointment is not None:  # type: ignore[union-attr]
                continue  # an overlap the rules would have refused; the list below the grid still shows it
            column[top] = Cell(appointment, max(1, bottom - top))
            for index in range(top + 1, bottom):
                column[index] = None
        columns.append(column)
    rows = [
        Row((first + dt.timedelta(minutes=step * index)).time(), [column[index] for column in columns])
        for index in range(steps)
    ]
    shifts = list(
        RosterShift.objects.overlapping(start_utc, end_utc)
        .filter(location=location)
        .select_related("user")
        .order_by("starts_at")
    )
    return DayGrid(
        day=day,
        chairs=chairs,
        rows=rows,
        visits=[a for a in live if a.chair_id is None],
        other=[a for a in appointments if a.status not in LIVE],
        shifts=shifts,
        hours=hours,
        step_min=step,
        appointments=appointments,
    )


def series_candidates(user: User, location: Location) -> QuerySet[PlanVersion]:
    """Signed versions of active plans of this location's patients that still have open session orders (each
    can be booked as a series)."""
    return (
        PlanVersion.objects.filter(
            status=PlanVersion.Status.SIGNED,
            plan__status=TreatmentPlan.Status.ACTIVE,
            plan__patient__in=patients_visible_to(user).filter(location=location),
            orders__status=SessionOrder.Status.OPEN,
            route__in=list(ROUTE_FOR_KIND.values()),
        )
        .distinct()
        .select_related("plan__patient")
        .order_by("plan__patient__family_name", "pk")[:50]
    )


def get_reschedule_request_for_user(user: User, message_id: int) -> AppointmentMessage:
    """A patient's request for another time, at one of the user's locations (404 otherwise)."""
    found = (
        AppointmentMessage.objects.filter(pk=message_id, appointment__in=appointments_visible_to(user))
        .select_related("appointment__location__clinic", "appointment__patient")
        .first()
    )
    if found is None:
        raise Http404("No such request.")
    return found


def waiting_entries_visible_to(user: User) -> QuerySet[WaitingListEntry]:
    """Waiting-list entries at the user's locations, of patients the user may see."""
    return WaitingListEntry.objects.filter(
        location__in=locations_of(user), patient__in=patients_visible_to(user)
    ).select_related("patient", "location__clinic", "plan_version", "appointment")


def get_waiting_entry_for_user(user: User, entry_id: int) -> WaitingListEntry:
    found = waiting_entries_visible_to(user).filter(pk=entry_id).first()
    if found is None:
        raise Http404("No such waiting-list entry.")
    return found
