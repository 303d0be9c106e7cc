"""Access matrix rows of the progress letter pages (issue 20): clinicians read them (outcomes.view), prescribers write
and sign (letters.write, POST only); another location's patient or letter is 404 (tests/followup/test_letters.py)."""

from __future__ import annotations

from typing import Any

from tests.conftest import tiny_pdf
from tests.test_access_matrix import NURSE, PRESC, everyone, staff

EXPECTED: dict[str, dict[str, int]] = {
    "letters:patient": staff(allowed=(NURSE, PRESC)),
    "letters:detail": staff(allowed=(NURSE, PRESC)),
    "letters:pdf": staff(allowed=(NURSE, PRESC)),
    "letters:sign": everyone(405),  # POST only
    "letters:entered_in_error": everyone(405),
    "letters:addendum": everyone(405),  # POST only; who may add: tests/followup/test_letter_addenda.py
    "letters:addendum_pdf": staff(allowed=(NURSE, PRESC)),
    "letters:addendum_entered_in_error": everyone(405),
}


def make_world(world: dict[str, Any]) -> dict[str, Any]:
    """A signed letter with one addendum (rows and PDFs on the chart, written directly: signing is tested in
    test_letters and test_letter_addenda)."""
    from django.utils import timezone

    from ketaclinic.followup.models import LetterAddendum, ProgressLetter
    from ketaclinic.patients import uploads

    pat, prescriber = world["pat"], world["cast"]["prescriber"]
    document = uploads.upload_by_staff(
        by=prescriber,
        patient=pat,
        content=tiny_pdf("letter"),
        kind="other",
        title="Progress letter",
        document_date=None,
    )
    letter = ProgressLetter.objects.create(
        patient=pat,
        recipient_name="Dr. Priya Shah",
        created_by=prescriber,
        status=ProgressLetter.Status.SIGNED,
        signed_by=prescriber,
        signed_at=timezone.now(),
        document=document,
        content={"treatment": {"count": 0, "sessions": []}, "scales": [], "adverse_events": [], "definitions": []},
    )
    addendum = LetterAddendum.objects.create(
        letter=letter,
        text="The patient's GP has changed.",
        reason="New information",
        signed_by=prescriber,
        document=uploads.upload_by_staff(
            by=prescriber,
            patient=pat,
            content=tiny_pdf("addendum"),
            kind="other",
            title="Addendum",
            document_date=None,
        ),
    )
    return {**world, "letter": letter, "addendum": addendum}


def url_kwargs(name: str, world: dict[str, Any]) -> dict[str, Any] | None:
    if name == "letters:patient":
        return {"patient_id": world["pat"].pk}
    if name.startswith("letters:addendum_"):
        return {"addendum_id": world["addendum"].pk}
    if name in EXPECTED:
        return {"letter_id": world["letter"].pk}
    return None
