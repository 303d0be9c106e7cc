"""Demo data for issue 5, built through the intake services so it is validated and audited like real data.

Consultation requests in every triage state (one with red flags waiting for a clinician, one converted into a new
patient with an intake in progress), two submitted intakes (one signed eligible, one waiting for the prescriber's
review with a relative finding), and a positive C-SSRS screen whose safety alert waits on the clinician's dashboard.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketaclinic.accounts.models import Location, User
from ketaclinic.intake.services import assessment as intake
from ketaclinic.intake.services import consultation, decisions
from ketaclinic.patients.models import Patient

BASE_REQUEST: dict[str, Any] = {
    "sex": "female",
    "preferred_contact_method": "phone",
    "preferred_contact_time": "any",
    "concern": "depression",
    "pain_type": "",
    "details": "",
    "antidepressants_tried": "two_or_more",
    "in_psychiatric_care": True,
    "in_medical_care": False,
    "contraindications": [],
    "pregnancy": "no",
    "consent_to_contact": True,
}
REQUESTS: list[dict[str, Any]] = [
    {
        "given_name": "Hannah",
        "family_name": "Whitaker",
        "date_of_birth": dt.date(1984, 3, 9),
        "phone": "(217) 555-0311",
        "email": "hannah.whitaker@example.org",
        "details": "Depressed for two years; sertraline and bupropion did not help.",
    },
    {
        "given_name": "Marcus",
        "family_name": "Bell",
        "date_of_birth": dt.date(1979, 11, 22),
        "sex": "male",
        "phone": "(217) 555-0312",
        "preferred_contact_time": "evening",
        "contraindications": ["brain_blood_vessels"],
        "details": "I had a small aneurysm clipped in 2015.",
    },
    {
        "given_name": "Grace",
        "family_name": "Odum",
        "date_of_birth": dt.date(1990, 7, 2),
        "email": "grace.odum@example.org",
        "phone": "",
        "preferred_contact_method": "email",
        "concern": "pain",
        "pain_type": "crps",
        "antidepressants_tried": "none",
        "in_psychiatric_care": False,
        "in_medical_care": True,
        "details": "CRPS in my left foot since a fracture in 2022.",
    },
    {
        "given_name": "Aaron",
        "family_name": "Lindqvist",
        "date_of_birth": dt.date(1972, 1, 15),
        "sex": "male",
        "phone": "(217) 555-0314",
        "pregnancy": "no",
    },
    {
        "given_name": "Sofia",
        "family_name": "Reyes",
        "date_of_birth": dt.date(1995, 5, 30),
        "phone": "(217) 555-0315",
        "pregnancy": "unsure",
        "antidepressants_tried": "one",
    },
    {
        "given_name": "Jordan",
        "family_name": "Avery",
        "date_of_birth": dt.date(1986, 6, 14),
        "phone": "(217) 555-0316",
        "email": "jordan.avery@example.org",
        "details": "Three antidepressants over two years; my psychiatrist suggested ketamine.",
    },
]

PHQ9 = [2, 2, 2, 2, 1, 2, 2, 1, 0]
GAD7 = [2, 1, 2, 1, 1, 1, 1]
CSSRS_NEGATIVE = [False, False, None, None, None, False, None]
CSSRS_LOW = [True, False, None, None, None, False, None]


def _request(index: int, location: Location) -> Any:
    data = {**BASE_REQUEST, **REQUESTS[index]}
    # Documentation addresses (TEST-NET-3), one per request, so the demo never meets its own rate limit.
    return consultation.submit_request(data=data, location=location, client_ip=f"203.0.113.{10 + index}").request


def _intake(patient: Patient, nurse: User, **changes: Any) -> Any:
    draft = intake.start_assessment(by=nurse, patient=patient)
    values = {
        "indication": "treatment_resistant_depression",
        "routes": ["iv", "intranasal_esketamine"],
        "psychiatric_history": "Recurrent major depression since early adulthood; no hospitalisations.",
        "pregnancy": "not_applicable" if patient.sex == "male" else "no",
        "pdmp_checked_on": timezone.localdate(),
        "pdmp_notes": "No controlled prescriptions in the last 12 months.",
        "ride_home_name": "Family member",
        "ride_home_phone": "(217) 555-0199",
        "vitals_at": timezone.now() - dt.timedelta(hours=1),
        "systolic_mmhg": 126,
        "diastolic_mmhg": 80,
        "heart_rate_per_min": 74,
        "spo2_percent": 98,
        "weight_kg": draft.weight_kg or Decimal("78.0"),
        "height_cm": draft.height_cm or Decimal("170.0"),
        **changes,
    }
    draft = intake.update_assessment(by=nurse, assessment=draft, changes=values)
    for drug, dose in (("sertraline", "150 mg a day"), ("venlafaxine", "225 mg a day")):
        intake.add_trial(
            by=nurse,
            assessment=draft,
            drug=drug,
            dose=dose,
            weeks_at_dose=8,
            adequate_dose=True,
            outcome="no_response",
            current_episode=True,
        )
    for instrument, answers in (("phq9", PHQ9), ("gad7", GAD7), ("cssrs_screener", CSSRS_NEGATIVE)):
        intake.record_instrument(by=nurse, assessment=draft, instrument=instrument, answers=answers)
    return draft


def _without_flagged_conditions(location: Location, count: int) -> list[Patient]:
    """Female patients whose chart has no condition from the eligibility vocabulary (so the demo signs cleanly)."""
    chosen = []
    for patient in Patient.objects.filter(location=location, sex="female").order_by("pk"):
        if not patient.conditions.exclude(rule_code="").exists():
            chosen.append(patient)
        if len(chosen) == count:
            break
    return chosen


def load(*, locations: list[Location], users: dict[str, User]) -> None:
    """Called once from ``demo.clinic.load`` after the patients exist."""
    main, lakeside = locations
    front_desk, nurse, prescriber = users["frontdesk"], users["nurse"], users["prescriber"]
    new, flagged, contacted, booked, declined, converted = (
        _request(0, main),
        _request(1, main),
        _request(2, lakeside),
        _request(3, main),
        _request(4, main),
        _request(5, main),
    )
    consultation.add_note(by=front_desk, request=new, note="Called at 10:15, no answer; will try again tomorrow.")
    consultation.change_status(by=front_desk, request=contacted, to_status="contacted", note="Spoke by e-mail.")
    soon = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=2)
    consultation.change_status(by=front_desk, request=booked, to_status="booked", consultation_at=soon)
    consultation.change_status(
        by=front_desk,
        request=declined,
        to_status="declined",
        decline_reason="withdrew",
        note="Chose a clinic nearer home.",
    )
    consultation.change_status(by=front_desk, request=converted, to_status="contacted")
    consultation.change_status(by=front_desk, request=converted, to_status="booked", consultation_at=soon)
    patient = consultation.convert_request(
        by=front_desk,
        request=converted,
        location=main,
        data=consultation.patient_data_from(converted),
        primary_clinician=prescriber,
        acknowledge_duplicates=True,
    )
    intake.start_assessment(by=nurse, patient=patient)
    del flagged  # stays "new" in the queue, marked for a clinician's review: red flags never reject

    eligible, awaiting, screened = _without_flagged_conditions(main, 3)
    signed = intake.submit_assessment(by=nurse, assessment=_intake(eligible, nurse))
    decisions.sign_decision(
        by=prescriber, assessment=signed, routes=["iv", "intranasal_esketamine"], outcome="eligible"
    )
    intake.submit_assessment(
        by=nurse, assessment=_intake(awaiting, nurse, condition_codes=["psychotic_disorder_history"], routes=["iv"])
    )
    # A positive C-SSRS at intake: the alert waits on the primary clinician's dashboard until acknowledged.
    draft = _intake(screened, nurse, routes=["iv"])
    intake.record_instrument(by=nurse, assessment=draft, instrument="cssrs_screener", answers=CSSRS_LOW)


def sign_eligible(patient: Patient, nurse: User, prescriber: User) -> None:
    """An intake submitted and signed eligible for IV and esketamine (the demo calendar's series patients)."""
    signed = intake.submit_assessment(by=nurse, assessment=_intake(patient, nurse))
    decisions.sign_decision(
        by=prescriber, assessment=signed, routes=["iv", "intranasal_esketamine"], outcome="eligible"
    )


def unflagged_patients(location: Location, count: int, *, skip: int = 0) -> list[Patient]:
    return _without_flagged_conditions(location, count + skip)[skip:]
