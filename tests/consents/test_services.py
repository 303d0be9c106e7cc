"""The consent services: documents are versioned and locked once published; an electronic signature keeps the
ESIGN/UETA elements and a signed PDF; every refusal says why and writes nothing (no row, no file, no audit event)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.audit.models import AuditEvent
from ketaclinic.consents import services
from ketaclinic.consents.models import ConsentDocument, ElectronicSignature, PaperConsentScan
from ketaclinic.infusions.services.checklist import _consent
from ketaclinic.patients.models import Consent
from tests.conftest import make_location, make_user, tiny_pdf
from tests.consents.conftest import TREATMENT_TEXT, pdf_pages, publish, sign

pytestmark = pytest.mark.django_db

TINY_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00"
    b"\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def nothing_written(folder: Path, consents_before: int = 0) -> None:
    assert Consent.objects.count() == consents_before
    assert ElectronicSignature.objects.count() == 0 and PaperConsentScan.objects.count() == 0
    assert not folder.exists() or list(folder.iterdir()) == []


def error_of(exc: pytest.ExceptionInfo[ValidationError], field: str) -> str:
    return " ".join(exc.value.message_dict[field])


# --- Documents --------------------------------------------------------------------------------------------------


def test_a_new_document_is_a_draft_with_the_next_version_and_the_digest_of_its_text(dave: Any, clinic: Any) -> None:
    first = publish(dave, clinic)
    second = services.create_document(
        by=dave, clinic=clinic, kind="treatment", title="Consent v2", body="New text", effective_on=dt.date(2026, 6, 1)
    )
    assert (first.version, second.version, second.status) == (1, 2, "draft")
    assert second.text_sha256 == hashlib.sha256(b"Consent v2\n\nNew text").hexdigest()
    other_kind = publish(dave, clinic, "telehealth", title="Telehealth")
    assert other_kind.version == 1


def test_publishing_supersedes_the_version_in_use_and_locks_both(dave: Any, clinic: Any) -> None:
    first = publish(dave, clinic)
    second = publish(dave, clinic, title="Consent to ketamine treatment, 2027")
    first.refresh_from_db()
    assert first.status == "superseded" and first.superseded_by == second and second.status == "published"
    with pytest.raises(ValidationError, match="already published: a published document cannot be changed"):
        services.publish_document(by=dave, document=second)
    assert [d.version for d in services.current_documents(clinic.pk)] == [2]
    assert AuditEvent.objects.filter(action="consent_document.publish").count() == 2


@pytest.mark.parametrize("field", ["title", "body"])
def test_html_in_a_document_is_refused_with_the_rule(dave: Any, clinic: Any, field: str) -> None:
    values = {"title": "Consent", "body": TREATMENT_TEXT, field: 'Read <script>alert("x")</script> this'}
    with pytest.raises(ValidationError) as exc:
        services.create_document(by=dave, clinic=clinic, kind="treatment", effective_on=dt.date(2026, 1, 1), **values)
    assert "Plain text only: remove the HTML tags (<script>)" in error_of(exc, field)
    assert ConsentDocument.objects.count() == 0


def test_less_than_signs_in_plain_text_are_fine(dave: Any, clinic: Any) -> None:
    document = publish(dave, clinic, body="Blood pressure must be < 140/90 and age > 18.")
    assert "< 140/90" in document.body


def test_only_a_clinic_admin_of_that_clinic_writes_documents(dave: Any, alice: Any, clinic: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.create_document(
            by=alice, clinic=clinic, kind="treatment", title="T", body="B", effective_on=dt.date(2026, 1, 1)
        )
    other = make_clinic_with_admin()
    with pytest.raises(PermissionDenied, match="do not work for that clinic"):
        services.create_document(
            by=other, clinic=clinic, kind="treatment", title="T", body="B", effective_on=dt.date(2026, 1, 1)
        )
    draft = services.create_document(
        by=dave, clinic=clinic, kind="treatment", title="T", body="B", effective_on=dt.date(2026, 1, 1)
    )
    with pytest.raises(PermissionDenied):
        services.publish_document(by=other, document=draft)


def make_clinic_with_admin() -> Any:
    from ketaclinic.accounts import services as accounts

    clinic = accounts.create_clinic(by=None, name="Other Clinic", timezone_name="America/Denver")
    return make_user("olga", "clinic_admin", clinic, [make_location(clinic, "Uptown")])


# --- Electronic signature ---------------------------------------------------------------------------------------


def test_signing_records_the_esign_elements_the_chart_consent_and_the_pdf(
    pat: Any, alice: Any, treatment_doc: Any, documents_dir: Path
) -> None:
    before = timezone.now()
    signature = sign(pat, treatment_doc, alice, typed_name="  pat   RIVERA ")
    assert signature.typed_name == "pat RIVERA" and signature.agreed
    assert signature.text_sha256 == hashlib.sha256(treatment_doc.signed_text.encode()).hexdigest()
    assert signature.document_version == 1 and signature.ip_address == "203.0.113.7"
    assert signature.user_agent.startswith("Mozilla/5.0 (iPad") and signature.signed_at >= before
    assert signature.channel == "tablet" and signature.witnessed_by == alice
    consent = signature.consent
    assert (consent.kind, consent.method, consent.version, consent.signed_at) == (
        "treatment",
        "electronic",
        "1",
        signature.signed_at,
    )
    assert consent.how_signed.startswith("signed electronically on ") and consent.how_signed.endswith("(version 1)")
    path = documents_dir / signature.pdf_name
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(signature.pdf_name) >= 32 and "Rivera" not in signature.pdf_name  # random, says nothing
    content = path.read_bytes()
    assert hashlib.sha256(content).hexdigest() == signature.pdf_sha256 and len(content) == signature.pdf_size
    text = " ".join(pdf_pages(content))
    for expected in (
        "Consent to ketamine treatment (version 1)",
        "You must not drive",
        "pat RIVERA",
        "203.0.113.7",
        "Tablet",
        "witnessed by Alice Test, RN",
        "ESIGN",
        "UETA",
    ):
        assert expected in text.replace("\n", " "), expected
    assert signature.text_sha256 in "".join(text.split())  # the digest wraps across lines in its table cell
    utc = signature.signed_at.astimezone(dt.UTC)
    assert f"{utc:%Y-%m-%d %H:%M:%S} UTC" in text  # the UTC time, not the clinic's time labelled UTC
    event = AuditEvent.objects.get(action="consent.sign_electronically")
    assert event.patient_id == pat.pk and event.detail["text_sha256"] == signature.text_sha256


def test_a_portal_signature_has_no_staff_witness(pat: Any, treatment_doc: Any) -> None:
    signature = sign(pat, treatment_doc, None)
    assert signature.channel == "portal" and signature.consent.recorded_by is None
    assert "(patient portal)" in " ".join(pdf_pages(signed_file(signature).read_bytes()))


def signed_file(signature: Any) -> Path:
    from ketaclinic.documents import files

    return files.documents_dir() / signature.pdf_name


def test_check_in_reads_the_electronic_signature(pat: Any, alice: Any, treatment_doc: Any) -> None:
    session = SimpleNamespace(patient=pat, is_esketamine=False)
    assert not _consent(session, dt.date.today()).ok  # type: ignore[arg-type]
    sign(pat, treatment_doc, alice)
    item = _consent(session, dt.date.today())  # type: ignore[arg-type]
    assert item.ok and "Ketamine treatment consent signed electronically on" in item.detail
    assert item.detail.endswith("(version 1).")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"typed_name": "Patricia Rivera"}, "typed_name", "first name, then your last name"),
        ({"typed_name": "Rivera Pat"}, "typed_name", "as the clinic has it on file"),
        ({"typed_name": "<b>Pat Rivera</b>"}, "typed_name", "as the clinic has it on file"),
        ({"typed_name": ""}, "typed_name", "as the clinic has it on file"),
        ({"agreed": False}, "agreed", "Tick the box"),
        ({"shown_sha256": "0" * 64}, "__all__", "The text changed while it was being read"),
        ({"drawn_signature": "data:image/svg+xml;base64,PHN2Zz4="}, "drawn_signature", "could not be read"),
        ({"drawn_signature": "data:image/png;base64,TVqQAAMAAAAEAAAA"}, "drawn_signature", "could not be read"),
        ({"drawn_signature": "data:image/png;base64,!!!"}, "drawn_signature", "could not be read"),
    ],
)
def test_a_refused_signature_says_why_and_writes_nothing(
    pat: Any, alice: Any, treatment_doc: Any, documents_dir: Path, overrides: dict[str, Any], field: str, message: str
) -> None:
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        sign(pat, treatment_doc, alice, **overrides)
    assert message in error_of(exc, field)
    nothing_written(documents_dir)
    assert AuditEvent.objects.count() == events


def test_a_superseded_draft_or_future_version_cannot_be_signed(
    pat: Any, alice: Any, dave: Any, clinic: Any, documents_dir: Path
) -> None:
    first = publish(dave, clinic)
    publish(dave, clinic, title="Consent, 2027")
    first.refresh_from_db()
    with pytest.raises(ValidationError, match="has been superseded by version 2: read and sign the current version"):
        sign(pat, first, alice)
    draft = services.create_document(
        by=dave, clinic=clinic, kind="telehealth", title="T", body="B", effective_on=dt.date(2026, 1, 1)
    )
    with pytest.raises(ValidationError, match="is a draft"):
        sign(pat, draft, alice)
    future = publish(
        dave, clinic, "financial_policy", title="Fees", effective_on=dt.date.today() + dt.timedelta(days=30)
    )
    with pytest.raises(ValidationError, match="takes effect on"):
        sign(pat, future, alice)
    nothing_written(documents_dir)


def test_the_same_version_is_signed_once(pat: Any, alice: Any, treatment_doc: Any) -> None:
    sign(pat, treatment_doc, alice)
    with pytest.raises(ValidationError, match="Already signed: version 1 was signed electronically on"):
        sign(pat, treatment_doc, alice)
    assert ElectronicSignature.objects.count() == 1


def test_another_clinics_document_or_a_witness_elsewhere_is_refused(
    pat: Any, lake: Any, alice: Any, erin: Any, treatment_doc: Any, documents_dir: Path
) -> None:
    with pytest.raises(PermissionDenied, match="do not work at this patient's location"):
        sign(pat, treatment_doc, erin)
    other_admin = make_clinic_with_admin()
    foreign = publish(other_admin, other_admin.clinic)
    with pytest.raises(ValidationError, match="not one of this clinic's"):
        sign(pat, foreign, alice)
    nothing_written(documents_dir)


def test_a_drawn_signature_is_kept_and_printed(pat: Any, alice: Any, treatment_doc: Any) -> None:
    drawing = "data:image/png;base64," + base64.b64encode(TINY_PNG).decode()
    signature = sign(pat, treatment_doc, alice, drawn_signature=drawing)
    assert signature.drawn_signature == drawing
    assert "Drawn signature" in " ".join(pdf_pages(signed_file(signature).read_bytes()))


# --- Paper consent with a scan ----------------------------------------------------------------------------------


def paper(by: Any, patient: Any, scan: bytes, **overrides: Any) -> Any:
    values = {
        "kind": "treatment",
        "version": "2026-01",
        "signed_at": timezone.now() - dt.timedelta(hours=1),
        "signed_by_name": "Pat Rivera",
        "expires_on": None,
        "scan": scan,
        **overrides,
    }
    return services.record_paper_consent(by=by, patient=patient, **values)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(tiny_pdf(), "application/pdf"), (b"\xff\xd8\xff\xe0JFIF", "image/jpeg"), (TINY_PNG, "image/png")],
)
def test_a_paper_consent_keeps_its_scan(
    carol: Any, pat: Any, documents_dir: Path, content: bytes, content_type: str
) -> None:
    row = paper(carol, pat, content)
    assert row.content_type == content_type and row.size_bytes == len(content)
    assert (documents_dir / row.file_name).read_bytes() == content
    assert row.consent.method == "paper_scan" and "scan on file" in row.consent.how_signed
    assert AuditEvent.objects.filter(action="consent.paper_scan", patient_id=pat.pk).exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "not a PDF, JPEG or PNG (its content was checked, not its name)"),
        (b"#!/bin/sh\nrm -rf /\n", "not a PDF, JPEG or PNG"),
        (b"", "The file is empty"),
    ],
)
def test_a_scan_that_is_not_a_document_is_refused(
    carol: Any, pat: Any, documents_dir: Path, content: bytes, message: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        paper(carol, pat, content)
    assert message in error_of(exc, "scan")
    nothing_written(documents_dir)


def test_a_scan_over_the_limit_is_refused(carol: Any, pat: Any, documents_dir: Path, settings: Any) -> None:
    settings.KETACLINIC_SCAN_MAX_MB = 1
    with pytest.raises(ValidationError, match="the largest accepted is 1 MB"):
        paper(carol, pat, b"%PDF-" + b"0" * (1024 * 1024))
    nothing_written(documents_dir)


def test_html_in_the_paper_consent_fields_is_refused(carol: Any, pat: Any, documents_dir: Path) -> None:
    with pytest.raises(ValidationError) as exc:
        paper(carol, pat, tiny_pdf(), signed_by_name="<img src=x onerror=alert(1)>", version="<i>3</i>")
    assert "remove the HTML tags" in error_of(exc, "signed_by_name")
    assert "remove the HTML tags" in error_of(exc, "version")
    nothing_written(documents_dir)


def test_a_paper_consent_for_a_patient_elsewhere_or_by_an_admin_is_refused(
    erin: Any, dave: Any, pat: Any, documents_dir: Path
) -> None:
    with pytest.raises(PermissionDenied):
        paper(erin, pat, tiny_pdf())
    with pytest.raises(PermissionDenied):
        paper(dave, pat, tiny_pdf())
    nothing_written(documents_dir)
