"""Every write about consents: keyword-only, atomic, validated, audited (ARCHITECTURE.md "services").

- ``create_document`` / ``publish_document``: clinic admins keep versioned consent documents; publishing locks a
  version and supersedes the one it replaces.
- ``sign_electronically``: the patient signs a published version (typed name + ticked box, optionally drawn); the
  ESIGN/UETA record, the chart's Consent row (which check-in reads) and the signed PDF are made together.
- ``record_paper_consent``: staff record a consent signed on paper, with the scan.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import ipaddress
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.accounts.models import Clinic, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.consents.models import CHART_KIND, ConsentDocument, ElectronicSignature, PaperConsentScan
from ketaclinic.documents import files, pdf_safety, render_pdf
from ketaclinic.locking import lock
from ketaclinic.patients import documents as chart_documents
from ketaclinic.patients import services as chart
from ketaclinic.patients.models import Consent, Patient, clinic_date

NAME_RULE = (
    "Type your full name as the clinic has it on file: your first name, then your last name (for example "
    "“Pat Rivera”). Capital letters and extra spaces do not matter; nicknames and initials are not accepted."
)
AGREE_MESSAGE = "Tick the box to say you have read this document and agree to sign it electronically."
TAG = re.compile(r"<\s*/?\s*[A-Za-z!?][^>]*>")
PLAIN_TEXT = "Plain text only: remove the HTML tags ({tag}). Blank lines separate paragraphs."
MAX_BODY_CHARS = 50_000
MAX_DRAWING_BYTES = 200_000
PNG_DATA_URL = "data:image/png;base64,"

ESIGN_STATEMENT = (
    "Signed electronically under the Electronic Signatures in Global and National Commerce Act (ESIGN, 15 U.S.C. "
    "§7001 et seq.) and the Uniform Electronic Transactions Act (UETA §§7, 9): the signer typed their name and ticked "
    "the box to agree; the exact text shown is identified by its SHA-256 digest in the table above."
)


def _require(actor: User | None, capability: str) -> None:
    if actor is not None and not (actor.is_superuser or role_can(actor.role, capability)):
        raise PermissionDenied(f"Your role may not do this ({capability}).")


def _plain(field: str, value: str, *, limit: int) -> str:
    text = value.replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError({field: "This field is required."})
    if len(text) > limit:
        raise ValidationError(
            {field: f"At most {limit} characters ({len(text)} given): shorten it. Nothing was saved."}
        )
    if (tag := TAG.search(text)) is not None:
        raise ValidationError({field: PLAIN_TEXT.format(tag=tag.group(0)[:40])})
    return text


# --- Documents --------------------------------------------------------------------------------------------------


@transaction.atomic
def create_document(
    *, by: User, clinic: Clinic, kind: str, title: str, body: str, effective_on: dt.date
) -> ConsentDocument:
    """A new draft: version n + 1 of the clinic's documents of that kind. Nothing is published until
    ``publish_document``."""
    _require(by, "consents.manage")
    if not by.is_superuser and by.clinic_id != clinic.pk:
        raise PermissionDenied("You do not work for that clinic.")
    if kind not in ConsentDocument.Kind.values:
        raise ValidationError({"kind": "Choose one of the listed kinds of document."})
    errors: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for field, value, limit in (("title", title, 200), ("body", body, MAX_BODY_CHARS)):
        try:
            cleaned[field] = _plain(field, value, limit=limit)
        except ValidationError as exc:
            errors.update({name: messages[0] for name, messages in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    lock(Clinic).filter(pk=clinic.pk).first()  # two admins adding a version at once get n + 1 and n + 2 (PostgreSQL)
    last = ConsentDocument.objects.filter(clinic=clinic, kind=kind).aggregate(last=Max("version"))["last"] or 0
    document = ConsentDocument(
        clinic=clinic,
        kind=kind,
        version=last + 1,
        title=cleaned["title"],
        body=cleaned["body"],
        effective_on=effective_on,
        created_by=by,
    )
    document.text_sha256 = ConsentDocument.hash_text(document.signed_text)
    document.save(force_insert=True)
    audit.record(
        actor=by, action="consent_document.create", obj=document, detail={"kind": kind, "version": document.version}
    )
    return document


@transaction.atomic
def publish_document(*, by: User, document: ConsentDocument) -> ConsentDocument:
    """Publish a draft: it is locked from now on, and the version it replaces is marked superseded (kept, with every
    signature of it)."""
    _require(by, "consents.manage")
    if not by.is_superuser and by.clinic_id != document.clinic_id:
        raise PermissionDenied("You do not work for that clinic.")
    locked = lock(ConsentDocument).get(pk=document.pk)
    if locked.status != ConsentDocument.Status.DRAFT:
        raise ValidationError(
            {
                "__all__": f"Version {locked.version} is already {locked.get_status_display().lower()}: a published "
                "document cannot be changed. Write a new version instead."
            }
        )
    now = timezone.now()
    previous = list(
        lock(ConsentDocument).filter(
            clinic_id=locked.clinic_id, kind=locked.kind, status=ConsentDocument.Status.PUBLISHED
        )
    )
    for old in previous:
        ConsentDocument.objects.filter(pk=old.pk).update(
            status=ConsentDocument.Status.SUPERSEDED, superseded_at=now, superseded_by=locked
        )
    ConsentDocument.objects.filter(pk=locked.pk).update(
        status=ConsentDocument.Status.PUBLISHED, published_at=now, published_by=by
    )
    locked.refresh_from_db()
    audit.record(
        actor=by,
        action="consent_document.publish",
        obj=locked,
        detail={"kind": locked.kind, "version": locked.version, "superseded": [old.version for old in previous]},
    )
    return locked


def current_documents(clinic_id: int) -> list[ConsentDocument]:
    """The published version of each kind of document the clinic keeps."""
    return list(
        ConsentDocument.objects.filter(clinic_id=clinic_id, status=ConsentDocument.Status.PUBLISHED).order_by("kind")
    )


# --- Electronic signature ---------------------------------------------------------------------------------------


def _normal_name(name: str) -> str:
    return " ".join(name.casefold().split())


def _check_drawing(drawn: str) -> str:
    if not drawn:
        return ""
    if not drawn.startswith(PNG_DATA_URL) or len(drawn) > MAX_DRAWING_BYTES * 4 // 3 + len(PNG_DATA_URL) + 4:
        raise ValidationError({"drawn_signature": "The drawn signature could not be read: clear it and draw again."})
    try:
        content = base64.b64decode(drawn[len(PNG_DATA_URL) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(
            {"drawn_signature": "The drawn signature could not be read: clear it and draw again."}
        ) from None
    if files.sniff(content) != "image/png":
        raise ValidationError({"drawn_signature": "The drawn signature could not be read: clear it and draw again."})
    return drawn


def _ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def _check_signable(patient: Patient, document: ConsentDocument, today: dt.date) -> None:
    if document.clinic_id != patient.location.clinic_id:
        raise ValidationError({"__all__": "This document is not one of this clinic's."})
    if document.status == ConsentDocument.Status.DRAFT:
        raise ValidationError({"__all__": f"Version {document.version} is a draft: it can be signed once published."})
    if document.status == ConsentDocument.Status.SUPERSEDED:
        newer = document.superseded_by
        detail = f" by version {newer.version}" if newer is not None else ""
        raise ValidationError(
            {
                "__all__": f"Version {document.version} of “{document.title}” has been superseded{detail}: read and "
                "sign the current version."
            }
        )
    if document.effective_on > today:
        raise ValidationError(
            {
                "__all__": f"Version {document.version} takes effect on {document.effective_on:%Y-%m-%d}; it cannot "
                "be signed before then."
            }
        )
    earlier = ElectronicSignature.objects.filter(patient=patient, document=document).first()
    if earlier is not None:
        raise ValidationError(
            {
                "__all__": f"Already signed: version {document.version} was signed electronically on "
                f"{clinic_date(patient, earlier.signed_at):%Y-%m-%d}. Nothing was changed."
            }
        )


@transaction.atomic
def sign_electronically(
    *,
    patient: Patient,
    document_version: ConsentDocument,
    typed_name: str,
    agreed: bool,
    ip: str | None,
    user_agent: str,
    drawn_signature: str | None = None,
    shown_sha256: str | None = None,
    witnessed_by: User | None = None,
) -> ElectronicSignature:
    """The patient signs ``document_version`` electronically. Refused (nothing written) when the typed name is not
    the patient's name on file (``NAME_RULE``), the box is not ticked, the version is a draft, superseded or not yet
    effective, the text shown (``shown_sha256``) is not the version's text, or the patient already signed it.

    ``witnessed_by``: the staff member whose tablet the patient signed on (None: the patient's own portal session)."""
    _require(witnessed_by, "consent.record")
    if witnessed_by is not None and not witnessed_by.locations.filter(pk=patient.location_id).exists():
        raise PermissionDenied("You do not work at this patient's location.")
    lock(Patient).filter(pk=patient.pk).first()  # one signature per version, even from two tabs (PostgreSQL)
    document = lock(ConsentDocument).get(pk=document_version.pk)
    signed_at = timezone.now()
    _check_signable(patient, document, clinic_date(patient, signed_at))
    errors: dict[str, str] = {}
    if shown_sha256 is not None and shown_sha256 != document.text_sha256:
        errors["__all__"] = "The text changed while it was being read: read the current text and sign again."
    if not agreed:
        errors["agreed"] = AGREE_MESSAGE
    name = " ".join(typed_name.split())
    if not name or len(name) > 200 or _normal_name(name) != _normal_name(patient.full_name):
        errors["typed_name"] = NAME_RULE
    try:
        drawing = _check_drawing(drawn_signature or "")
    except ValidationError as exc:
        errors.update({field: messages[0] for field, messages in exc.message_dict.items()})
        drawing = ""
    if errors:
        raise ValidationError(errors)
    consent = chart.record_consent(
        by=witnessed_by,
        patient=patient,
        kind=CHART_KIND[ConsentDocument.Kind(document.kind)],
        version=str(document.version),
        signed_at=signed_at,
        signed_by_name=name,
        method=Consent.Method.ELECTRONIC,
    )
    signature = ElectronicSignature(
        patient=patient,
        document=document,
        consent=consent,
        document_version=document.version,
        text_sha256=document.text_sha256,
        typed_name=name,
        agreed=True,
        drawn_signature=drawing,
        signed_at=signed_at,
        ip_address=_ip(ip),
        user_agent=user_agent[:500],
        channel=ElectronicSignature.Channel.TABLET if witnessed_by else ElectronicSignature.Channel.PORTAL,
        witnessed_by=witnessed_by,
    )
    pdf = signed_pdf(signature, produced_by=witnessed_by)
    signature.pdf_name = files.store(pdf, extension="pdf")
    signature.pdf_sha256, signature.pdf_size = files.sha256(pdf), len(pdf)
    try:
        signature.save(force_insert=True)
        audit.record(
            actor=witnessed_by,
            action="consent.sign_electronically",
            obj=signature,
            patient_id=patient.pk,
            detail={
                "kind": document.kind,
                "document_version": document.version,
                "channel": signature.channel,
                "text_sha256": document.text_sha256,
                "pdf_sha256": signature.pdf_sha256,
            },
        )
    except Exception:
        files.discard(signature.pdf_name)
        raise
    return signature


def signed_pdf(signature: ElectronicSignature, *, produced_by: User | None) -> bytes:
    """The signed consent as a PDF: the exact text, the signature block and the ESIGN/UETA record."""
    patient, document = signature.patient, signature.document
    produced = chart_documents.produced(
        patient, by=produced_by, by_name=f"{patient.full_name} (patient portal)", at=signature.signed_at
    )
    body = render_to_string(
        "consents/signed_pdf.html",
        {
            "document": document,
            "signature": signature,
            "signed_local": produced.label,
            # Formatted here: the template's date filter would convert it to the active (clinic) zone.
            "signed_utc": f"{signature.signed_at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC",
            "statement": ESIGN_STATEMENT,
        },
    )
    return render_pdf(
        title=f"{document.title} (version {document.version})",
        body_html=body,
        letterhead=chart_documents.letterhead(patient.location),
        patient=chart_documents.identifiers(patient),
        produced=produced,
    )


# --- Paper consent with a scan ----------------------------------------------------------------------------------


@transaction.atomic
def record_paper_consent(
    *,
    by: User,
    patient: Patient,
    kind: str,
    version: str,
    signed_at: dt.datetime,
    signed_by_name: str,
    expires_on: dt.date | None,
    scan: bytes,
) -> PaperConsentScan:
    """A consent signed on paper, with its scan (PDF, JPEG or PNG, judged by the content; at most
    KETACLINIC_SCAN_MAX_MB). The chart's Consent row and the scan are kept together."""
    _require(by, "consent.record")
    if not by.locations.filter(pk=patient.location_id).exists():
        raise PermissionDenied("You do not work at this patient's location.")
    errors: dict[str, str] = {}
    limit_mb = settings.KETACLINIC_SCAN_MAX_MB
    content_type = files.sniff(scan)
    if not scan:
        errors["scan"] = "The file is empty: scan the signed form again."
    elif len(scan) > limit_mb * 1024 * 1024:
        errors["scan"] = (
            f"The scan is {len(scan) / 1024 / 1024:.1f} MB; the largest accepted is {limit_mb} MB. Scan in black and "
            "white or at a lower resolution."
        )
    elif content_type is None:
        errors["scan"] = (
            "This file is not a PDF, JPEG or PNG (its content was checked, not its name). Scan the signed form to "
            "one of those."
        )
    elif content_type == "application/pdf" and not (verdict := pdf_safety.check_pdf(scan)).acceptable:
        errors["scan"] = verdict.message()
    cleaned: dict[str, str] = {}
    for field, value, limit in (("version", version, 20), ("signed_by_name", signed_by_name, 200)):
        try:
            cleaned[field] = _plain(field, value, limit=limit)
        except ValidationError as exc:
            errors.update({name: messages[0] for name, messages in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    assert content_type is not None  # narrowed by the checks above
    consent = chart.record_consent(
        by=by,
        patient=patient,
        kind=kind,
        version=cleaned["version"],
        signed_at=signed_at,
        signed_by_name=cleaned["signed_by_name"],
        expires_on=expires_on,
        method=Consent.Method.PAPER_SCAN,
    )
    name = files.store(scan, extension=files.EXTENSIONS[content_type])
    try:
        row = PaperConsentScan.objects.create(
            consent=consent,
            file_name=name,
            content_type=content_type,
            size_bytes=len(scan),
            sha256=files.sha256(scan),
            uploaded_by=by,
        )
        audit.record(
            actor=by,
            action="consent.paper_scan",
            obj=row,
            patient_id=patient.pk,
            detail={"kind": kind, "content_type": content_type, "size_bytes": len(scan), "sha256": row.sha256},
        )
    except Exception:
        files.discard(name)
        raise
    return row
