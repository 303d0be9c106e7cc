"""The only ways views and the API load patients: scoped to the caller's locations inside the query.

A patient at another location is 404, never 403 (knowledge/security.md "Object-level checks inside the query").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from ketaclinic.accounts.models import User
from ketaclinic.domain import allergies as allergy_rules
from ketaclinic.patients.models import Allergy, NoKnownDrugAllergies, Patient


def patients_visible_to(user: User) -> QuerySet[Patient]:
    """Patients at the user's locations, entered-in-error ones excluded."""
    if not user.is_authenticated or not user.is_active:
        return Patient.objects.none()
    return Patient.objects.filter(location__in=user.locations.all(), entered_in_error=False).select_related(
        "location", "primary_clinician"
    )


def get_patient_for_user(user: User, patient_id: int) -> Patient:
    patient = patients_visible_to(user).filter(pk=patient_id).first()
    if patient is None:
        raise Http404("No such patient.")
    return patient


_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y")


def _as_date(text: str) -> dt.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def search(patients: QuerySet[Patient], query: str) -> QuerySet[Patient]:
    """Search by MRN (exact), date of birth (2001-04-30 or 04/30/2001) or name parts (each must match)."""
    query = query.strip()
    if not query:
        return patients
    date = _as_date(query)
    if date is not None:
        return patients.filter(date_of_birth=date)
    condition = Q(mrn__iexact=query)
    terms = [term for term in re.split(r"[\s,]+", query) if term]
    name_match = Q()
    for term in terms:
        name_match &= Q(given_name__icontains=term) | Q(family_name__icontains=term) | Q(preferred_name__icontains=term)
    return patients.filter(condition | name_match)


@dataclass(frozen=True)
class AllergyStatus:
    """What the chart says about allergies, for the banner and the drug checks.

    ``state`` is ``allergies`` (at least one current allergy), ``nkda`` (a current "no known drug allergies"
    statement, with who recorded it and when) or ``not_recorded`` (nobody has recorded either: a caution, not a
    reassurance).
    """

    state: str
    allergies: tuple[Allergy, ...]
    nkda: NoKnownDrugAllergies | None

    @property
    def recorded(self) -> tuple[allergy_rules.RecordedAllergy, ...]:
        """The current allergies as the domain's allergy check reads them."""
        return tuple(
            allergy_rules.RecordedAllergy(
                a.substance, a.reaction, str(a.get_severity_display()).lower() if a.severity else ""
            )
            for a in self.allergies
        )


def allergy_status(patient: Patient) -> AllergyStatus:
    allergies = tuple(patient.allergies.filter(entered_in_error=False).order_by("substance", "pk"))
    if allergies:
        return AllergyStatus("allergies", allergies, None)
    nkda = (
        patient.nkda_statements.filter(entered_in_error=False, superseded_at__isnull=True)
        .select_related("recorded_by")
        .first()
    )
    return AllergyStatus("nkda" if nkda else "not_recorded", (), nkda)
