"""Documents on the chart (ketaclinic/patients/uploads.py, document_views.py): staff upload, file a patient's upload,
mark entered in error, download. Every bad input (too big, wrong type, an executable renamed .pdf, HTML in text
fields, another patient's or location's ids) gets a clear message and writes nothing."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.audit.models import AuditEvent
from ketaclinic.patients import uploads
from ketaclinic.patients.models import ChartDocument
from tests.conftest import make_patient, tiny_pdf

pytestmark = pytest.mark.django_db

PDF = tiny_pdf("referral letter from Dr Lee")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00PE\x00\x00"  # a Windows program, whatever its name says
HTML = b"<html><script>alert(1)</script></html>"


@pytest.fixture(autouse=True)
def documents_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "documents"
    settings.KETACLINIC_DOCUMENTS_DIR = folder
    settings.KETACLINIC_SCAN_MAX_MB = 1
    return folder


def stored(folder: Path) -> list[str]:
    return sorted(os.listdir(folder)) if folder.exists() else []


def staff_upload(by: Any, patient: Any, content: bytes = PDF, **extra: Any) -> ChartDocument:
    values = {"kind": "referral_letter", "title": "Referral from Dr Lee", "document_date": dt.date(2026, 1, 5)}
    values.update(extra)
    return uploads.upload_by_staff(by=by, patient=patient, content=content, **values)


class TestServices:
    def test_staff_upload_is_filed_stored_privately_and_audited(
        self, alice: Any, pat: Any, documents_dir: Path
    ) -> None:
        document = staff_upload(alice, pat)
        assert document.kind == "referral_letter" and document.content_type == "application/pdf"
        assert document.filed_by == alice and document.source == "staff" and document.size_bytes == len(PDF)
        path = documents_dir / document.file_name
        assert path.read_bytes() == PDF and document.file_name.endswith(".pdf")
        assert (path.stat().st_mode & 0o777) == 0o600
        event = AuditEvent.objects.get(action="chart_document.upload")
        assert event.patient_id == pat.pk and event.detail["sha256"] == document.sha256

    def test_patient_upload_arrives_unfiled_then_staff_file_it(self, carol: Any, pat: Any) -> None:
        document = uploads.upload_by_patient(patient=pat, content=PNG, patient_says="insurance_card", note="Front")
        assert document.kind == "unfiled" and document.uploaded_by is None and document.source == "portal"
        assert document.title == "Insurance card" and document.content_type == "image/png"
        filed = uploads.file_document(
            by=carol, document=document, kind="insurance_card", title="Insurance card, front", document_date=None
        )
        assert filed.kind == "insurance_card" and filed.filed_by == carol and filed.filed_at is not None
        event = AuditEvent.objects.get(action="chart_document.file")
        assert event.detail["before"]["kind"] == "unfiled"

    @pytest.mark.parametrize(
        ("content", "says"),
        [
            (b"", "The file is empty"),
            (b"%PDF-" + b"x" * (1024 * 1024), "larger than 1 MB"),
            (EXE, "not a PDF, JPEG or PNG (its content was checked, not its name)"),
            (HTML, "not a PDF, JPEG or PNG"),
        ],
    )
    def test_bad_files_are_refused_and_nothing_is_written(
        self, alice: Any, pat: Any, documents_dir: Path, content: bytes, says: str
    ) -> None:
        with pytest.raises(ValidationError) as refused:
            staff_upload(alice, pat, content)
        assert says in refused.value.message_dict["file"][0]
        with pytest.raises(ValidationError):
            uploads.upload_by_patient(patient=pat, content=content, patient_says="labs")
        assert not ChartDocument.objects.exists() and stored(documents_dir) == []
        assert not AuditEvent.objects.filter(action="chart_document.upload").exists()

    def test_html_in_every_text_field_is_refused(self, alice: Any, pat: Any, documents_dir: Path) -> None:
        with pytest.raises(ValidationError) as refused:
            staff_upload(alice, pat, title="<b>Letter</b>")
        assert "Plain text only" in refused.value.message_dict["title"][0]
        with pytest.raises(ValidationError) as refused:
            uploads.upload_by_patient(patient=pat, content=PDF, patient_says="labs", note="<script>x</script>")
        assert "Plain text only" in refused.value.message_dict["note"][0]
        document = staff_upload(alice, pat)
        with pytest.raises(ValidationError):
            uploads.file_document(
                by=alice, document=document, kind="labs", title="<img src=x onerror=alert(1)>", document_date=None
            )
        with pytest.raises(ValidationError):
            uploads.mark_entered_in_error(by=alice, document=document, reason="<i>wrong</i>")
        document.refresh_from_db()
        assert document.title == "Referral from Dr Lee" and not document.entered_in_error
        assert ChartDocument.objects.count() == 1 and len(stored(documents_dir)) == 1

    def test_other_bad_fields(self, alice: Any, pat: Any) -> None:
        tomorrow = dt.date.today() + dt.timedelta(days=2)
        with pytest.raises(ValidationError) as refused:
            staff_upload(alice, pat, kind="unfiled", title="")
        assert "kind" in refused.value.message_dict
        with pytest.raises(ValidationError) as refused:
            staff_upload(alice, pat, kind="passport", title=" ", document_date=tomorrow)
        assert set(refused.value.message_dict) == {"kind", "title", "document_date"}
        with pytest.raises(ValidationError):
            uploads.upload_by_patient(patient=pat, content=PDF, patient_says="unfiled")
        assert not ChartDocument.objects.exists()

    def test_entered_in_error_keeps_the_row_and_the_file(self, alice: Any, pat: Any, documents_dir: Path) -> None:
        document = staff_upload(alice, pat)
        with pytest.raises(ValidationError) as refused:
            uploads.mark_entered_in_error(by=alice, document=document, reason="  ")
        assert "Say why" in refused.value.message_dict["reason"][0]
        marked = uploads.mark_entered_in_error(by=alice, document=document, reason="Another patient's letter")
        assert marked.entered_in_error and marked.entered_in_error_by == alice
        assert ChartDocument.objects.count() == 1 and (documents_dir / document.file_name).exists()
        with pytest.raises(ValidationError):
            uploads.mark_entered_in_error(by=alice, document=document, reason="again")
        with pytest.raises(ValidationError):
            uploads.file_document(by=alice, document=document, kind="labs", title="Labs", document_date=None)

    def test_roles_and_locations(self, dave: Any, erin: Any, alice: Any, pat: Any) -> None:
        with pytest.raises(PermissionDenied):
            staff_upload(dave, pat)  # clinic admins see the chart but do not add to it
        with pytest.raises(PermissionDenied):
            staff_upload(erin, pat)  # Lakeside nurse, Main patient
        document = staff_upload(alice, pat)
        with pytest.raises(PermissionDenied):
            uploads.file_document(by=erin, document=document, kind="labs", title="Labs", document_date=None)
        with pytest.raises(PermissionDenied):
            uploads.mark_entered_in_error(by=dave, document=document, reason="wrong")
        assert ChartDocument.objects.count() == 1


def post_upload(client: Any, patient: Any, content: bytes = PDF, name: str = "letter.pdf", **extra: Any) -> Any:
    data = {"kind": "referral_letter", "title": "Referral from Dr Lee", "document_date": "2026-01-05"}
    data.update(extra)
    data["file"] = SimpleUploadedFile(name, content, content_type="application/pdf")
    return client.post(reverse("patients:document_upload", args=[patient.pk]), data)


class TestStaffPages:
    def test_upload_list_download(self, client_as: Any, carol: Any, dave: Any, pat: Any) -> None:
        response = post_upload(client_as(carol), pat, kind="insurance_card", title="Referral from Dr Lee")
        assert response.status_code == 302
        document = ChartDocument.objects.get()
        listing = client_as(dave).get(reverse("patients:documents", args=[pat.pk]))
        text = listing.content.decode()
        assert "Insurance card" in text and "Referral from Dr Lee" in text and "Upload a document" not in text
        assert AuditEvent.objects.filter(action="chart_document.list", actor=dave, patient_id=pat.pk).exists()
        download = client_as(dave).get(reverse("patients:document_download", args=[pat.pk, document.pk]))
        assert download.status_code == 200 and download.content == PDF
        assert download["Content-Disposition"].startswith("attachment;")
        assert download["X-Content-Type-Options"] == "nosniff" and download["Content-Type"] == "application/pdf"
        event = AuditEvent.objects.get(action="chart_document.download")
        assert event.actor == dave and event.patient_id == pat.pk and event.detail["intact"] is True
        chart = client_as(carol).get(reverse("patients:chart", args=[pat.pk])).content.decode()
        assert "Documents" in chart and "Referral from Dr Lee" in chart

    @pytest.mark.parametrize(
        ("content", "name", "says"),
        [
            (EXE, "letter.pdf", "not a PDF, JPEG or PNG"),
            (HTML, "letter.pdf", "not a PDF, JPEG or PNG"),
            (b"%PDF-" + b"x" * (1024 * 1024), "big.pdf", "larger than 1 MB"),
        ],
    )
    def test_bad_files_on_the_form_write_nothing(
        self, client_as: Any, alice: Any, pat: Any, documents_dir: Path, content: bytes, name: str, says: str
    ) -> None:
        response = post_upload(client_as(alice), pat, content, name)
        assert response.status_code == 422 and says in response.content.decode()
        assert not ChartDocument.objects.exists() and stored(documents_dir) == []

    def test_html_in_the_title_is_shown_as_a_message_not_run(self, client_as: Any, alice: Any, pat: Any) -> None:
        response = post_upload(client_as(alice), pat, title="<script>alert(1)</script>")
        text = response.content.decode()
        assert response.status_code == 422 and "Plain text only" in text and "<script>alert(1)" not in text
        assert not ChartDocument.objects.exists()

    def test_file_an_unfiled_upload_and_mark_one_entered_in_error(self, client_as: Any, alice: Any, pat: Any) -> None:
        document = uploads.upload_by_patient(patient=pat, content=PDF, patient_says="referral_letter", note="From GP")
        client = client_as(alice)
        listing = client.get(reverse("patients:documents", args=[pat.pk])).content.decode()
        assert "Unfiled" in listing and "The patient says: Referral letter" in listing and "From GP" in listing
        form = client.get(reverse("patients:document_file", args=[pat.pk, document.pk])).content.decode()
        assert 'value="referral_letter" selected' in form
        bad = client.post(
            reverse("patients:document_file", args=[pat.pk, document.pk]), {"kind": "labs", "title": "<b>x</b>"}
        )
        assert bad.status_code == 422
        done = client.post(
            reverse("patients:document_file", args=[pat.pk, document.pk]),
            {"kind": "referral_letter", "title": "Referral from Dr Lee", "document_date": "2026-01-05"},
        )
        assert done.status_code == 302
        document.refresh_from_db()
        assert document.kind == "referral_letter" and document.filed_by == alice
        client.post(
            reverse("patients:document_entered_in_error", args=[pat.pk, document.pk]), {"reason": "Wrong patient"}
        )
        document.refresh_from_db()
        assert document.entered_in_error and document.entered_in_error_reason == "Wrong patient"
        hidden = client.get(reverse("patients:documents", args=[pat.pk])).content.decode()
        assert "document-row" not in hidden and "Show 1 document entered in error" in hidden
        shown = client.get(reverse("patients:documents", args=[pat.pk]) + "?show=all").content.decode()
        assert 'class="eie"' in shown and "Wrong patient" in shown

    def test_another_patients_ids_on_every_url_are_404_and_write_nothing(
        self, client_as: Any, alice: Any, pat: Any, main_st: Any, lake: Any, erin: Any
    ) -> None:
        other = make_patient(main_st, given_name="Olive", family_name="Other", date_of_birth=dt.date(1970, 1, 15))
        hers = uploads.upload_by_patient(patient=other, content=PDF, patient_says="labs")
        lakes = staff_upload(erin, lake)
        client = client_as(alice)
        before = (ChartDocument.objects.filter(kind="unfiled").count(), AuditEvent.objects.count())
        for patient_id, document_id in ((pat.pk, hers.pk), (lake.pk, lakes.pk), (pat.pk, lakes.pk)):
            for name, data in (
                ("patients:document_download", None),
                ("patients:document_file", {"kind": "labs", "title": "Labs"}),
                ("patients:document_entered_in_error", {"reason": "x"}),
            ):
                url = reverse(name, args=[patient_id, document_id])
                assert client.get(url).status_code == 404, url
                if data is not None:
                    response = client.post(url, data)
                    assert response.status_code == 404 and "Olive" not in response.content.decode(), url
        assert client.get(reverse("patients:documents", args=[lake.pk])).status_code == 404
        assert post_upload(client, lake).status_code == 404
        hers.refresh_from_db()
        lakes.refresh_from_db()
        assert hers.kind == "unfiled" and not hers.entered_in_error and not lakes.entered_in_error
        assert ChartDocument.objects.filter(patient=lake).count() == 1
        assert (ChartDocument.objects.filter(kind="unfiled").count(), AuditEvent.objects.count()) == before


class TestClinicalKinds:
    """Front desk and clinic admins see ID and insurance cards; referral letters, prior records, ECGs, labs and
    "other" only nurses and prescribers (security.md "Authorisation"; HIPAA minimum necessary, 45 CFR 164.502(b))."""

    def test_each_kind_by_role(self, carol: Any, alice: Any, bob: Any, dave: Any, pat: Any) -> None:
        for kind in ("referral_letter", "prior_records", "ecg", "labs", "other", "id", "insurance_card"):
            document = staff_upload(alice, pat, kind=kind)
            assert uploads.can_see(alice, document) and uploads.can_see(bob, document)
            assert uploads.can_see(carol, document) is (kind in ("id", "insurance_card")), kind
            assert uploads.can_see(dave, document) is (kind in ("id", "insurance_card")), kind
        says_id = uploads.upload_by_patient(patient=pat, content=PDF, patient_says="id")
        says_labs = uploads.upload_by_patient(patient=pat, content=PDF, patient_says="labs")
        assert uploads.can_see(carol, says_id) and not uploads.can_see(carol, says_labs)
        visible = uploads.visible_to(carol, ChartDocument.objects.filter(patient=pat))
        assert sorted(d.kind for d in visible) == ["id", "insurance_card", "unfiled"]
        assert visible.get(kind="unfiled") == says_id
        assert uploads.visible_to(bob, ChartDocument.objects.all()).count() == 9

    def test_front_desk_cannot_file_or_withdraw_a_clinical_document(self, carol: Any, alice: Any, pat: Any) -> None:
        labs = uploads.upload_by_patient(patient=pat, content=PDF, patient_says="labs")
        with pytest.raises(PermissionDenied):
            uploads.file_document(by=carol, document=labs, kind="labs", title="Labs", document_date=None)
        with pytest.raises(PermissionDenied):
            uploads.mark_entered_in_error(by=carol, document=labs, reason="wrong")
        card = uploads.upload_by_patient(patient=pat, content=PDF, patient_says="insurance_card")
        filed = uploads.file_document(by=carol, document=card, kind="insurance_card", title="Card", document_date=None)
        assert filed.filed_by == carol
        labs.refresh_from_db()
        assert labs.kind == "unfiled" and not labs.entered_in_error

    def test_pages_list_and_serve_only_what_the_role_may_see(
        self, client_as: Any, carol: Any, alice: Any, pat: Any
    ) -> None:
        letter = staff_upload(alice, pat, kind="referral_letter", title="Letter from Dr Lee")
        card = staff_upload(alice, pat, kind="insurance_card", title="Insurance card front")
        front = client_as(carol)
        listing = front.get(reverse("patients:documents", args=[pat.pk])).content.decode()
        assert "Insurance card front" in listing and "Letter from Dr Lee" not in listing
        assert "1 clinical document (referral letters" in listing
        chart = front.get(reverse("patients:chart", args=[pat.pk])).content.decode()
        assert "Insurance card front" in chart and "Letter from Dr Lee" not in chart
        assert front.get(reverse("patients:document_download", args=[pat.pk, card.pk])).status_code == 200
        before = AuditEvent.objects.count()
        for name in ("patients:document_download", "patients:document_file", "patients:document_entered_in_error"):
            assert front.get(reverse(name, args=[pat.pk, letter.pk])).status_code == 404, name
        assert AuditEvent.objects.count() == before
        nurse = client_as(alice).get(reverse("patients:documents", args=[pat.pk])).content.decode()
        assert "Letter from Dr Lee" in nurse and "clinical-withheld" not in nurse
