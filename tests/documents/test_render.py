"""The one HTML-to-PDF path: letterhead, the patient's identifiers, "Page X of Y" and the producer on every page,
read back with pypdf; HTML in any field is printed as text; nothing is fetched from outside the document. One page is
turned into a PNG with pdftoppm (test-artifacts/pdf/) to be looked at."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from ketaclinic.documents import Letterhead, PatientIdentifiers, Produced, RemoteResourceRefused, local_only, render_pdf
from ketaclinic.documents.pdf import page_html
from tests.consents.conftest import pdf_tools_available

pytestmark = pytest.mark.skipif(not pdf_tools_available(), reason="PDF TESTS NOT RUN: pango is missing")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pdf"
LETTERHEAD = Letterhead("Prairie Ketamine Clinic", "Main", "12 Elm Street\nSpringfield, IL 62701", "(217) 555-0100")
PATIENT = PatientIdentifiers("Pat Rivera", dt.date(1980, 4, 30), "K0012345")
PRODUCED = Produced("Alice Test, RN", dt.datetime(2026, 12, 7, 15, 30, tzinfo=dt.UTC), "America/Chicago")


def pages_of(content: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def long_body(paragraphs: int = 120) -> str:
    rows = ((n, "The patient is monitored throughout the session and until discharge.") for n in range(paragraphs))
    return format_html_join("", "<p>{}. {}</p>", rows)


def test_every_page_has_the_letterhead_the_patient_and_page_x_of_y() -> None:
    content = render_pdf(
        title="Session note", body_html=long_body(), letterhead=LETTERHEAD, patient=PATIENT, produced=PRODUCED
    )
    pages = pages_of(content)
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        for expected in (
            "Prairie Ketamine Clinic",
            "12 Elm Street",
            "Phone (217) 555-0100",
            "Patient: Pat Rivera",
            "DOB 1980-04-30",
            "MRN K0012345",
            f"Page {number} of {len(pages)}",
            "Produced by Alice Test, RN on 2026-12-07 09:30 CST (America/Chicago)",
        ):
            assert expected in text, (number, expected)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "three-pages.pdf").write_bytes(content)
    if (pdftoppm := shutil.which("pdftoppm")) is not None:
        prefix = ARTIFACTS / "three-pages"
        subprocess.run(  # noqa: S603  (fixed arguments, our own file)
            [pdftoppm, "-png", "-r", "70", "-f", "2", "-l", "2", str(ARTIFACTS / "three-pages.pdf"), str(prefix)],
            check=True,
        )
        assert list(ARTIFACTS.glob("three-pages-*2.png"))


def test_html_in_any_field_is_printed_as_text() -> None:
    evil = "<script>alert(1)</script>"
    html = page_html(
        title=f"Note {evil}",
        body_html=f"<p>{evil}</p>",  # a plain str is escaped: only a SafeString from a template is HTML
        letterhead=Letterhead(f"Clinic {evil}", evil, evil, evil),
        patient=PatientIdentifiers(f"Pat {evil}", dt.date(1980, 4, 30), evil),
        produced=Produced(evil, PRODUCED.at, PRODUCED.timezone),
    )
    assert "<script>" not in html and html.count("&lt;script&gt;") >= 8


def test_nothing_outside_the_document_is_fetched() -> None:
    for url in ("http://example.org/logo.png", "https://example.org/font.woff", "file:///etc/passwd", "ftp://x/y"):
        with pytest.raises(RemoteResourceRefused):
            local_only(url)
    assert local_only("data:text/plain;base64,aGk=")["file_obj"].read() == b"hi"
    body = mark_safe('<img src="file:///etc/hostname" alt="x"><p>After the image.</p>')
    content = render_pdf(title="T", body_html=body, letterhead=LETTERHEAD, patient=PATIENT, produced=PRODUCED)
    assert "After the image." in pages_of(content)[0]


def test_a_document_about_no_one_patient_has_no_patient_strip() -> None:
    content = render_pdf(
        title="Ledger report", body_html=long_body(5), letterhead=LETTERHEAD, patient=None, produced=PRODUCED
    )
    (text,) = pages_of(content)
    assert "Prairie Ketamine Clinic" in text and "Page 1 of 1" in text and "Patient:" not in text
