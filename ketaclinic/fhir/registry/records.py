"""Records about the record: DocumentReference (chart documents, signed session notes) with the files behind them
(``Binary``), Provenance (who wrote and signed plans, sessions, notes, documents) and AuditEvent (the audit log, clinic
admins only: ``audit.view``, their own clinic's users' entries and the anonymous ones, as on the audit viewer)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet

from ketaclinic.accounts.models import User
from ketaclinic.audit.models import AuditEvent
from ketaclinic.documents import files
from ketaclinic.fhir.http import FhirError
from ketaclinic.fhir.registry.base import (
    PATIENT_PARAM,
    PROVENANCE_TARGET,
    Filter,
    Include,
    ResourceType,
    Source,
    by_date,
    by_patient,
    references_at,
)
from ketaclinic.fhir.resources import audit, records
from ketaclinic.fhir.resources.records import DOCUMENT_KIND_SYSTEM, NOTE_CATEGORY, US_CORE_DOCUMENT_CATEGORY
from ketaclinic.fhir.search import reference_id, token
from ketaclinic.infusions.queries import sessions_visible_to
from ketaclinic.patients import uploads
from ketaclinic.patients.models import ChartDocument
from ketaclinic.patients.queries import patients_visible_to
from ketaclinic.plans.queries import plan_versions_visible_to

# --- rows ------------------------------------------------------------------------------------------------------------


def _documents(user: User) -> QuerySet[Any]:
    """The chart documents this token's user may see (clinical kinds only for nurses and prescribers), including those
    marked entered in error: they stay, with that status."""
    mine = ChartDocument.objects.filter(patient__in=patients_visible_to(user), patient__entered_in_error=False)
    return uploads.visible_to(user, mine).select_related("patient__location")


def _signed_notes(user: User) -> QuerySet[Any]:
    return sessions_visible_to(user).filter(note_signed_at__isnull=False, patient__entered_in_error=False)


def _sessions(user: User) -> QuerySet[Any]:
    """The sessions behind a Provenance, with their clinic as a column (``owning_clinic_id``): a bulk export reads
    them as light records, without the location (tests/fhir/test_fhir_bulk.py counts the queries)."""
    visible = sessions_visible_to(user).filter(patient__entered_in_error=False)
    return visible.annotate(owning_clinic_id=F("location__clinic_id"))


def _signed_versions(user: User) -> QuerySet[Any]:
    return plan_versions_visible_to(user).select_related("plan__patient__location")


def _audit_events(user: User) -> QuerySet[Any]:
    own = Q(actor__clinic_id=user.clinic_id) if user.clinic_id is not None else Q(pk__in=[])
    return AuditEvent.objects.filter(own | Q(actor__isnull=True)).select_related("actor")


# --- filters ---------------------------------------------------------------------------------------------------------


def _document_category(kinds: Callable[[str | None, str], bool]) -> Filter:
    def apply(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any] | None:
        for value in values:
            wanted = [code for system, code in map(token, value.split(",")) if kinds(system, code)]
            if not wanted:
                return None
            rows = rows.filter(kind__in=wanted) if rows.model is ChartDocument else rows
        return rows

    return apply


def _is_kind(system: str | None, code: str) -> bool:
    return system in (None, DOCUMENT_KIND_SYSTEM) and code in ChartDocument.Kind.values


def _is_note(system: str | None, code: str) -> bool:
    return system in (None, US_CORE_DOCUMENT_CATEGORY) and code == NOTE_CATEGORY


def _targets(kinds: dict[str, str]) -> Filter:
    """Provenance ``target``: the references this source can be the provenance of (``kinds``: resource type → id
    prefix, empty for plain ids); a reference to anything else leaves the source out."""

    def apply(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any] | None:
        for value in values:
            wanted: list[int] = []
            for part in value.split(","):
                kind, _, rid = part.strip().rpartition("/")
                if not kind or not rid:
                    raise FhirError(400, "invalid", f"target={part}: expected <type>/<id>, e.g. CarePlan/12.")
                prefix = kinds.get(kind.rsplit("/", 1)[-1])
                if prefix is None:
                    continue
                number = rid.removeprefix(f"{prefix}-") if prefix else rid
                if number.isdigit() and (not prefix or rid.startswith(f"{prefix}-")):
                    wanted.append(int(number))
            if not wanted:
                return None
            rows = rows.filter(pk__in=wanted)
        return rows

    return apply


def _agent(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
    for value in values:
        ids = [reference_id(part, "Practitioner", "agent") for part in value.split(",")]
        rows = rows.filter(actor_id__in=ids)
    return rows


def _audit_patient(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
    for value in values:
        rows = rows.filter(patient_id__in=[reference_id(part, "Patient", "patient") for part in value.split(",")])
    return rows


# --- Binary: the files behind DocumentReference -------------------------------------------------------------------


@dataclass(frozen=True)
class BinaryContent:
    row: Any
    content: bytes
    content_type: str
    patient_id: int
    detail: dict[str, Any]
    #: When the content was last written (the upload, the signature): the read's Last-Modified.
    modified: Any


def binary(user: User, resource_id: str) -> BinaryContent | None:
    """The file ``Binary/doc-<id>`` or the note ``Binary/note-<id>`` names, if this token's user may see it."""
    prefix, _, pk = resource_id.rpartition("-")
    if not pk.isdigit():
        return None
    if prefix == "doc":
        document = _documents(user).filter(pk=int(pk)).first()
        if document is None:
            return None
        content = files.read(document.file_name)
        intact = files.sha256(content) == document.sha256
        detail = {"sha256": document.sha256, "intact": intact}
        return BinaryContent(
            document, content, document.content_type, document.patient_id, detail, document.uploaded_at
        )
    if prefix == "note":
        session = _signed_notes(user).filter(pk=int(pk)).first()
        if session is None:
            return None
        text = session.note_text.encode("utf-8")
        return BinaryContent(session, text, "text/plain; charset=utf-8", session.patient_id, {}, session.note_signed_at)
    return None


RECORD_TYPES = (
    ResourceType(
        name="DocumentReference",
        capability="patient.view",
        params={
            "patient": PATIENT_PARAM,
            "category": ("token", f"clinical-note (signed session notes) or a document kind ({DOCUMENT_KIND_SYSTEM})"),
            "date": ("date", "When the document was put on the chart or the note was signed"),
        },
        sources=(
            Source(
                rows=_documents,
                to_fhir=records.document_to_fhir,
                patient_id=lambda row: row.patient_id,
                filters={
                    "patient": by_patient("patient_id"),
                    "category": _document_category(_is_kind),
                    "date": by_date("uploaded_at"),
                },
                id_prefix="doc",
                order=("uploaded_at", "pk"),
            ),
            Source(
                rows=_signed_notes,
                to_fhir=records.note_to_fhir,
                patient_id=lambda row: row.patient_id,
                filters={
                    "patient": by_patient("patient_id"),
                    "category": _document_category(_is_note),
                    "date": by_date("note_signed_at"),
                },
                id_prefix="note",
                order=("note_signed_at", "pk"),
            ),
        ),
        # No US Core profile claimed: US Core DocumentReference binds ``type`` to LOINC document codes, and the
        # knowledge files give none for these kinds.
        includes={
            "DocumentReference:patient": Include("Patient", references_at("subject")),
            "DocumentReference:author": Include("Practitioner", references_at("author")),
        },
        revincludes=PROVENANCE_TARGET,
    ),
    ResourceType(
        name="Provenance",
        capability="clinical.view",
        params={
            "target": (
                "reference",
                "What it is the provenance of: CarePlan/<id>, MedicationRequest/<id>, "
                "Encounter/<id>, MedicationAdministration/<id>, DocumentReference/<id>",
            ),
            "patient": PATIENT_PARAM,
        },
        sources=(
            Source(
                rows=_signed_versions,
                to_fhir=lambda row: records.plan_provenance(row, clinic_id=row.plan.patient.location.clinic_id),
                patient_id=lambda row: row.plan.patient_id,
                filters={
                    "patient": by_patient("plan__patient_id"),
                    "target": _targets({"CarePlan": "", "MedicationRequest": ""}),
                },
                id_prefix="plan",
            ),
            Source(
                rows=_sessions,
                to_fhir=lambda row: records.session_provenance(row, clinic_id=row.owning_clinic_id),
                patient_id=lambda row: row.patient_id,
                filters={
                    "patient": by_patient("patient_id"),
                    "target": _targets({"Encounter": "", "MedicationAdministration": "", "DocumentReference": "note"}),
                },
                id_prefix="session",
            ),
            Source(
                rows=_documents,
                to_fhir=lambda row: records.document_provenance(row, clinic_id=row.patient.location.clinic_id),
                patient_id=lambda row: row.patient_id,
                filters={"patient": by_patient("patient_id"), "target": _targets({"DocumentReference": "doc"})},
                id_prefix="doc",
            ),
        ),
        profile="http://hl7.org/fhir/us/core/StructureDefinition/us-core-provenance",
        includes={
            "Provenance:target": Include("*", references_at("target")),
            "Provenance:agent": Include("Practitioner", references_at("agent.who")),
        },
    ),
    ResourceType(
        name="AuditEvent",
        capability="audit.view",
        params={
            "date": ("date", "When it happened"),
            "agent": ("reference", "Who did it (Practitioner/<user id>, or the user id)"),
            "patient": PATIENT_PARAM,
        },
        sources=(
            Source(
                rows=_audit_events,
                to_fhir=audit.audit_event_to_fhir,
                patient_id=lambda row: row.patient_id,
                filters={"date": by_date("occurred_at"), "agent": _agent, "patient": _audit_patient},
                order=("seq",),
            ),
        ),
    ),
)
