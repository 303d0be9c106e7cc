"""The consent pages: documents for clinic admins, signing on the tablet, paper consents with a scan, downloads.
Another location's patient, another patient's file or another clinic's document is 404; bad input is a message
next to the field and writes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.consents.models import ConsentDocument, ElectronicSignature, PaperConsentScan
from ketaclinic.patients.models import Consent
from tests.conftest import make_patient, tiny_pdf
from tests.consents.conftest import pdf_pages, publish, sign

pytestmark = pytest.mark.django_db


def test_an_admin_writes_and_publishes_a_version(client_as: Any, dave: Any) -> None:
    client = client_as(dave)
    response = client.post(
        reverse("consents:document_create"),
        {"kind": "treatment", "title": "Consent to treatment", "body": "Text.", "effective_on": "2026-01-01"},
    )
    document = ConsentDocument.objects.get()
    assert response.status_code == 302 and document.status == "draft"
    page = client.get(reverse("consents:document", args=[document.pk]))
    assert b"Publish version 1" in page.content
    client.post(reverse("consents:document", args=[document.pk]), {})
    document.refresh_from_db()
    assert document.status == "published"
    again = client.post(reverse("consents:document", args=[document.pk]), {})
    assert "already published" in again.content.decode()
    listing = client.get(reverse("consents:documents"))
    assert b"Consent to treatment" in listing.content and b"Published" in listing.content


def test_html_in_a_document_is_refused_on_the_form(client_as: Any, dave: Any) -> None:
    response = client_as(dave).post(
        reverse("consents:document_create"),
        {"kind": "treatment", "title": "<h1>Consent</h1>", "body": "<script>x</script>", "effective_on": "2026-01-01"},
    )
    text = response.content.decode()
    assert response.status_code == 200 and "Plain text only: remove the HTML tags (&lt;h1&gt;)" in text
    assert "<script>x</script>" not in text and ConsentDocument.objects.count() == 0


def test_another_clinics_document_is_404(client_as: Any, dave: Any, clinic: Any) -> None:
    from tests.consents.test_services import make_clinic_with_admin

    other = make_clinic_with_admin()
    foreign = publish(other, other.clinic)
    assert client_as(dave).get(reverse("consents:document", args=[foreign.pk])).status_code == 404


def test_the_patient_signs_on_the_tablet(client_as: Any, alice: Any, pat: Any, treatment_doc: Any) -> None:
    client = client_as(alice)
    url = reverse("consents:tablet_sign", args=[pat.pk, treatment_doc.pk])
    page = client.get(url, HTTP_USER_AGENT="TabletBrowser/1.0")
    assert treatment_doc.text_sha256 in page.content.decode() and b"You must not drive" in page.content
    wrong = client.post(url, {"text_sha256": treatment_doc.text_sha256, "typed_name": "Pat R", "agreed": "on"})
    assert "first name, then your last name" in wrong.content.decode() and Consent.objects.count() == 0
    response = client.post(
        url,
        {"text_sha256": treatment_doc.text_sha256, "typed_name": "Pat Rivera", "agreed": "on"},
        HTTP_USER_AGENT="TabletBrowser/1.0",
        REMOTE_ADDR="198.51.100.4",
    )
    signature = ElectronicSignature.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/signed/{signature.pk}/")
    assert signature.user_agent == "TabletBrowser/1.0" and signature.ip_address == "198.51.100.4"
    chart = client.get(reverse("patients:chart", args=[pat.pk])).content.decode()
    assert "Signed electronically" in chart and reverse("consents:signature_pdf", args=[pat.pk, signature.pk]) in chart
    listing = client.get(reverse("consents:tablet", args=[pat.pk])).content.decode()
    assert "Signed" in listing


def test_behind_a_proxy_the_tablet_signature_keeps_the_clients_address(
    client_as: Any, alice: Any, pat: Any, treatment_doc: Any, settings: Any
) -> None:
    """The ESIGN record takes the proxy-aware client address (audit.middleware.client_ip), not the proxy's."""
    settings.AXES_IPWARE_PROXY_COUNT = 1
    client_as(alice).post(
        reverse("consents:tablet_sign", args=[pat.pk, treatment_doc.pk]),
        {"text_sha256": treatment_doc.text_sha256, "typed_name": "Pat Rivera", "agreed": "on"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert ElectronicSignature.objects.get().ip_address == "203.0.113.9"


def test_an_unticked_box_is_refused_with_the_reason(client_as: Any, alice: Any, pat: Any, treatment_doc: Any) -> None:
    response = client_as(alice).post(
        reverse("consents:tablet_sign", args=[pat.pk, treatment_doc.pk]),
        {"text_sha256": treatment_doc.text_sha256, "typed_name": "Pat Rivera"},
    )
    assert "Tick the box" in response.content.decode() and Consent.objects.count() == 0


def test_a_draft_or_another_clinics_document_cannot_be_opened_for_signing(
    client_as: Any, alice: Any, dave: Any, pat: Any, clinic: Any
) -> None:
    from ketaclinic.consents import services
    from tests.consents.test_services import make_clinic_with_admin

    draft = services.create_document(
        by=dave, clinic=clinic, kind="treatment", title="T", body="B", effective_on=dt.date(2026, 1, 1)
    )
    other = make_clinic_with_admin()
    foreign = publish(other, other.clinic)
    client = client_as(alice)
    for document in (draft, foreign):
        assert client.get(reverse("consents:tablet_sign", args=[pat.pk, document.pk])).status_code == 404


def test_the_signed_pdf_downloads_as_an_attachment_and_is_audited(
    client_as: Any, alice: Any, carol: Any, pat: Any, treatment_doc: Any
) -> None:
    signature = sign(pat, treatment_doc, alice)
    response = client_as(carol).get(reverse("consents:signature_pdf", args=[pat.pk, signature.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["X-Content-Type-Options"] == "nosniff"
    pages = pdf_pages(response.content)
    assert all(pat.mrn in page and "Pat Rivera" in page for page in pages)
    event = AuditEvent.objects.get(action="consent.pdf.download")
    assert event.actor == carol and event.patient_id == pat.pk and event.detail["intact"] is True


def test_another_patients_ids_are_404(
    client_as: Any, alice: Any, erin: Any, pat: Any, main_st: Any, treatment_doc: Any
) -> None:
    signature = sign(pat, treatment_doc, alice)
    scan = upload_paper(client_as(alice), pat)
    other = make_patient(main_st, given_name="Olive", family_name="Other", date_of_birth=dt.date(1990, 2, 3))
    client = client_as(alice)
    for url in (
        reverse("consents:signature_pdf", args=[other.pk, signature.pk]),
        reverse("consents:signed", args=[other.pk, signature.pk]),
        reverse("consents:scan", args=[other.pk, scan.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 404 and b"Rivera" not in response.content, url
    elsewhere = client_as(erin)  # a nurse of another location: Pat is not found at all
    for url in (
        reverse("consents:signature_pdf", args=[pat.pk, signature.pk]),
        reverse("consents:scan", args=[pat.pk, scan.pk]),
        reverse("consents:tablet", args=[pat.pk]),
        reverse("consents:paper_create", args=[pat.pk]),
    ):
        assert elsewhere.get(url).status_code == 404, url
    assert not AuditEvent.objects.filter(action__in=["consent.pdf.download", "consent.scan.download"]).exists()


SCAN = tiny_pdf("scan")


def upload_paper(client: Any, patient: Any, content: bytes = SCAN, name: str = "scan.pdf") -> Any:
    response = client.post(
        reverse("consents:paper_create", args=[patient.pk]),
        {
            "kind": "treatment",
            "version": "2026-01",
            "signed_at": "2026-01-10T10:00",
            "signed_by_name": "Pat Rivera",
            "scan": SimpleUploadedFile(name, content, content_type="application/pdf"),
        },
    )
    assert response.status_code in (200, 302)
    return PaperConsentScan.objects.order_by("-pk").first()


def test_an_executable_renamed_pdf_is_refused(client_as: Any, alice: Any, pat: Any, documents_dir: Path) -> None:
    client = client_as(alice)
    response = client.post(
        reverse("consents:paper_create", args=[pat.pk]),
        {
            "kind": "treatment",
            "version": "2026-01",
            "signed_at": "2026-01-10T10:00",
            "signed_by_name": "Pat Rivera",
            "scan": SimpleUploadedFile("consent.pdf", b"MZ\x90\x00\x03\x00PE\x00\x00", content_type="application/pdf"),
        },
    )
    assert response.status_code == 200
    assert "not a PDF, JPEG or PNG (its content was checked, not its name)" in response.content.decode()
    assert Consent.objects.count() == 0 and PaperConsentScan.objects.count() == 0
    assert not documents_dir.exists() or list(documents_dir.iterdir()) == []


def test_a_paper_scan_is_served_only_through_the_checked_view(client_as: Any, alice: Any, dave: Any, pat: Any) -> None:
    scan = upload_paper(client_as(alice), pat)
    assert scan is not None and scan.consent.method == "paper_scan"
    response = client_as(dave).get(reverse("consents:scan", args=[pat.pk, scan.pk]))
    assert response.status_code == 200 and response.content == SCAN
    assert response["Content-Disposition"].startswith("attachment;") and response["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(action="consent.scan.download", actor=dave).exists()
