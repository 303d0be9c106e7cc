"""Progress letters (issue 20): what a letter gathers, drafting, signing (PDF on the chart, locked), entered in error,
bad input and access; the pages and the chart's prompt."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.audit.models import AuditEvent
from ketaclinic.documents import files
from ketaclinic.followup.models import ProgressLetter
from ketaclinic.followup.queries import letters as gathered
from ketaclinic.followup.services import letters
from tests.followup.letter_factories import treated_patient

pytestmark = pytest.mark.django_db

DATA = {
    "recipient_name": "Dr. Priya Shah",
    "recipient_npi": "1234567893",
    "recipient_contact": "Springfield Psychiatry, (217) 555-0100",
    "plan_text": "Maintenance infusions every 4 weeks; PHQ-9 every 2 weeks.",
}


@pytest.fixture
def lena(main_st: Any, bob: Any, alice: Any) -> Any:
    return treated_patient(main_st, bob, alice)


def test_gather_reports_the_signed_series_scores_and_side_effects(lena: Any) -> None:
    content = gathered.gather(lena)
    assert content["indication"].startswith("Treatment-resistant depression") or content["indication"]
    treatment = content["treatment"]
    assert treatment["count"] == 6 and treatment["routes"] == ["IV"] and treatment["dose_range_mg"] == ["40", "40"]
    phq9 = content["scales"][0]
    assert phq9["label"] == "PHQ-9" and phq9["baseline"]["total"] == 20 and phq9["latest"]["total"] == 4
    assert phq9["percent_reduction"] == 80.0 and phq9["response"] and phq9["remission"]
    assert phq9["remission_rule"] == "PHQ-9 < 5 (Kroenke 2001)"
    assert any("≥ 50 % reduction" in d for d in content["definitions"])
    assert content["adverse_events"] == [
        {
            "session_id": treatment["sessions"][1]["id"],
            "date": content["adverse_events"][0]["date"],
            "effect": "Nausea",
            "severity": "Mild",
            "adverse_event": False,
            "outcome": "Resolved",
            "action_taken": "ondansetron 4 mg",
        }
    ]
    assert gathered.series_complete(lena)


def test_sign_freezes_renders_the_pdf_onto_the_chart_and_locks(lena: Any, bob: Any) -> None:
    letter = letters.start_letter(by=bob, patient=lena, data=DATA)
    signed = letters.sign_letter(by=bob, letter=letter, expected_version=letter.version)
    assert signed.status == "signed" and signed.signed_by == bob and signed.content["treatment"]["count"] == 6
    document = signed.document
    assert document is not None and document.patient == lena and document.title == "Progress letter to Dr. Priya Shah"
    pdf = files.read(document.file_name)
    assert pdf.startswith(b"%PDF-") and files.sha256(pdf) == document.sha256
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Progress letter to Dr. Priya Shah" in text and "Signed electronically" in text and "DRAFT" not in text
    assert "6 signed sessions" in text and "Remission, response" in text and "Kroenke 2001" in text
    assert "Nausea" in text and "Maintenance infusions every 4 weeks" in text
    event = AuditEvent.objects.get(action="letter.sign")
    assert event.actor == bob and event.patient_id == lena.pk and event.detail["sha256"] == document.sha256
    with pytest.raises(ValidationError, match="signed and locked"):
        letters.update_letter(by=bob, letter=signed, data={**DATA, "plan_text": "changed"})
    with pytest.raises(ValidationError, match="signed and locked"):
        letters.sign_letter(by=bob, letter=signed)
    signed.refresh_from_db()
    assert signed.plan_text == DATA["plan_text"]


def test_entered_in_error_withdraws_the_letter_and_its_pdf(lena: Any, bob: Any) -> None:
    letter = letters.sign_letter(by=bob, letter=letters.start_letter(by=bob, patient=lena, data=DATA))
    with pytest.raises(ValidationError, match="Say why"):
        letters.mark_entered_in_error(by=bob, letter=letter, reason="  ")
    withdrawn = letters.mark_entered_in_error(by=bob, letter=letter, reason="Wrong recipient")
    assert withdrawn.entered_in_error and withdrawn.entered_in_error_reason == "Wrong recipient"
    assert withdrawn.document is not None
    withdrawn.document.refresh_from_db()
    assert withdrawn.document.entered_in_error
    assert ProgressLetter.objects.filter(pk=letter.pk).exists()  # never deleted


def test_bad_input_is_refused_with_nothing_written(lena: Any, bob: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        letters.start_letter(
            by=bob, patient=lena, data={"recipient_name": " ", "recipient_npi": "12ab", "plan_text": "<b>x</b>"}
        )
    assert set(refused.value.message_dict) == {"recipient_name", "recipient_npi", "plan_text"}
    with pytest.raises(ValidationError, match="At most 4000"):
        letters.start_letter(by=bob, patient=lena, data={**DATA, "plan_text": "x" * 4001})
    assert not ProgressLetter.objects.exists()


def test_only_prescribers_at_the_patient_location_write(
    lena: Any, alice: Any, erin: Any, clinic: Any, lakeside: Any
) -> None:
    with pytest.raises(PermissionDenied):
        letters.start_letter(by=alice, patient=lena, data=DATA)
    from tests.conftest import make_user

    elsewhere = make_user("gwen", "prescriber", clinic, [lakeside])
    with pytest.raises(PermissionDenied):
        letters.start_letter(by=elsewhere, patient=lena, data=DATA)
    assert not ProgressLetter.objects.exists()


def test_nothing_to_report_cannot_be_signed(pat: Any, bob: Any) -> None:
    letter = letters.start_letter(by=bob, patient=pat, data=DATA)
    with pytest.raises(ValidationError, match="Nothing to report"):
        letters.sign_letter(by=bob, letter=letter)
    letter.refresh_from_db()
    assert letter.status == "draft" and letter.document is None


def test_a_stale_version_is_refused(lena: Any, bob: Any) -> None:
    letter = letters.start_letter(by=bob, patient=lena, data=DATA)
    letters.update_letter(by=bob, letter=letter, data=DATA, expected_version=1)
    with pytest.raises(ValidationError, match="Someone else"):
        letters.sign_letter(by=bob, letter=letter, expected_version=1)


def test_the_chart_prompts_the_letter_until_one_is_signed(client_as: Any, lena: Any, bob: Any, alice: Any) -> None:
    page = client_as(bob).get(f"/patients/{lena.pk}/").content.decode()
    assert 'data-testid="chart-prompt-letter"' in page and "write a progress letter" in page
    assert 'data-testid="chart-prompt-letter"' not in client_as(alice).get(f"/patients/{lena.pk}/").content.decode()
    letters.sign_letter(by=bob, letter=letters.start_letter(by=bob, patient=lena, data=DATA))
    assert 'data-testid="chart-prompt-letter"' not in client_as(bob).get(f"/patients/{lena.pk}/").content.decode()


def test_the_pages_draft_sign_and_download(client_as: Any, lena: Any, bob: Any, alice: Any) -> None:
    prescriber = client_as(bob)
    listing = prescriber.get(f"/outcomes/letters/patient/{lena.pk}/")
    assert listing.status_code == 200 and b"series of the current plan is complete" in listing.content
    response = prescriber.post(f"/outcomes/letters/patient/{lena.pk}/", DATA)
    letter = ProgressLetter.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/outcomes/letters/{letter.pk}/"
    page = prescriber.get(f"/outcomes/letters/{letter.pk}/").content.decode()
    assert "DRAFT: not signed" in page and "PHQ-9" in page and "Nausea" in page and "Kroenke 2001" in page
    assert "chart.svg?scale=phq9" in page and 'data-testid="letter-charts-in-pdf"' not in page  # a draft: live chart
    assert prescriber.get(f"/outcomes/letters/{letter.pk}/letter.pdf").status_code == 404
    response = prescriber.post(f"/outcomes/letters/{letter.pk}/sign/", {"version": letter.version})
    assert response.status_code == 302
    download = prescriber.get(f"/outcomes/letters/{letter.pk}/letter.pdf")
    assert download.status_code == 200 and download.content.startswith(b"%PDF-")
    signed_page = prescriber.get(f"/outcomes/letters/{letter.pk}/").content.decode()
    # Signed: the charts are the PDF's, frozen; the live chart (later scores) is not shown beside the letter.
    assert "chart.svg" not in signed_page and 'data-testid="letter-charts-in-pdf"' in signed_page
    nurse = client_as(alice)
    assert nurse.get(f"/outcomes/letters/{letter.pk}/").status_code == 200
    assert nurse.post(f"/outcomes/letters/{letter.pk}/sign/").status_code == 403
    assert nurse.post(f"/outcomes/letters/{letter.pk}/", DATA).status_code == 403
    assert nurse.post(f"/outcomes/letters/patient/{lena.pk}/", DATA).status_code == 403
    assert ProgressLetter.objects.count() == 1


def test_the_database_refuses_to_change_a_signed_letter(lena: Any, bob: Any) -> None:
    from django.db import DatabaseError, transaction

    signed = letters.sign_letter(by=bob, letter=letters.start_letter(by=bob, patient=lena, data=DATA))
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic():
        ProgressLetter.objects.filter(pk=signed.pk).update(plan_text="rewritten afterwards")
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic():
        ProgressLetter.objects.filter(pk=signed.pk).update(status="draft")
    letters.mark_entered_in_error(by=bob, letter=signed, reason="Wrong recipient")  # still allowed
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic():
        ProgressLetter.objects.filter(pk=signed.pk).update(entered_in_error=False)
    draft = letters.start_letter(by=bob, patient=lena, data=DATA)
    ProgressLetter.objects.filter(pk=draft.pk).update(plan_text="a draft may change")
