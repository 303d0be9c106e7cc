"""Uploaded PDFs with active content (JavaScript, launch actions, embedded files, XFA) are refused with what to do;
ordinary PDFs, including the ones ketaclinic renders itself, pass (ISO 32000-1 §12.6, §7.11.4, §12.7.8)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from ketaclinic.documents import pdf_safety
from ketaclinic.patients.uploads import check_file


def written(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def blank() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    return writer


def on_opening(writer: PdfWriter, action_type: str, **entries: str) -> PdfWriter:
    """An /OpenAction of ``action_type`` (ISO 32000-1 §12.6.4) with text ``entries``."""
    action = DictionaryObject({NameObject("/S"): NameObject(action_type)})
    action.update({NameObject(f"/{key}"): TextStringObject(value) for key, value in entries.items()})
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    return writer


def test_a_plain_pdf_is_acceptable() -> None:
    verdict = pdf_safety.check_pdf(written(blank()))
    assert verdict.acceptable and verdict.problems == ()


def test_javascript_is_refused() -> None:
    verdict = pdf_safety.check_pdf(written(on_opening(blank(), "/JavaScript", JS="app.alert('hello');")))
    assert verdict.problems == ("JavaScript",)
    assert "Print it to a new PDF" in verdict.message() and "JavaScript" in verdict.message()


def test_an_embedded_file_is_refused() -> None:
    writer = blank()
    writer.add_attachment("payload.exe", b"MZ\x90\x00")
    assert pdf_safety.check_pdf(written(writer)).problems == ("embedded files",)


def test_a_launch_action_on_opening_is_refused() -> None:
    writer = on_opening(blank(), "/Launch", F="calc.exe")
    assert pdf_safety.check_pdf(written(writer)).problems == ("an action that starts a program",)


def test_a_link_to_a_web_address_is_ordinary() -> None:
    assert pdf_safety.check_pdf(written(on_opening(blank(), "/URI", URI="https://example.org"))).acceptable


def test_a_password_protected_pdf_is_refused_but_an_owner_password_only_is_not() -> None:
    locked = blank()
    locked.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    assert pdf_safety.check_pdf(written(locked)).problems == (pdf_safety.ENCRYPTED,)
    restricted = blank()
    restricted.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    assert pdf_safety.check_pdf(written(restricted)).acceptable


def test_a_damaged_file_is_refused() -> None:
    verdict = pdf_safety.check_pdf(b"%PDF-1.7\n\x00\x01 not a pdf at all")
    assert verdict.problems == (pdf_safety.DAMAGED,)
    assert verdict.message().startswith("This PDF cannot be checked: it has a damaged structure")


def test_a_file_with_too_many_objects_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_safety, "MAX_OBJECTS", 3)
    assert pdf_safety.check_pdf(written(blank())).problems == (pdf_safety.TOO_COMPLEX,)


def test_the_upload_check_says_what_to_do_and_a_pdf_we_render_passes(settings: Any) -> None:
    writer = on_opening(blank(), "/SubmitForm", F="https://example.org/collect")
    with pytest.raises(ValidationError) as refused:
        check_file(written(writer))
    assert "does not accept" in refused.value.message_dict["file"][0]
    from tests.consents.conftest import pdf_tools_available

    if pdf_tools_available():
        from ketaclinic.documents import Letterhead, PatientIdentifiers, Produced, render_pdf

        ours = render_pdf(
            title="Letter",
            body_html="<p>Hello</p>",
            letterhead=Letterhead("Clinic", "Main", "1 Elm St", "555"),
            patient=PatientIdentifiers("Pat Rivera", dt.date(1980, 4, 30), "K1"),
            produced=Produced("Alice", dt.datetime(2026, 12, 7, tzinfo=dt.UTC), "America/Chicago"),
        )
        assert check_file(ours) == "application/pdf"
