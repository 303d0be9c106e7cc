"""Composition: signed progress letters to the referring clinician (``Composition/{id}/$document`` gives the whole
FHIR document; ketaclinic.fhir.letters) and their addenda (``Composition/addendum-<id>``, each ``appends`` its letter).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ketaclinic.accounts.models import User
from ketaclinic.fhir.registry.base import PATIENT_PARAM, ResourceType, Source, by_patient
from ketaclinic.fhir.resources.letter import ADDENDUM_PREFIX, addendum_to_fhir, composition_to_fhir
from ketaclinic.followup.models import LetterAddendum, ProgressLetter
from ketaclinic.patients.queries import patients_visible_to


def letters_visible_to(user: User) -> QuerySet[Any]:
    """Signed progress letters (withdrawn ones too, as entered-in-error) of the patients the user sees; a draft is not
    a document yet."""
    return ProgressLetter.objects.filter(
        patient__in=patients_visible_to(user), status=ProgressLetter.Status.SIGNED
    ).select_related("patient", "patient__location")


def addenda_visible_to(user: User) -> QuerySet[Any]:
    """Addenda (all signed when written; withdrawn ones too, as entered-in-error) of the patients the user sees."""
    return LetterAddendum.objects.filter(letter__patient__in=patients_visible_to(user)).select_related(
        "letter", "letter__patient", "letter__patient__location"
    )


LETTER_TYPES = (
    ResourceType(
        name="Composition",
        versioned=True,
        capability="outcomes.view",
        params={"patient": PATIENT_PARAM},
        sources=(
            Source(
                rows=letters_visible_to,
                to_fhir=composition_to_fhir,
                patient_id=lambda row: row.patient_id,
                filters={"patient": by_patient("patient_id")},
                order=("signed_at", "pk"),
            ),
            Source(
                rows=addenda_visible_to,
                to_fhir=addendum_to_fhir,
                patient_id=lambda row: row.letter.patient_id,
                filters={"patient": by_patient("letter__patient_id")},
                id_prefix=ADDENDUM_PREFIX,
                order=("signed_at", "pk"),
            ),
        ),
    ),
)
