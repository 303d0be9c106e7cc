"""Progress letters to the referring clinician: draft, edit the draft, sign, mark entered in error (issue 20).

Every write is keyword-only, atomic and audited. Only prescribers write and sign letters (``letters.write``). Signing
gathers the chart once more (``queries.letters.gather``), freezes it into the letter, renders the PDF through the one
document path (``ketaclinic.documents``) and files it on the chart (``patients.uploads``) in the same transaction;
the FHIR document Bundle is frozen with it (``hooks.frozen_document``). From then on the letter is locked: no edit, no
second signature, no deletion; what comes later is an addendum (``services.addenda``). A wrong letter is marked
entered in error with a reason (its PDF on the chart too), and a new letter is written.
"""

from __future__ import annotations

import base64
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from ketaclinic import charts
from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.documents import render_pdf
from ketaclinic.followup import hooks
from ketaclinic.followup.models import ProgressLetter
from ketaclinic.followup.queries import letters as gathered
from ketaclinic.followup.queries import trajectory
from ketaclinic.intake.models import ConsultationRequest
from ketaclinic.locking import lock
from ketaclinic.patients import documents as chart_documents
from ketaclinic.patients import uploads
from ketaclinic.patients.models import ChartDocument, Patient, clinic_date

CAPABILITY = "letters.write"
TEXT_LIMITS = {"recipient_name": 200, "recipient_npi": 10, "recipient_contact": 300, "plan_text": 4000}
REASON_MAX_CHARS = 1000


def require_writer(actor: User, patient: Patient) -> None:
    """Prescribers (``letters.write``) at the patient's location write letters and their addenda."""
    if not (actor.is_superuser or role_can(actor.role, CAPABILITY)):
        raise PermissionDenied(f"Only prescribers write and sign progress letters ({CAPABILITY}).")
    if not actor.locations.filter(pk=patient.location_id).exists():
        raise PermissionDenied("You do not work at this patient's location.")


def _fields(data: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for name, limit in TEXT_LIMITS.items():
        value = str(data.get(name, "") or "").replace("\r\n", "\n").strip()
        if len(value) > limit:
            errors[name] = f"At most {limit} characters ({len(value)} given): shorten it."
        if (tag := uploads.TAG.search(value)) is not None:
            errors[name] = uploads.PLAIN_TEXT.format(tag=tag.group(0)[:40])
        cleaned[name] = value
    if not cleaned["recipient_name"]:
        errors["recipient_name"] = "Who is the letter to? Name the referring clinician."
    npi = cleaned["recipient_npi"]
    if npi and not (npi.isdigit() and len(npi) == 10):
        errors["recipient_npi"] = "An NPI has 10 digits (or leave it empty)."
    if errors:
        raise ValidationError(errors)
    return cleaned


def referrer_of(patient: Patient) -> dict[str, str]:
    """The referrer of the patient's latest FHIR referral (the letter's default recipient), or {}."""
    found = (
        ConsultationRequest.objects.filter(patient=patient, source=ConsultationRequest.Source.FHIR)
        .order_by("-submitted_at", "-pk")
        .first()
    )
    if found is None:
        return {}
    contact = ", ".join(v for v in (found.referrer.get("organization"), found.referrer.get("phone")) if v)
    contact = ", ".join(v for v in (contact, found.referrer.get("email")) if v)
    return {
        "recipient_name": found.referrer.get("name", ""),
        "recipient_npi": found.referrer.get("npi", ""),
        "recipient_contact": contact,
    }


@transaction.atomic
def start_letter(*, by: User, patient: Patient, data: dict[str, str]) -> ProgressLetter:
    """A new draft letter about ``patient``."""
    require_writer(by, patient)
    letter = ProgressLetter.objects.create(patient=patient, created_by=by, **_fields(data))
    audit.record(actor=by, action="letter.draft", obj=letter, patient_id=patient.pk)
    return letter


def _locked(letter: ProgressLetter, expected_version: int | None) -> ProgressLetter:
    locked = lock(ProgressLetter).get(pk=letter.pk)
    if locked.is_signed:
        raise ValidationError({"__all__": "This letter is signed and locked: write a new letter instead."})
    if locked.entered_in_error:
        raise ValidationError({"__all__": "This letter was marked entered in error."})
    if expected_version is not None and locked.version != expected_version:
        raise ValidationError({"__all__": "Someone else changed this letter while you were working; reload it."})
    return locked


@transaction.atomic
def update_letter(
    *, by: User, letter: ProgressLetter, data: dict[str, str], expected_version: int | None = None
) -> ProgressLetter:
    require_writer(by, letter.patient)
    locked = _locked(letter, expected_version)
    for name, value in _fields(data).items():
        setattr(locked, name, value)
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save(update_fields=[*TEXT_LIMITS, "version", "updated_at"])
    audit.record(actor=by, action="letter.edit", obj=locked, patient_id=locked.patient_id)
    return locked


def chart_images(patient: Patient, content: dict[str, Any]) -> list[dict[str, str]]:
    """The trajectory chart of each scale in the letter, as SVG data URLs (the PDF embeds everything it shows)."""
    images = []
    for scale in content.get("scales", []):
        if not scale.get("follow_ups"):
            continue  # a baseline alone draws no trajectory
        view = trajectory.load(patient, scale=scale["instrument"], with_adjustments=False)
        svg = charts.render_svg(view, size="wide")
        images.append(
            {"label": scale["label"], "src": "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")}
        )
    return images


def letter_context(letter: ProgressLetter, content: dict[str, Any], *, charts_too: bool = True) -> dict[str, Any]:
    return {
        "letter": letter,
        "patient": letter.patient,
        "content": content,
        "charts": chart_images(letter.patient, content) if charts_too else [],
    }


def letter_pdf(letter: ProgressLetter, content: dict[str, Any], *, by: User) -> bytes:
    body = render_to_string("followup/letters/pdf.html", letter_context(letter, content))
    patient = letter.patient
    return render_pdf(
        title=f"Progress letter to {letter.recipient_name}",
        body_html=SafeString(body),
        letterhead=chart_documents.letterhead(patient.location),
        patient=chart_documents.identifiers(patient),
        produced=chart_documents.produced(patient, by=by),
    )


@transaction.atomic
def sign_letter(*, by: User, letter: ProgressLetter, expected_version: int | None = None) -> ProgressLetter:
    """Freeze the content, render the PDF onto the chart and lock the letter (the signer is its author)."""
    require_writer(by, letter.patient)
    locked = _locked(letter, expected_version)
    content = gathered.gather(locked.patient)
    if not content["treatment"]["count"] and not content["scales"]:
        raise ValidationError(
            {"__all__": "Nothing to report yet: no signed session and no score. A letter reports treatment given."}
        )
    now = timezone.now()
    locked.signed_by, locked.signed_at, locked.content = by, now, content
    locked.status = ProgressLetter.Status.SIGNED  # before rendering: the PDF prints the signature
    pdf = letter_pdf(locked, content, by=by)
    locked.document = uploads.upload_by_staff(
        by=by,
        patient=locked.patient,
        content=pdf,
        kind=ChartDocument.Kind.OTHER,
        title=f"Progress letter to {locked.recipient_name}"[:200],
        document_date=clinic_date(locked.patient),
    )
    locked.version += 1
    locked.updated_at = now
    # Last, when every field the Composition shows is set: the FHIR document, frozen with the signature.
    locked.document_bundle = hooks.frozen_document(locked)
    locked.save(
        update_fields=[
            "status",
            "signed_by",
            "signed_at",
            "content",
            "document",
            "version",
            "updated_at",
            "document_bundle",
        ]
    )
    audit.record(
        actor=by,
        action="letter.sign",
        obj=locked,
        patient_id=locked.patient_id,
        detail={
            "document": locked.document.pk,
            "sha256": locked.document.sha256,
            "sessions": content["treatment"]["count"],
        },
    )
    return locked


@transaction.atomic
def mark_entered_in_error(*, by: User, letter: ProgressLetter, reason: str) -> ProgressLetter:
    """Withdraw a letter (draft or signed) with a reason; a signed letter's PDF on the chart is withdrawn with it."""
    require_writer(by, letter.patient)
    locked = lock(ProgressLetter).get(pk=letter.pk)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the letter is entered in error."})
    if len(reason) > REASON_MAX_CHARS:
        raise ValidationError({"reason": f"Keep the reason under {REASON_MAX_CHARS} characters."})
    if locked.entered_in_error:
        raise ValidationError({"__all__": "This letter is already marked entered in error."})
    now = timezone.now()
    locked.entered_in_error, locked.entered_in_error_reason = True, reason
    locked.entered_in_error_by, locked.entered_in_error_at = by, now
    locked.save(
        update_fields=["entered_in_error", "entered_in_error_reason", "entered_in_error_by", "entered_in_error_at"]
    )
    if locked.document is not None and not locked.document.entered_in_error:
        uploads.mark_entered_in_error(by=by, document=locked.document, reason=f"Progress letter withdrawn: {reason}")
    audit.record(
        actor=by, action="letter.entered_in_error", obj=locked, patient_id=locked.patient_id, detail={"reason": reason}
    )
    return locked
