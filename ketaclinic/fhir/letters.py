"""The FHIR document of a signed progress letter: the resources its Composition references, read and mapped with the
same mappers as read and search (so the document's Observation is the one ``Observation/score-<id>`` answers).

The document is frozen when the letter is signed (``freeze``, registered with ``followup.hooks`` and called inside the
signing transaction) and stored on the letter: ``Composition/{id}/$document`` and ``Bundle/letter-<id>`` answer that
stored Bundle, so a later change to the chart (the patient's new address, a corrected score) never changes a signed
document. Its ``fullUrl``s are made with the clinic's public address (``KETACLINIC_PUBLIC_URL``), as there is no request
at signing. A letter signed before documents were frozen has none stored: it is assembled when asked for, as before.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from ketaclinic.fhir import registry
from ketaclinic.fhir.registry.treatment import with_product_ndc
from ketaclinic.fhir.resources import directory, observation
from ketaclinic.fhir.resources import letter as letter_map
from ketaclinic.fhir.resources import patient as patient_map
from ketaclinic.followup.models import ProgressLetter
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.outcomes.models import Measurement

BUNDLE_PREFIX = letter_map.BUNDLE_PREFIX


def document_for(letter: ProgressLetter, *, base: str) -> dict[str, Any]:
    content = letter.content
    assert letter.signed_by is not None  # only signed letters are documents (registry.letters_visible_to)
    point_ids = [p["id"] for s in content.get("scales", []) for p in s.get("points", [])]
    session_ids = [s["id"] for s in content.get("treatment", {}).get("sessions", [])]
    measurements = {m.pk: m for m in Measurement.objects.filter(pk__in=point_ids)}
    sessions = {s.pk: s for s in with_product_ndc(TreatmentSession.objects.filter(pk__in=session_ids))}
    administration = registry.RESOURCE_TYPES["MedicationAdministration"].sources[0].to_fhir
    return letter_map.document_bundle(
        letter,
        base=base,
        patient=patient_map.to_fhir(letter.patient),
        author=directory.practitioner_to_fhir(letter.signed_by),
        custodian=directory.organization_to_fhir(letter.patient.location.clinic),
        observations=[observation.score_to_fhir(measurements[pk]) for pk in point_ids if pk in measurements],
        administrations=[administration(sessions[pk]) for pk in session_ids if pk in sessions],
    )


def freeze(letter: ProgressLetter) -> dict[str, Any]:
    """The document of a letter being signed, for the letter row (``followup.hooks.register_document_freezer``)."""
    return document_for(letter, base=settings.KETACLINIC_PUBLIC_URL.rstrip("/") + "/fhir/r4")


def served_document(letter: ProgressLetter, *, base: str) -> dict[str, Any]:
    """What a client reads: the Bundle frozen at signing, or (a letter signed before they were frozen) assembled now."""
    frozen: dict[str, Any] | None = letter.document_bundle
    if frozen:
        return frozen
    return document_for(letter, base=base)
