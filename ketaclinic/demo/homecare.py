"""The demo's supervised home programme: one sublingual-troche patient at Main Street with the clinic's thresholds
set, a refused check-in (blood pressure above the limit), a cleared one with its dose and post-dose check, and a
planted count discrepancy (3 doses counted where 5 are expected) that opens the prescriber's review task, and a
telehealth integration visit in the coming week with its video link.

The thresholds the demo clinic sets (160/90 mmHg, pulse 100) are one programme's published stop ("Do not proceed with
a remote session if your blood pressure is above 160/90 or your heart rate is above 100", Choose Ketamine, Remote
Treatment Agreement): a clinic-policy choice for the demo, not a standard.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.models import Location, User
from ketaclinic.demo import intake as demo_intake
from ketaclinic.homecare import services as homecare
from ketaclinic.intake.services import assessment as intake
from ketaclinic.intake.services import decisions
from ketaclinic.patients import services as patients
from ketaclinic.patients.models import Patient, clinic_date
from ketaclinic.scheduling import services as scheduling
from ketaclinic.scheduling.models import Appointment


def load(*, locations: list[Location], users: dict[str, User]) -> None:
    main, prescriber, nurse = locations[0], users["prescriber"], users["nurse"]
    patient = patients.create_patient(
        by=None,
        location=main,
        primary_clinician=prescriber,
        data={
            "given_name": "Morgan",
            "family_name": "Hale",
            "date_of_birth": dt.date(1984, 6, 12),
            "sex": "female",
            "phone": "(217) 555-0177",
            "email": "morgan.hale@example.org",
        },
    )
    draft = demo_intake._intake(patient, nurse, routes=["sublingual"])
    signed = intake.submit_assessment(by=nurse, assessment=draft)
    decisions.sign_decision(by=prescriber, assessment=signed, routes=["sublingual"], outcome="eligible")
    patients.record_consent(
        by=nurse,
        patient=patient,
        kind="home_programme",
        version="2026-01",
        signed_at=timezone.now() - dt.timedelta(days=3),
        signed_by_name="Morgan Hale",
    )
    homecare.save_settings(
        by=prescriber,
        clinic=main.clinic,
        max_systolic_mmhg=160,
        max_diastolic_mmhg=90,
        max_heart_rate_per_min=100,
        doses_per_day=1,
        discrepancy_tolerance_doses=Decimal(1),
    )
    today = clinic_date(patient)
    programme = homecare.enrol(
        by=prescriber,
        patient=patient,
        route="sublingual_troche",
        monitor_name="Jordan Hale",
        monitor_date_of_birth=dt.date(1982, 2, 3),
        monitor_relationship="spouse",
        monitor_phone="(217) 555-0178",
        in_person_evaluation_on=today - dt.timedelta(days=20),
    )
    prescription = homecare.prescribe(
        by=prescriber,
        programme=programme,
        route="sublingual_troche",
        strength_mg=Decimal(100),
        dose_mg=Decimal(200),
        sessions=6,
        refills_authorised=1,
        issued_on=today,
        pdmp_checked_on=today,
        pdmp_note="No other controlled prescriptions in the last 12 months.",
    )
    homecare.dispense(
        by=nurse,
        prescription=prescription,
        source="pharmacy",
        dispenser="Springfield Compounding Pharmacy",
        dispensed_on=today,
        doses=6,
        rx_number="RX-604417",
    )
    for systolic, diastolic in ((172, 96), (128, 82)):  # refused (above 160/90), then cleared
        cleared, _ = homecare.check_in(
            by=None,
            prescription=prescription,
            systolic_mmhg=systolic,
            diastolic_mmhg=diastolic,
            heart_rate_per_min=72,
            monitor_present=True,
            symptoms=[],
        )
    dose = homecare.take_dose(by=None, check_in=cleared)
    homecare.post_dose_check(by=None, dose=dose, sedation_resolved=True, side_effects="Mild nausea for 20 minutes.")
    # The planted gap (3 counted where 5 are expected, tolerance 1 dose) opens the prescriber's review task.
    homecare.record_stock(
        by=nurse, prescription=prescription, kind="count", doses="3", note="Video pill count (demo: planted gap)"
    )
    _book_integration_visit(patient, nurse)


#: The demo clinic's video room for the visit, on the reserved example.org domain (RFC 2606): demo data only.
DEMO_VIDEO_LINK = "https://video.example.org/demo/integration-morgan-hale"


def _book_integration_visit(patient: Patient, nurse: User) -> Appointment | None:
    """A telehealth integration visit with its video link in the coming week (the first time the calendar allows)."""
    zone = ZoneInfo(patient.location.clinic.timezone)
    today = clinic_date(patient)
    for days in range(1, 8):
        start = dt.datetime.combine(today + dt.timedelta(days=days), dt.time(16), tzinfo=zone)
        try:
            return scheduling.book(
                by=nurse, patient=patient, kind="telehealth", location=patient.location, start=start,
                video_url=DEMO_VIDEO_LINK,
            )  # fmt: skip
        except ServiceError:
            continue  # closed or nobody rostered that day
    return None
