"""Addenda to signed progress letters (issue 20): add one (signed at once by its author), mark one entered in error.

A signed letter is locked; what the prescriber learns or must correct afterwards is an addendum: free text and why it
is added. It follows the letter's signing pattern: the prescriber who writes it signs it by submitting it (as a letter
is signed by its author, ``services.letters.sign_letter``), its PDF goes onto the chart through the one document path
in the same transaction, the row is locked by a database trigger (``guards.ADDENDUM_LOCK``) and every write is
audited. Nothing is deleted: a wrong addendum is marked entered in error (its PDF too) and a new one added.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from ketaclinic.accounts.models import User
from ketaclinic.audit import services as audit
from ketaclinic.documents import render_pdf
from ketaclinic.followup.models import LetterAddendum, ProgressLetter
from ketaclinic.followup.services.letters import REASON_MAX_CHARS, require_writer
from ketaclinic.locking import lock
from ketaclinic.patients import documents as chart_documents
from ketaclinic.patients import uploads
from ketaclinic.patients.models import ChartDocument, clinic_date

TEXT_MAX_CHARS = 4000


def _clean(name: str, value: str, *, limit: int, missing: str) -> str:
    clean = str(value or "").replace("\r\n", "\n").strip()
    if not clean:
        raise ValidationError({name: missing})
    if len(clean) > limit:
        raise ValidationError({name: f"At most {limit} characters ({len(clean)} given): shorten it."})
    if (tag := uploads.TAG.search(clean)) is not None:
        raise ValidationError({name: uploads.PLAIN_TEXT.format(tag=tag.group(0)[:40])})
    return clean


def _fields(text: str, reason: str) -> tuple[str, str]:
    """Both fields checked; every problem reported together."""
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for name, value, limit, missing in (
        ("text", text, TEXT_MAX_CHARS, "Write the addendum: what the referrer should know in addition."),
        ("reason", reason, REASON_MAX_CHARS, "Say why the addendum is added (a correction, new information …)."),
    ):
        try:
            cleaned[name] = _clean(name, value, limit=limit, missing=missing)
        except ValidationError as problem:
            errors.update(problem.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned["text"], cleaned["reason"]


def title_of(letter: ProgressLetter) -> str:
    """ "Addendum to the progress letter of <date> to <recipient>" (the date the letter was signed, clinic's day)."""
    assert letter.signed_at is not None
    signed_on = clinic_date(letter.patient, letter.signed_at)
    return f"Addendum to the progress letter of {signed_on:%Y-%m-%d} to {letter.recipient_name}"


def addendum_pdf(addendum: LetterAddendum, *, by: User) -> bytes:
    letter = addendum.letter
    patient = letter.patient
    body = render_to_string(
        "followup/letters/addendum_pdf.html", {"addendum": addendum, "letter": letter, "patient": patient}
    )
    return render_pdf(
        title=title_of(letter),
        body_html=SafeString(body),
        letterhead=chart_documents.letterhead(patient.location),
        patient=chart_documents.identifiers(patient),
        produced=chart_documents.produced(patient, by=by),
    )


@transaction.atomic
def add_addendum(*, by: User, letter: ProgressLetter, text: str, reason: str) -> LetterAddendum:
    """Add an addendum to a signed letter, signed now by ``by``, its PDF on the chart; refused on a draft (edit the
    draft instead) and on a letter entered in error (write a new letter)."""
    require_writer(by, letter.patient)
    locked = lock(ProgressLetter).select_related("patient", "patient__location__clinic").get(pk=letter.pk)
    if locked.entered_in_error:
        raise ValidationError(
            {"__all__": "This letter was marked entered in error: an addendum cannot be added. Write a new letter."}
        )
    if not locked.is_signed:
        raise ValidationError(
            {"__all__": "This letter is still a draft: change the draft itself. Addenda are for signed letters."}
        )
    clean_text, clean_reason = _fields(text, reason)
    addendum = LetterAddendum(
        letter=locked, text=clean_text, reason=clean_reason, signed_by=by, signed_at=timezone.now()
    )
    pdf = addendum_pdf(addendum, by=by)
    addendum.document = uploads.upload_by_staff(
        by=by,
        patient=locked.patient,
        content=pdf,
        kind=ChartDocument.Kind.OTHER,
        title=title_of(locked)[:200],
        document_date=clinic_date(locked.patient),
    )
    addendum.save()  # one INSERT, complete: the trigger locks every later UPDATE
    audit.record(
        actor=by,
        action="letter.addendum",
        obj=addendum,
        patient_id=locked.patient_id,
        detail={"letter": locked.pk, "document": addendum.document.pk, "sha256": addendum.document.sha256},
    )
    return addendum


@transaction.atomic
def mark_entered_in_error(*, by: User, addendum: LetterAddendum, reason: str) -> LetterAddendum:
    """Withdraw an addendum with a reason; its PDF on the chart is withdrawn with it. Never deleted."""
    patient = addendum.letter.patient
    require_writer(by, patient)
    locked = lock(LetterAddendum).get(pk=addendum.pk)
    reason = _clean("reason", reason, limit=REASON_MAX_CHARS, missing="Say why the addendum is entered in error.")
    if locked.entered_in_error:
        raise ValidationError({"__all__": "This addendum is already marked entered in error."})
    locked.entered_in_error, locked.entered_in_error_reason = True, reason
    locked.entered_in_error_by, locked.entered_in_error_at = by, timezone.now()
    locked.save(
        update_fields=["entered_in_error", "entered_in_error_reason", "entered_in_error_by", "entered_in_error_at"]
    )
    if not locked.document.entered_in_error:
        uploads.mark_entered_in_error(by=by, document=locked.document, reason=f"Addendum withdrawn: {reason}")
    audit.record(
        actor=by,
        action="letter.addendum.entered_in_error",
        obj=locked,
        patient_id=patient.pk,
        detail={"letter": locked.letter_id, "reason": reason},
    )
    return locked
