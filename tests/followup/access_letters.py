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
}


def make_world(world: dict[str, Any]) -> dict[str, Any]:
    """A signed letter (its row and its PDF on the chart, written directly: signing is tested in test_letters)."""
    from django.utils import timezone

    from ketaclinic.followup.models import ProgressLetter
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
    return {**world, "letter": letter}


def url_kwargs(name: str, world: dict[str, Any]) -> dict[str, Any] | None:
    if name == "letters:patient":
        return {"patient_id": world["pat"].pk}
    if name in EXPECTED:
        return {"letter_id": world["letter"].pk}
    return None
