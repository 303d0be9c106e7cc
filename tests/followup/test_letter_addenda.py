"""Addenda to signed progress letters (issue 20): added and signed at once by a prescriber, PDF on the chart, locked
by a trigger, entered in error only; refused on a draft or a withdrawn letter; the letter's page and who may add."""

from __future__ import annotations

import io
import zoneinfo
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from pypdf import PdfReader

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.audit.models import AuditEvent
from ketaclinic.documents import files
from ketaclinic.followup.models import LetterAddendum
from ketaclinic.followup.services import addenda, letters
from tests.followup.letter_factories import treated_patient
from tests.followup.test_letters import DATA

pytestmark = pytest.mark.django_db

TEXT = "Since signing: the patient moved to 12 Elm Street.\nPlease update your records."
REASON = "New information after the letter was signed"


@pytest.fixture
def signed(main_st: Any, bob: Any, alice: Any) -> Any:
    patient = treated_patient(main_st, bob, alice)
    return letters.sign_letter(by=bob, letter=letters.start_letter(by=bob, patient=patient, data=DATA))


def _pdf_text(document: Any) -> str:
    pdf = files.read(document.file_name)
    assert pdf.startswith(b"%PDF-") and files.sha256(pdf) == document.sha256
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_an_addendum_is_signed_at_once_with_its_pdf_on_the_chart(signed: Any, bob: Any) -> None:
    addendum = addenda.add_addendum(by=bob, letter=signed, text=TEXT, reason=REASON)
    assert addendum.signed_by == bob and addendum.signed_at is not None and addendum.text == TEXT
    document = addendum.document
    assert document.patient == signed.patient and document.kind == "other"
    zone = zoneinfo.ZoneInfo(signed.patient.location.clinic.timezone)
    day = signed.signed_at.astimezone(zone).date()  # the letter's date on the clinic's calendar
    assert document.title == f"Addendum to the progress letter of {day:%Y-%m-%d} to Dr. Priya Shah"
    text = " ".join(_pdf_text(document).split())
    assert "Addendum to the progress letter of" in text and "Dr. Priya Shah" in text
    assert "12 Elm Street" in text and "Please update your records" in text and REASON in text
    assert f"Addendum to the progress letter of {day:%Y-%m-%d}" in text
    # Times in the clinic's zone, as the footer prints them (not the server's UTC).
    local = addendum.signed_at.astimezone(zone)
    assert f"Signed electronically on {local:%Y-%m-%d %H:%M}" in text
    event = AuditEvent.objects.get(action="letter.addendum")
    assert event.actor == bob and event.patient_id == signed.patient_id
    assert event.detail == {"letter": signed.pk, "document": document.pk, "sha256": document.sha256}
    signed.refresh_from_db()
    assert signed.version == 2 and list(signed.addenda.all()) == [addendum]  # the letter itself is untouched


def test_an_addendum_on_a_draft_is_refused_with_a_clear_message(signed: Any, bob: Any) -> None:
    draft = letters.start_letter(by=bob, patient=signed.patient, data=DATA)
    with pytest.raises(ValidationError, match="still a draft: change the draft itself"):
        addenda.add_addendum(by=bob, letter=draft, text=TEXT, reason=REASON)
    assert not LetterAddendum.objects.exists()


def test_an_addendum_on_a_letter_entered_in_error_is_refused(signed: Any, bob: Any) -> None:
    letters.mark_entered_in_error(by=bob, letter=signed, reason="Wrong recipient")
    with pytest.raises(ValidationError, match="entered in error: an addendum cannot be added"):
        addenda.add_addendum(by=bob, letter=signed, text=TEXT, reason=REASON)
    assert not LetterAddendum.objects.exists()


def test_bad_input_names_every_field_and_writes_nothing(signed: Any, bob: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        addenda.add_addendum(by=bob, letter=signed, text="  ", reason="")
    assert set(refused.value.message_dict) == {"text", "reason"}
    with pytest.raises(ValidationError, match="Plain text only"):
        addenda.add_addendum(by=bob, letter=signed, text="<script>x</script>", reason=REASON)
    with pytest.raises(ValidationError, match="At most 4000"):
        addenda.add_addendum(by=bob, letter=signed, text="x" * 4001, reason=REASON)
    assert not LetterAddendum.objects.exists()
    assert not AuditEvent.objects.filter(action="letter.addendum").exists()


def test_only_prescribers_at_the_patient_location_add(
    signed: Any, alice: Any, carol: Any, clinic: Any, lakeside: Any
) -> None:
    from tests.conftest import make_user

    elsewhere = make_user("gwen", "prescriber", clinic, [lakeside])
    for who in (alice, carol, elsewhere):
        with pytest.raises(PermissionDenied):
            addenda.add_addendum(by=who, letter=signed, text=TEXT, reason=REASON)
    assert not LetterAddendum.objects.exists()


def test_entered_in_error_withdraws_the_addendum_and_its_pdf_never_deleting(signed: Any, bob: Any) -> None:
    addendum = addenda.add_addendum(by=bob, letter=signed, text=TEXT, reason=REASON)
    with pytest.raises(ValidationError, match="Say why"):
        addenda.mark_entered_in_error(by=bob, addendum=addendum, reason=" ")
    withdrawn = addenda.mark_entered_in_error(by=bob, addendum=addendum, reason="Wrong patient's address")
    assert withdrawn.entered_in_error and withdrawn.entered_in_error_by == bob
    withdrawn.document.refresh_from_db()
    assert withdrawn.document.entered_in_error
    with pytest.raises(ValidationError, match="already"):
        addenda.mark_entered_in_error(by=bob, addendum=withdrawn, reason="again")
    assert LetterAddendum.objects.filter(pk=addendum.pk).exists()
    assert AuditEvent.objects.filter(action="letter.addendum.entered_in_error", patient_id=signed.patient_id).exists()


def test_the_database_refuses_to_change_a_signed_addendum(signed: Any, bob: Any) -> None:
    """The trigger (followup/guards.py), on SQLite and PostgreSQL: CI runs this file on both."""
    addendum = addenda.add_addendum(by=bob, letter=signed, text=TEXT, reason=REASON)
    rows = LetterAddendum.objects.filter(pk=addendum.pk)
    for change in ({"text": "rewritten"}, {"reason": "other"}, {"signed_at": addendum.signed_at.replace(year=2020)}):
        with pytest.raises(DatabaseError, match="signed addendum is locked"), transaction.atomic():
            rows.update(**change)
    addenda.mark_entered_in_error(by=bob, addendum=addendum, reason="Wrong")  # the one change allowed
    with pytest.raises(DatabaseError, match="signed addendum is locked"), transaction.atomic():
        rows.update(entered_in_error=False)
    assert rows.get().text == TEXT


def test_the_database_refuses_to_change_a_signed_letter_s_frozen_document(signed: Any) -> None:
    from ketaclinic.followup.models import ProgressLetter

    assert signed.document_bundle and signed.document_bundle["type"] == "document"
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic():
        ProgressLetter.objects.filter(pk=signed.pk).update(document_bundle={"resourceType": "Bundle"})


def test_the_letter_page_lists_addenda_and_only_prescribers_add(
    client_as: Any, signed: Any, bob: Any, alice: Any, carol: Any, dave: Any
) -> None:
    url = f"/outcomes/letters/{signed.pk}/addendum/"
    prescriber = client_as(bob)
    page = prescriber.get(f"/outcomes/letters/{signed.pk}/").content.decode()
    assert 'data-testid="add-addendum"' in page and "No addenda." in page
    response = prescriber.post(url, {"text": TEXT, "reason": REASON})
    assert response.status_code == 302 and response["Location"] == f"/outcomes/letters/{signed.pk}/#h-addenda"
    addendum = LetterAddendum.objects.get()
    page = prescriber.get(f"/outcomes/letters/{signed.pk}/").content.decode()
    assert "12 Elm Street" in page and REASON in page and bob.display_name in page
    assert f"/outcomes/letters/addendum/{addendum.pk}/addendum.pdf" in page
    download = prescriber.get(f"/outcomes/letters/addendum/{addendum.pk}/addendum.pdf")
    assert download.status_code == 200 and download.content.startswith(b"%PDF-")
    listing = prescriber.get(f"/outcomes/letters/patient/{signed.patient_id}/").content.decode()
    assert 'data-testid="letter-addenda-count"' in listing and "1 addendum" in listing
    nurse_page = client_as(alice).get(f"/outcomes/letters/{signed.pk}/").content.decode()
    assert "12 Elm Street" in nurse_page and 'data-testid="add-addendum"' not in nurse_page
    for who in (alice, carol, dave):  # nurse, front desk, clinic admin
        assert client_as(who).post(url, {"text": TEXT, "reason": REASON}).status_code == 403
    assert client_as(carol).get(f"/outcomes/letters/addendum/{addendum.pk}/addendum.pdf").status_code == 403
    assert LetterAddendum.objects.count() == 1


def test_the_page_shows_a_refusal_and_keeps_what_was_typed(client_as: Any, signed: Any, bob: Any) -> None:
    prescriber = client_as(bob)
    response = prescriber.post(f"/outcomes/letters/{signed.pk}/addendum/", {"text": TEXT, "reason": ""})
    assert response.status_code == 200 and "12 Elm Street" in response.content.decode()
    assert "This field is required" in response.content.decode()
    draft = letters.start_letter(by=bob, patient=signed.patient, data=DATA)
    refused = prescriber.post(f"/outcomes/letters/{draft.pk}/addendum/", {"text": TEXT, "reason": REASON})
    assert refused.status_code == 200 and "still a draft" in refused.content.decode()
    assert not LetterAddendum.objects.exists()


def test_another_location_sees_no_addendum(client_as: Any, signed: Any, bob: Any, erin: Any) -> None:
    addendum = addenda.add_addendum(by=bob, letter=signed, text=TEXT, reason=REASON)
    assert client_as(erin).get(f"/outcomes/letters/addendum/{addendum.pk}/addendum.pdf").status_code == 404


def test_withdrawing_from_the_page(client_as: Any, signed: Any, bob: Any, alice: Any) -> None:
    addendum = addenda.add_addendum(by=bob, letter=signed, text=TEXT, reason=REASON)
    url = f"/outcomes/letters/addendum/{addendum.pk}/entered-in-error/"
    assert client_as(alice).post(url, {"reason": "x"}).status_code == 403
    prescriber = client_as(bob)
    empty = prescriber.post(url, {"reason": ""})
    assert empty.status_code == 200 and "Say why the addendum is entered in error" in empty.content.decode()
    assert prescriber.post(url, {"reason": "Wrong address"}).status_code == 302
    page = prescriber.get(f"/outcomes/letters/{signed.pk}/").content.decode()
    assert "Entered in error" in page and "Wrong address" in page
