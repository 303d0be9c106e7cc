"""The demo clinic's calendar: chairs and rooms, opening hours, the scheduling policy, a week of roster and a
realistic week of appointments, all made through the scheduling services (so every row is audited and passes the
booking rules).

The week starts tomorrow in the clinic's time zone (the calendar refuses bookings in the past): the signed IV plans
are booked as series from their first session (twice a week per the protocol, at staggered preferred times), new
patients get consultations and follow-ups, and two appointments are cancelled with a reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.models import Location, User
from ketaclinic.demo import intake as demo_intake
from ketaclinic.demo import plans as plans_demo
from ketaclinic.patients.models import Patient
from ketaclinic.plans.models import PlanVersion, TreatmentPlan
from ketaclinic.scheduling import services
from ketaclinic.scheduling.models import Appointment
from ketaclinic.scheduling.services import series

FULL: dict[str, Any] = {"has_infusion_pump": True, "has_monitor": True, "has_pulse_oximeter": True, "is_recliner": True}
# (label, equipment) per location index: Main has four infusion chairs, Lakeside three; each has a consulting room.
CHAIRS: dict[int, list[tuple[str, dict[str, Any]]]] = {
    0: [("Chair 1", FULL), ("Chair 2", FULL), ("Chair 3", FULL), ("Chair 4", {**FULL, "has_infusion_pump": False})],
    1: [("Bay A", FULL), ("Bay B", FULL), ("Bay C", FULL)],
}
ROOMS = {0: "Consult room", 1: "Room 1"}
# Weekday → (opens, closes): Main Mon–Fri 08–18 and Saturday mornings; Lakeside Mon–Fri 09–17.
HOURS = {
    0: {**{d: (dt.time(8), dt.time(18)) for d in range(5)}, 5: (dt.time(9), dt.time(13))},
    1: {d: (dt.time(9), dt.time(17)) for d in range(5)},
}
PREFERRED = [dt.time(9), dt.time(10, 30), dt.time(13), dt.time(14, 30), dt.time(8, 30), dt.time(11), dt.time(15, 30)]
SERIES_PATIENTS = {0: 5, 1: 4}  # extra IV-series patients at Main and Lakeside
VISITS = [("consultation", dt.time(9)), ("follow_up", dt.time(11, 30)), ("consultation", dt.time(14))]


def _roster(
    admin: User, users: dict[str, User], locations: list[Location], days: list[dt.date], zone: ZoneInfo
) -> None:
    for day in days:
        for index, location in enumerate(locations):
            hours = HOURS[index].get(day.weekday())
            if hours is None:
                continue
            start = dt.datetime.combine(day, hours[0], tzinfo=zone) - dt.timedelta(minutes=30)
            end = dt.datetime.combine(day, hours[1], tzinfo=zone) + dt.timedelta(minutes=30)
            people = [users["nurse"] if index == 0 else users["nurse.lakeside"]]
            # The MD works Main on Mon/Wed/Fri/Sat and Lakeside on Tue/Thu; the NP is at Lakeside every day.
            md_here = (index == 0) == (day.weekday() in (0, 2, 4, 5))
            people += [users["prescriber"]] if md_here else []
            people += [users["prescriber.np"]] if index == 1 else []
            people += [users["frontdesk"]] if index == 0 else []
            for person in people:
                services.add_shift(by=admin, user=person, location=location, starts_at=start, ends_at=end)


def load(*, locations: list[Location], users: dict[str, User]) -> list[Appointment]:
    """Called once from ``demo.clinic.load`` after the plans exist. Returns the appointments booked."""
    admin, desk = users["admin"], users["frontdesk"]
    clinic = locations[0].clinic
    zone = ZoneInfo(clinic.timezone)
    services.save_settings(
        by=admin,
        clinic=clinic,
        patients_per_nurse=4,  # the demo clinic's own choice: no published ratio exists (scheduling.md §4)
        turnover_min=15,
        checkin_min=15,
        slot_step_min=15,
        closed_on_federal_holidays=True,
    )
    for index, location in enumerate(locations):
        for label, equipment in CHAIRS[index]:
            services.save_chair(by=admin, location=location, label=label, **equipment)
        services.save_chair(by=admin, location=location, label=ROOMS[index], kind="room")
        for weekday, (opens, closes) in HOURS[index].items():
            services.add_hours(by=admin, location=location, weekday=weekday, opens_at=opens, closes_at=closes)
    today = timezone.now().astimezone(zone).date()
    week = [today + dt.timedelta(days=n) for n in range(1, 8)]
    _roster(admin, users, locations, [today + dt.timedelta(days=n) for n in range(1, 29)], zone)

    # More patients in an IV series than the intake demo's one: each goes through intake, eligibility and a plan.
    for index, location in enumerate(locations):
        nurse = users["nurse"] if index == 0 else users["nurse.lakeside"]
        for patient in demo_intake.unflagged_patients(location, SERIES_PATIENTS[index], skip=3 if index == 0 else 0):
            demo_intake.sign_eligible(patient, nurse, users["prescriber"])
            plans_demo.sign_iv_plan(users["prescriber"], patient)
    booked: list[Appointment] = []
    versions = PlanVersion.objects.filter(
        status=PlanVersion.Status.SIGNED, plan__status=TreatmentPlan.Status.ACTIVE
    ).select_related("plan__patient__location")
    for number, version in enumerate(versions.order_by("pk")):
        patient = version.plan.patient
        start = week[number % 3]
        preferred = (PREFERRED[number % len(PREFERRED)],)
        try:
            booked += series.book_series(
                by=desk, version=version, location=patient.location, start_date=start, preferred_times=preferred
            )
        except ServiceError:
            continue  # a series that does not fit this month's calendar stays for the front desk to place
    with_plans = {a.patient_id for a in booked}
    newcomers = Patient.objects.exclude(pk__in=with_plans).select_related("location").order_by("pk")[:14]
    for number, patient in enumerate(newcomers):
        kind, at = VISITS[number % len(VISITS)]
        for attempt in range(4):
            day = week[(number + attempt) % len(week)]
            start = dt.datetime.combine(day, at, tzinfo=zone) + dt.timedelta(minutes=30 * (number % 4))
            try:
                booked.append(
                    services.book(by=desk, patient=patient, kind=kind, location=patient.location, start=start)
                )
                break
            except ServiceError:
                continue
    visits = [a for a in booked if a.chair_id is None]
    for appointment, reason in zip(visits[:2], ("Patient has a work conflict", "Patient unwell"), strict=False):
        services.cancel(by=desk, appointment=appointment, reason=reason)
    return booked
