"""Demo referral in and progress letter out (issue 20): one demo patient with a past IV course was referred by a
(fictional) psychiatrist through FHIR, and the prescriber has signed a progress letter back to her — so the triage
page shows a FHIR referral, the chart a letter (PDF on the chart) with one addendum, and
``/fhir/r4/Composition/{id}/$document`` (or ``Bundle/letter-<id>``) the document frozen at signing. Everything goes
through the real services (the referral's intake service, the letter's draft and sign, the addendum).
"""

from __future__ import annotations

from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.followup.models import ProgressLetter
from ketaclinic.followup.services import addenda, letters
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.intake.services import consultation
from ketaclinic.intake.services.referral import Referral, receive_referral
from ketaclinic.patients.models import Patient

#: A fictional referrer (the NPI is a made-up number with a valid check digit, as in the NPI standard's example).
REFERRER = {
    "name": "Dr. Priya Shah",
    "npi": "1234567893",
    "phone": "(217) 555-0100",
    "organization": "Springfield Psychiatry Associates",
}
PLAN = (
    "Maintenance IV ketamine every 4 weeks for the next 3 months, PHQ-9 every 2 weeks; we will write again at the "
    "3-month review. Please continue sertraline as prescribed."
)

ADDENDUM = (
    "After the letter was signed the patient asked that replies go to the clinic's Main Street office rather than her "
    "home address. No change to the plan above."
)


def _patient(prescriber: User) -> Patient | None:
    """The first demo patient at the prescriber's locations with a signed IV course of at least six sessions."""
    locations = prescriber.locations.all()
    signed = TreatmentSession.objects.filter(status=TreatmentSession.Status.SIGNED, route="iv")
    for patient in Patient.objects.filter(location__in=locations, entered_in_error=False).order_by("pk"):
        if signed.filter(patient=patient).count() >= 6 and patient.outcome_measurements.exists():
            return patient
    return None


def load(*, users: dict[str, User]) -> ProgressLetter | None:
    prescriber, desk = users["prescriber"], users["frontdesk"]
    patient = _patient(prescriber)
    if patient is None:
        return None
    received = receive_referral(
        by=desk,
        location=patient.location,
        referral=Referral(
            given_name=patient.given_name,
            family_name=patient.family_name,
            date_of_birth=patient.date_of_birth,
            sex=patient.sex,
            phone=patient.phone,
            email=patient.email,
            concern="depression",
            reason="Treatment-resistant depression: no remission after two adequate antidepressant trials.",
            pregnancy="no" if patient.sex == "male" else "unsure",
            identifier="SPA-REF-2041",
            referrer=REFERRER,
            medications=[{"name": "sertraline", "dose": "150 mg once daily", "status": "active"}],
        ),
    )
    consultation.link_to_patient(by=desk, request=received.request, patient=patient)
    letter = letters.start_letter(
        by=prescriber, patient=patient, data={**letters.referrer_of(patient), "plan_text": PLAN}
    )
    signed = letters.sign_letter(by=prescriber, letter=letter)
    assert signed.signed_at is not None and signed.signed_at <= timezone.now()
    addenda.add_addendum(by=prescriber, letter=signed, text=ADDENDUM, reason="New information after signing")
    return signed
