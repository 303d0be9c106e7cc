"""Clinic admins manage the calendar's resources: settings, chairs and rooms, opening hours, closures, roster shifts.

Each change is one atomic write with its audit event (ARCHITECTURE.md "services"); the admin may only touch the
locations they work at.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import Clinic, Location, User
from ketaclinic.accounts.roles import Role, role_can
from ketaclinic.audit import services as audit
from ketaclinic.scheduling.models import LONGEST_SHIFT, Chair, Closure, OpeningHours, RosterShift, SchedulingSettings

__all__ = ["add_closure", "add_hours", "add_shift", "remove_hours", "remove_shift", "save_chair", "save_settings"]

SETTING_FIELDS = (
    "patients_per_nurse",
    "turnover_min",
    "checkin_min",
    "slot_step_min",
    "closed_on_federal_holidays",
    "late_cancel_notice_h",
    "reminder_early_hours",
    "reminder_day_before_hours",
    "waitlist_offer_hours",
)
#: CLINIC POLICY: the latest a reminder may go out, in hours before the visit (14 days). The published reminder
#: schedules are days, not weeks, before the visit (Sims et al., Psychiatr Serv 2012: SMS 7 and 5 or 7 and 3 days).
REMINDER_MAX_HOURS = 336
CHAIR_FIELDS = ("label", "kind", "has_infusion_pump", "has_monitor", "has_pulse_oximeter", "is_recliner", "is_active")


def _require_admin(by: User, location: Location | None = None, clinic: Clinic | None = None) -> None:
    if not role_can(by.role, "schedule.manage"):
        raise PermissionDenied("Your role does not allow this (schedule.manage).")
    if location is not None and not by.locations.filter(pk=location.pk).exists():
        raise PermissionDenied("You do not manage that location.")
    if clinic is not None and by.clinic_id != clinic.pk:
        raise PermissionDenied("You do not manage that clinic.")


@transaction.atomic
def save_settings(*, by: User, clinic: Clinic, **values: Any) -> SchedulingSettings:
    _require_admin(by, clinic=clinic)
    unknown = set(values) - set(SETTING_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    if values.get("patients_per_nurse") == 0:
        raise ServiceError("A nurse looks after at least one patient.", field="patients_per_nurse")
    if values.get("waitlist_offer_hours") == 0:
        raise ServiceError("An offer stays open at least 1 hour (or leave it empty).", field="waitlist_offer_hours")
    if "slot_step_min" in values and not 5 <= values["slot_step_min"] <= 120:
        raise ServiceError("Offer start times every 5 to 120 minutes.", field="slot_step_min")
    current, _ = SchedulingSettings.objects.select_for_update().get_or_create(clinic=clinic)
    before = {name: getattr(current, name) for name in SETTING_FIELDS}
    _check_reminders(
        values.get("reminder_early_hours", current.reminder_early_hours),
        values.get("reminder_day_before_hours", current.reminder_day_before_hours),
    )
    for name, value in values.items():
        setattr(current, name, value)
    current.updated_at = timezone.now()
    current.save()
    after = {name: getattr(current, name) for name in SETTING_FIELDS}
    changed = {name: [before[name], after[name]] for name in SETTING_FIELDS if before[name] != after[name]}
    audit.record(actor=by, action="schedule.settings", obj=current, detail={"changed": changed})
    return current


def _check_reminders(early: object, day_before: object) -> None:
    """Whole hours, the first reminder before the day-before one, both after the booking and at most two weeks."""
    for name, value in (("reminder_early_hours", early), ("reminder_day_before_hours", day_before)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ServiceError("Give the reminder time in whole hours.", field=name)
        if not 1 <= value <= REMINDER_MAX_HOURS:
            raise ServiceError(f"A reminder goes out 1 to {REMINDER_MAX_HOURS} hours before the visit.", field=name)
    assert isinstance(early, int) and isinstance(day_before, int)
    if early <= day_before:
        raise ServiceError(
            "The first reminder goes out earlier than the day-before reminder: give it more hours.",
            field="reminder_early_hours",
        )


@transaction.atomic
def save_chair(*, by: User, location: Location, chair: Chair | None = None, **values: Any) -> Chair:
    """Add a chair or room (``chair`` None) or change one; a chair in use is taken out of service, never deleted."""
    _require_admin(by, location)
    label = str(values.get("label", chair.label if chair else "")).strip()
    if not label:
        raise ServiceError("Give the chair a label.", field="label")
    clash = Chair.objects.filter(location=location, label=label)
    if chair is not None:
        clash = clash.exclude(pk=chair.pk)
    if clash.exists():
        raise ServiceError(f"{location} already has a chair labelled {label!r}.", field="label")
    if chair is not None and chair.location_id != location.pk:
        raise PermissionDenied("That chair belongs to another location.")
    target = chair or Chair(location=location)
    for name in CHAIR_FIELDS:
        if name in values:
            setattr(target, name, values[name])
    target.label = label
    target.save()
    audit.record(
        actor=by,
        action="schedule.chair_saved" if chair else "schedule.chair_added",
        obj=target,
        detail={name: getattr(target, name) for name in CHAIR_FIELDS},
    )
    return target


@transaction.atomic
def add_hours(*, by: User, location: Location, weekday: int, opens_at: dt.time, closes_at: dt.time) -> OpeningHours:
    _require_admin(by, location)
    if not 0 <= weekday <= 6:
        raise ServiceError("Choose a weekday.", field="weekday")
    if opens_at >= closes_at:
        raise ServiceError("Opening must come before closing.", field="closes_at")
    others = OpeningHours.objects.filter(location=location, weekday=weekday)
    if others.filter(opens_at__lt=closes_at, closes_at__gt=opens_at).exists():
        raise ServiceError("Those hours overlap hours already set for that day.", field="opens_at")
    hours = OpeningHours.objects.create(location=location, weekday=weekday, opens_at=opens_at, closes_at=closes_at)
    audit.record(actor=by, action="schedule.hours_added", obj=hours, detail={"hours": str(hours)})
    return hours


@transaction.atomic
def remove_hours(*, by: User, hours: OpeningHours) -> None:
    _require_admin(by, hours.location)
    audit.record(actor=by, action="schedule.hours_removed", obj=hours, detail={"hours": str(hours)})
    hours.delete()


@transaction.atomic
def add_closure(*, by: User, location: Location, first_day: dt.date, last_day: dt.date, reason: str) -> Closure:
    _require_admin(by, location)
    if first_day > last_day:
        raise ServiceError("The closure ends before it starts.", field="last_day")
    if not reason.strip():
        raise ServiceError("Say why the location is closed.", field="reason")
    closure = Closure.objects.create(
        location=location, first_day=first_day, last_day=last_day, reason=reason.strip(), created_by=by
    )
    audit.record(actor=by, action="schedule.closure_added", obj=closure, detail={"closure": str(closure)})
    return closure


@transaction.atomic
def add_shift(*, by: User, user: User, location: Location, starts_at: dt.datetime, ends_at: dt.datetime) -> RosterShift:
    """Roster a staff member at a location; the shift keeps the role the user has today."""
    _require_admin(by, location)
    if not user.locations.filter(pk=location.pk).exists():
        raise ServiceError(f"{user.display_name} does not work at {location}.", field="user")
    if user.role not in (Role.NURSE, Role.PRESCRIBER, Role.FRONT_DESK, Role.CLINIC_ADMIN):
        raise ServiceError("That user has no workforce role.", field="user")  # pragma: no cover - roles are closed
    if starts_at >= ends_at:
        raise ServiceError("The shift ends before it starts.", field="ends_at")
    if ends_at - starts_at > LONGEST_SHIFT:
        raise ServiceError("A shift is at most 16 hours; enter two shifts.", field="ends_at")
    overlapping = RosterShift.objects.overlapping(starts_at, ends_at).filter(user=user)
    if overlapping.exists():
        raise ServiceError(f"{user.display_name} is already rostered then.", field="starts_at")
    shift = RosterShift.objects.create(
        user=user, location=location, role=user.role, starts_at=starts_at, ends_at=ends_at, created_by=by
    )
    audit.record(actor=by, action="schedule.shift_added", obj=shift, detail={"shift": str(shift)})
    return shift


@transaction.atomic
def remove_shift(*, by: User, shift: RosterShift) -> None:
    _require_admin(by, shift.location)
    audit.record(actor=by, action="schedule.shift_removed", obj=shift, detail={"shift": str(shift)})
    shift.delete()
