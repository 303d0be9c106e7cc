"""The portal's documents page (ketaclinic/portal/views/documents.py): the patient's own documents, an upload that
arrives unfiled on the chart, downloads of their own files; bad files and HTML get a message and write nothing;
another patient's document is 404."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ketaclinic.audit.models import AuditEvent
from ketaclinic.patients import uploads
from ketaclinic.patients.models import ChartDocument
from tests.conftest import tiny_pdf
from tests.portal.conftest import sign_in_as

pytestmark = pytest.mark.django_db
PDF = tiny_pdf("a referral letter")
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.fixture(autouse=True)
def documents_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "documents"
    settings.KETACLINIC_DOCUMENTS_DIR = folder
    settings.KETACLINIC_SCAN_MAX_MB = 1
    return folder


def send(client: Client, content: bytes = PDF, name: str = "letter.pdf", **extra: str) -> Any:
    data: dict[str, Any] = {"patient_says": "referral_letter", "note": ""}
    data.update(extra)
    data["file"] = SimpleUploadedFile(name, content, content_type="application/pdf")
    return client.post("/portal/documents/", data)


class TestPortalDocuments:
    def test_upload_arrives_unfiled_and_the_patient_downloads_it(self, client: Client, pat: Any, alice: Any) -> None:
        sign_in_as(client, pat)
        home = client.get("/portal/").content.decode()
        assert 'href="/portal/documents/"' in home
        response = send(client, note="From my GP")
        assert response.status_code == 302
        document = ChartDocument.objects.get()
        assert (
            document.kind == "unfiled" and document.patient_says == "referral_letter" and document.note == "From my GP"
        )
        assert AuditEvent.objects.filter(action="chart_document.upload", actor=None, patient_id=pat.pk).exists()
        page = client.get("/portal/documents/").content.decode()
        assert "has reached the clinic" in page and "not yet checked by the clinic" in page
        assert AuditEvent.objects.filter(action="portal.view", detail__page="documents").exists()
        download = client.get(f"/portal/documents/{document.pk}/")
        assert download.status_code == 200 and download.content == PDF
        assert download["Content-Disposition"].startswith("attachment;")
        assert download["X-Content-Type-Options"] == "nosniff"
        assert AuditEvent.objects.filter(action="portal.view", detail__page="document download").exists()

    def test_staff_documents_show_and_entered_in_error_ones_do_not(self, client: Client, pat: Any, alice: Any) -> None:
        kept = uploads.upload_by_staff(
            by=alice, patient=pat, content=JPEG, kind="labs", title="Blood count", document_date=None
        )
        wrong = uploads.upload_by_staff(
            by=alice, patient=pat, content=PDF, kind="ecg", title="Someone else's ECG", document_date=None
        )
        uploads.mark_entered_in_error(by=alice, document=wrong, reason="Wrong patient")
        sign_in_as(client, pat)
        page = client.get("/portal/documents/").content.decode()
        assert "Labs: Blood count" in page and "Someone else" not in page
        assert client.get(f"/portal/documents/{kept.pk}/").status_code == 200
        assert client.get(f"/portal/documents/{wrong.pk}/").status_code == 404

    @pytest.mark.parametrize(
        ("content", "name", "says"),
        [
            (b"MZ\x90\x00\x03\x00\x00\x00PE\x00\x00", "letter.pdf", "not a PDF, JPEG or PNG"),
            (b"<html><script>alert(1)</script></html>", "letter.pdf", "not a PDF, JPEG or PNG"),
            (b"%PDF-" + b"x" * (1024 * 1024), "big.pdf", "larger than 1 MB"),
            (b"", "empty.pdf", "empty"),
        ],
    )
    def test_bad_files_get_a_message_and_write_nothing(
        self, client: Client, pat: Any, documents_dir: Path, content: bytes, name: str, says: str
    ) -> None:
        sign_in_as(client, pat)
        response = send(client, content, name)
        assert response.status_code == 422 and says in response.content.decode()
        assert not ChartDocument.objects.exists()
        assert not documents_dir.exists() or os.listdir(documents_dir) == []

    def test_html_in_the_note_and_a_bad_choice_write_nothing(self, client: Client, pat: Any) -> None:
        sign_in_as(client, pat)
        response = send(client, note="<script>alert(1)</script>")
        text = response.content.decode()
        assert response.status_code == 422 and "Plain text only" in text and "<script>alert(1)" not in text
        assert send(client, patient_says="unfiled").status_code == 422
        assert send(client, patient_says="").status_code == 422
        assert not ChartDocument.objects.exists()

    def test_a_double_tap_uploads_once(self, client: Client, pat: Any) -> None:
        sign_in_as(client, pat)
        token = "0b6f2f4e-8a54-4c1e-9d0e-3a1c5b7d9e11"
        first = send(client, token=token)
        second = send(client, token=token)
        assert first.status_code == 302 and second.status_code == 302
        assert ChartDocument.objects.count() == 1

    def test_dates_are_the_clinics_calendar_day(self, client: Client, pat: Any) -> None:
        with time_machine.travel(dt.datetime(2026, 3, 3, 3, 0, tzinfo=dt.UTC)):  # 2 March, evening, in Chicago
            uploads.upload_by_patient(patient=pat, content=PDF, patient_says="labs")
        sign_in_as(client, pat)
        assert "you sent it on 2 March 2026" in client.get("/portal/documents/").content.decode()
