"""Every write about documents on the chart: keyword-only, atomic, validated, audited (ARCHITECTURE.md "services").

- ``upload_by_staff``: staff put a file on the chart under a kind (referral letter, prior records, ECG, labs, ID,
  insurance card, other), with a title and the document's date.
- ``upload_by_patient``: the patient uploads a file in the portal, saying what it is; it arrives "unfiled".
- ``file_document``: staff file (or refile) a document under a kind, title and date.
- ``mark_entered_in_error``: a wrong upload is withdrawn with a reason, never deleted.
- ``visible_to`` / ``can_see``: clinical kinds (referral letter, prior records, ECG, labs, other) are for nurses and
  prescribers; ID and insurance card for everyone who sees the chart (see ``EVERYONE_KINDS``).

The file (PDF, JPEG or PNG, judged by its first bytes, never its name; at most ``KETACLINIC_SCAN_MAX_MB``) is written
outside the web root under a random name (``ketaclinic.documents.files``); a refused upload writes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.documents import files, pdf_safety
from ketaclinic.locking import lock
from ketaclinic.patients.models import ChartDocument, Patient, clinic_date

if TYPE_CHECKING:
    from django.db.models import QuerySet

UPLOAD = "patient.edit"  # the chart's rule: those who edit the chart (front desk, nurses, prescribers) add to it
TAG = re.compile(r"<\s*/?\s*[A-Za-z!?][^>]*>")
PLAIN_TEXT = "Plain text only: remove the HTML tags ({tag})."
FILED_KINDS = [kind for kind in ChartDocument.Kind.values if kind != ChartDocument.Kind.UNFILED]
KIND_MESSAGE = "Choose one of the listed kinds of document."

#: Who sees which kind of document (knowledge/security.md "Authorisation": front desk sees demographics and schedule,
#: not clinical notes; HIPAA's minimum necessary standard, 45 CFR 164.502(b) and 164.514(d)). The ID and the insurance
#: card are what the front desk checks at registration and for billing: everyone who sees the chart sees them. A
#: referral letter, prior records, an ECG and labs carry diagnoses, history and results, and "other" may carry anything:
#: those are clinical, for the roles with ``CLINICAL_SIGHT`` (nurses, prescribers). A patient's upload not yet filed
#: counts as what the patient says it is.
EVERYONE_KINDS = frozenset({ChartDocument.Kind.ID.value, ChartDocument.Kind.INSURANCE_CARD.value})
CLINICAL_SIGHT = "clinical.view"
NOT_YOURS = "This document is for the clinical team (nurses and prescribers) only."


def is_clinical(document: ChartDocument) -> bool:
    kind = document.patient_says if document.kind == ChartDocument.Kind.UNFILED else document.kind
    return kind not in EVERYONE_KINDS


def sees_clinical(user: User) -> bool:
    return bool(user.is_superuser or role_can(user.role, CLINICAL_SIGHT))


def can_see(user: User, document: ChartDocument) -> bool:
    return sees_clinical(user) or not is_clinical(document)


def visible_to(user: User, documents: QuerySet[ChartDocument]) -> QuerySet[ChartDocument]:
    """The documents of ``documents`` this user may see (the filter runs in the query, like every object check)."""
    if sees_clinical(user):
        return documents
    unfiled = ChartDocument.Kind.UNFILED
    return documents.filter(models.Q(kind__in=EVERYONE_KINDS) | models.Q(kind=unfiled, patient_says__in=EVERYONE_KINDS))


def _require_sight(actor: User, document: ChartDocument) -> None:
    if not can_see(actor, document):
        raise PermissionDenied(NOT_YOURS)


def _require(actor: User, patient: Patient) -> None:
    if not (actor.is_superuser or role_can(actor.role, UPLOAD)):
        raise PermissionDenied(f"Your role may not do this ({UPLOAD}).")
    if not actor.locations.filter(pk=patient.location_id).exists():
        raise PermissionDenied("You do not work at this patient's location.")


def _text(field: str, value: str, *, limit: int, required: bool) -> str:
    text = " ".join(value.split()) if field == "title" else value.replace("\r\n", "\n").strip()
    if required and not text:
        raise ValidationError({field: "This field is required."})
    if len(text) > limit:
        raise ValidationError({field: f"At most {limit} characters ({len(text)} given): shorten it."})
    if (tag := TAG.search(text)) is not None:
        raise ValidationError({field: PLAIN_TEXT.format(tag=tag.group(0)[:40])})
    return text


def check_file(content: bytes, *, field: str = "file") -> str:
    """The content type of an acceptable upload, or a ValidationError saying what to do."""
    limit_mb = settings.KETACLINIC_SCAN_MAX_MB
    if not content:
        raise ValidationError({field: "The file is empty: choose the file again."})
    if files.too_big(content, limit_mb):
        raise ValidationError(
            {
                field: f"The file is larger than {limit_mb} MB, the largest accepted. Scan or photograph it at a "
                "lower resolution, or split it into parts."
            }
        )
    content_type = files.sniff(content)
    if content_type is None:
        raise ValidationError(
            {
                field: "This file is not a PDF, JPEG or PNG (its content was checked, not its name). Save or scan it "
                "as one of those."
            }
        )
    if content_type == "application/pdf":
        verdict = pdf_safety.check_pdf(content)
        if not verdict.acceptable:
            raise ValidationError({field: verdict.message()})
    return content_type


def _validate(
    patient: Patient, *, content: bytes | None, kind: str, title: str, note: str, document_date: dt.date | None
) -> tuple[str, str, str]:
    """Check every field at once (one message per field); returns (content type, title, note)."""
    errors: dict[str, str] = {}
    content_type = ""
    if content is not None:
        try:
            content_type = check_file(content)
        except ValidationError as exc:
            errors.update({name: messages[0] for name, messages in exc.message_dict.items()})
    if kind not in ChartDocument.Kind.values:
        errors["kind"] = KIND_MESSAGE
    cleaned: dict[str, str] = {}
    for field, value, limit, required in (("title", title, 200, True), ("note", note, 1000, False)):
        try:
            cleaned[field] = _text(field, value, limit=limit, required=required)
        except ValidationError as exc:
            errors.update({name: messages[0] for name, messages in exc.message_dict.items()})
    if document_date is not None and document_date > clinic_date(patient):
        errors["document_date"] = "The document's date is in the future: check it (the date written on it)."
    if errors:
        raise ValidationError(errors)
    return content_type, cleaned["title"], cleaned["note"]


def _store(document: ChartDocument, content: bytes, content_type: str, *, actor: User | None) -> ChartDocument:
    document.file_name = files.store(content, extension=files.EXTENSIONS[content_type])
    document.content_type, document.size_bytes, document.sha256 = content_type, len(content), files.sha256(content)
    try:
        document.save(force_insert=True)
        audit.record(
            actor=actor,
            action="chart_document.upload",
            obj=document,
            patient_id=document.patient_id,
            detail={
                "kind": document.kind,
                "source": document.source,
                "content_type": content_type,
                "size_bytes": len(content),
                "sha256": document.sha256,
            },
        )
    except Exception:
        files.discard(document.file_name)
        raise
    return document


@transaction.atomic
def upload_by_staff(
    *, by: User, patient: Patient, content: bytes, kind: str, title: str, document_date: dt.date | None
) -> ChartDocument:
    """A file staff put on the chart, filed at once under ``kind``."""
    _require(by, patient)
    if kind == ChartDocument.Kind.UNFILED:
        raise ValidationError({"kind": KIND_MESSAGE})
    content_type, clean_title, _ = _validate(
        patient, content=content, kind=kind, title=title, note="", document_date=document_date
    )
    now = timezone.now()
    document = ChartDocument(
        patient=patient,
        kind=kind,
        title=clean_title,
        document_date=document_date,
        source=ChartDocument.Source.STAFF,
        uploaded_by=by,
        uploaded_at=now,
        filed_by=by,
        filed_at=now,
    )
    return _store(document, content, content_type, actor=by)


@transaction.atomic
def upload_by_patient(*, patient: Patient, content: bytes, patient_says: str, note: str = "") -> ChartDocument:
    """A file the signed-in patient uploads in the portal: "unfiled" on the chart until staff file it."""
    if patient_says not in FILED_KINDS:
        raise ValidationError({"patient_says": "Choose what the document is from the list."})
    label = str(ChartDocument.Kind(patient_says).label)
    content_type, title, clean_note = _validate(
        patient, content=content, kind=patient_says, title=label, note=note, document_date=None
    )
    document = ChartDocument(
        patient=patient,
        kind=ChartDocument.Kind.UNFILED,
        patient_says=patient_says,
        title=title,
        note=clean_note,
        source=ChartDocument.Source.PORTAL,
    )
    return _store(document, content, content_type, actor=None)


@transaction.atomic
def file_document(
    *, by: User, document: ChartDocument, kind: str, title: str, document_date: dt.date | None
) -> ChartDocument:
    """File (or refile) a document under a kind, with its title and date; the earlier values stay in the audit log."""
    locked = lock(ChartDocument).select_related("patient__location__clinic").get(pk=document.pk)
    _require(by, locked.patient)
    _require_sight(by, locked)
    if locked.entered_in_error:
        raise ValidationError({"__all__": "This document is marked entered in error: it cannot be filed."})
    if kind == ChartDocument.Kind.UNFILED:
        raise ValidationError({"kind": KIND_MESSAGE})
    _, clean_title, _ = _validate(
        locked.patient, content=None, kind=kind, title=title, note="", document_date=document_date
    )
    before = {"kind": locked.kind, "title": locked.title, "document_date": str(locked.document_date or "")}
    ChartDocument.objects.filter(pk=locked.pk).update(
        kind=kind, title=clean_title, document_date=document_date, filed_by=by, filed_at=timezone.now()
    )
    locked.refresh_from_db()
    audit.record(
        actor=by,
        action="chart_document.file",
        obj=locked,
        patient_id=locked.patient_id,
        detail={"before": before, "kind": kind, "title": clean_title, "document_date": str(document_date or "")},
    )
    return locked


@transaction.atomic
def mark_entered_in_error(*, by: User, document: ChartDocument, reason: str) -> ChartDocument:
    """Withdraw a wrong upload: kept (file and row), struck through and hidden by default, with who, when and why."""
    locked = lock(ChartDocument).select_related("patient").get(pk=document.pk)
    _require(by, locked.patient)
    _require_sight(by, locked)
    clean = _text("reason", reason, limit=1000, required=False)
    if not clean:
        raise ValidationError({"reason": "Say why this document is wrong (for example: another patient's letter)."})
    if locked.entered_in_error:
        raise ValidationError({"__all__": "This document is already marked entered in error."})
    ChartDocument.objects.filter(pk=locked.pk).update(
        entered_in_error=True, entered_in_error_reason=clean, entered_in_error_by=by, entered_in_error_at=timezone.now()
    )
    locked.refresh_from_db()
    audit.record(
        actor=by,
        action="chart_document.entered_in_error",
        obj=locked,
        patient_id=locked.patient_id,
        detail={"reason": clean},
    )
    return locked
