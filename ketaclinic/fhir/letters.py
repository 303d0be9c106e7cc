"""The FHIR document of a signed progress letter: the resources its Composition references, read and mapped with the
same mappers as read and search (so the document's Observation is the one ``Observation/score-<id>`` answers)."""

from __future__ import annotations

from typing import Any

from ketaclinic.fhir import registry
from ketaclinic.fhir.registry.treatment import with_product_ndc
from ketaclinic.fhir.resources import directory, observation
from ketaclinic.fhir.resources import letter as letter_map
from ketaclinic.fhir.resources import patient as patient_map
from ketaclinic.followup.models import ProgressLetter
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.outcomes.models import Measurement


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
