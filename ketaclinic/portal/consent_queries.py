"""The signed-in patient's consents, and nothing else: what the portal asks them to sign (``domain.consent_requests``)
and what they have signed. Every read is filtered by the patient inside the query, so another patient's signature or
another clinic's document is not found (404), never shown."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404

from ketaclinic.consents.models import ConsentDocument, ElectronicSignature
from ketaclinic.consents.services import current_documents
from ketaclinic.domain import consent_requests
from ketaclinic.patients.models import Consent, Patient, clinic_date
from ketaclinic.plans.models import PlanVersion
from ketaclinic.scheduling.models import Appointment


@dataclass(frozen=True)
class Consents:
    to_sign: list[ConsentDocument]
    signed: list[ElectronicSignature]


def has_esketamine(patient_id: int) -> bool:
    """A signed plan on the esketamine route, or a booked esketamine visit."""
    route = consent_requests.ESKETAMINE_ROUTE
    planned = PlanVersion.objects.filter(
        plan__patient_id=patient_id, status=PlanVersion.Status.SIGNED, route=route
    ).exists()
    return (
        planned
        or Appointment.objects.filter(
            patient_id=patient_id, kind="esketamine", status=Appointment.Status.BOOKED
        ).exists()
    )


def held(patient: Patient) -> list[tuple[str, str]]:
    """(kind, version) of every current consent on the patient's chart, however it was signed (portal, tablet, paper
    with its scan, or recorded by staff): not entered in error and not past its expiry date on the clinic's calendar."""
    rows = Consent.objects.filter(patient_id=patient.pk, entered_in_error=False).only(
        "kind", "version", "expires_on", "patient_id"
    )
    today = clinic_date(patient)
    return [(row.kind, row.version) for row in rows if not row.is_expired(today)]


def to_sign(patient: Patient) -> list[ConsentDocument]:
    """The current published version of each kind the portal asks this patient for, that no current consent of the
    same kind and version on the chart covers yet (``domain.consent_requests.not_yet_held``)."""
    published = current_documents(patient.location.clinic_id)
    kinds = consent_requests.kinds_to_ask([d.kind for d in published], esketamine=has_esketamine(patient.pk))
    asked = [d for d in published if d.kind in kinds]
    missing = set(consent_requests.not_yet_held([(d.kind, d.version) for d in asked], held(patient)))
    return [d for d in asked if (d.kind, d.version) in missing]


def consents(patient: Patient) -> Consents:
    signed = list(
        ElectronicSignature.objects.filter(patient_id=patient.pk).select_related("document").order_by("-signed_at")
    )
    return Consents(to_sign=to_sign(patient), signed=signed)


def document_for(patient: Patient, document_id: int) -> ConsentDocument:
    """One of the patient's clinic's documents, published or superseded (a draft is not shown to patients)."""
    document = (
        ConsentDocument.objects.filter(pk=document_id, clinic_id=patient.location.clinic_id)
        .exclude(status=ConsentDocument.Status.DRAFT)
        .select_related("superseded_by")
        .first()
    )
    if document is None:
        raise Http404("No such document.")
    return document


def signature_for(patient_id: int, signature_id: int) -> ElectronicSignature:
    signature = (
        ElectronicSignature.objects.filter(pk=signature_id, patient_id=patient_id)
        .select_related("document", "patient__location__clinic")
        .first()
    )
    if signature is None:
        raise Http404("No such signed document.")
    return signature
