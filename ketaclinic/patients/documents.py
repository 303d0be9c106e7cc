"""What every PDF about a patient prints in its margins, read from the chart and the clinic settings: the plain data
``ketaclinic.documents.render_pdf`` takes (it never queries)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ketaclinic.accounts.models import Location, User
from ketaclinic.documents import Letterhead, PatientIdentifiers, Produced
from ketaclinic.patients.models import Patient


def letterhead(location: Location) -> Letterhead:
    """The clinic's name with the location's name, address and phone (accounts: Clinic and Location)."""
    return Letterhead(
        clinic_name=location.clinic.name,
        location_name=location.name,
        address=location.address,
        phone=location.phone,
    )


def identifiers(patient: Patient) -> PatientIdentifiers:
    return PatientIdentifiers(name=patient.full_name, date_of_birth=patient.date_of_birth, mrn=patient.mrn)


def produced(patient: Patient, *, by: User | None, by_name: str = "", at: dt.datetime | None = None) -> Produced:
    """Who produced the document (a staff member, or ``by_name`` such as "the patient, on the portal") and when, in
    the time zone of the patient's clinic."""
    name = by.display_name if by is not None else by_name or "ketaclinic"
    return Produced(by=name, at=at or timezone.now(), timezone=patient.location.clinic.timezone)
