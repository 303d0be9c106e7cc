"""ServiceRequest: the consultation requests of the triage queue (intake), read by exactly who sees that queue —
the roles that triage (``consultation.triage``), at their own locations (``intake.queries.requests_visible_to``).

A request not yet linked to a patient is served with a display-only subject (resources/service_request.py says why);
``patient=`` finds only linked ones, and a Patient-level export leaves the others out (``Source.compartment``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, Prefetch, Q, QuerySet, Value

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.fhir.http import FhirError
from ketaclinic.fhir.registry.base import (
    Include,
    ResourceType,
    Source,
    by_date,
    by_patient,
    references_at,
)
from ketaclinic.fhir.resources import service_request as mapping
from ketaclinic.fhir.search import token
from ketaclinic.intake.models import ConsultationDocument, ConsultationRequest
from ketaclinic.intake.queries import requests_visible_to
from ketaclinic.patients.models import ChartDocument
from ketaclinic.patients.queries import patients_visible_to

#: Who sees a referral's clinical content (its reason and documents), as on the triage page.
CLINICAL_SIGHT = "consultation.review"


def _requests(user: User) -> QuerySet[Any]:
    sight = role_can(user.role, CLINICAL_SIGHT)
    rows = requests_visible_to(user).annotate(fhir_clinical_sight=Value(sight, output_field=BooleanField()))
    if not sight:
        return rows
    # The referral's files and the chart documents with the same content: two queries per page (or export window),
    # never one per request.
    filed = ChartDocument.objects.filter(
        entered_in_error=False, sha256__in=ConsultationDocument.objects.values("sha256")
    ).only("pk", "sha256", "patient_id")
    return rows.prefetch_related(
        Prefetch("documents", queryset=ConsultationDocument.objects.only("pk", "sha256", "request_id")),
        Prefetch("patient__chart_documents", queryset=filed, to_attr="fhir_filed_documents"),
    )


def referral_files(request: Any) -> list[int]:
    """The chart documents (ids) holding this request's referral files, once it is linked to a chart."""
    if request.patient_id is None:
        return []
    wanted = {document.sha256 for document in request.documents.all()}
    if not wanted:
        return []
    filed = getattr(request.patient, "fhir_filed_documents", [])
    return sorted(document.pk for document in filed if document.sha256 in wanted)


def to_fhir(request: Any) -> dict[str, Any]:
    sight = bool(getattr(request, "fhir_clinical_sight", False))
    return mapping.service_request_to_fhir(
        request, clinical_sight=sight, documents=referral_files(request) if sight else ()
    )


#: FHIR request-status → the triage states that have it (the other codes match nothing).
_STATUS = {
    code: Q(status__in=[state for state, status in mapping.STATUS_OF.items() if status == code])
    for code in set(mapping.STATUS_OF.values())
}


def _status(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
    for value in values:
        match = Q(pk__in=[])
        for part in value.split(","):
            system, code = token(part)
            if code not in mapping.STATUSES or system not in (None, mapping.STATUS_SYSTEM):
                raise FhirError(400, "invalid", f"status={part}: not a ServiceRequest status (request-status).")
            match |= _STATUS.get(code, Q(pk__in=[]))
        rows = rows.filter(match)
    return rows


_INTENT_SOURCES = {"order": ConsultationRequest.Source.FHIR, "proposal": ConsultationRequest.Source.PUBLIC}


def _intent(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
    for value in values:
        sources = []
        for part in value.split(","):
            system, code = token(part)
            if code not in mapping.INTENTS or system not in (None, mapping.INTENT_SYSTEM):
                raise FhirError(400, "invalid", f"intent={part}: not a ServiceRequest intent (request-intent).")
            if code in _INTENT_SOURCES:
                sources.append(_INTENT_SOURCES[code])
        rows = rows.filter(source__in=sources)
    return rows


def _linked_patients(rows: QuerySet[Any], user: User) -> QuerySet[Any]:
    """A Patient-level export: only requests linked to a patient the token sees (the others have no Patient)."""
    return rows.filter(patient__in=patients_visible_to(user))


REQUEST_TYPES = (
    ResourceType(
        name="ServiceRequest",
        versioned=True,
        capability="consultation.triage",
        params={
            "patient": (
                "reference",
                "The patient (Patient/<id>): only requests triage has converted or linked to a patient",
            ),
            "status": ("token", "active (being triaged), completed (converted to a patient) or revoked (declined)"),
            "intent": ("token", "order (a clinician's FHIR referral) or proposal (the public form)"),
            "authored": ("date", "When the request was received"),
        },
        sources=(
            Source(
                rows=_requests,
                to_fhir=to_fhir,
                patient_id=lambda row: row.patient_id,
                filters={
                    "patient": by_patient("patient_id"),
                    "status": _status,
                    "intent": _intent,
                    "authored": by_date("submitted_at", name="authored"),
                },
                order=("submitted_at", "pk"),
                compartment=_linked_patients,
            ),
        ),
        # No US Core profile claimed: US Core ServiceRequest requires a coded ``code`` and a Patient subject, and the
        # knowledge files give no code for this consultation (unlinked requests have no Patient).
        includes={"ServiceRequest:patient": Include("Patient", references_at("subject"))},
    ),
)
