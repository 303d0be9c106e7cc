"""Consents in the patient portal (ketaclinic/portal/views/consents.py): what the patient is asked to sign, reading
and signing through ``consents.services.sign_electronically`` with no witness (channel: portal), every refusal
writing nothing, the patient's own signed PDF, and check-in and the chart saying it was signed in the portal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client

from ketaclinic.audit.models import AuditEvent
from ketaclinic.consents.models import ElectronicSignature
from ketaclinic.domain import consent_requests
from ketaclinic.infusions import services as infusions
from ketaclinic.patients.models import Consent
from tests.conftest import sign_in, tiny_pdf
from tests.consents.conftest import pdf_tools_available, publish, sign
from tests.portal.conftest import sign_in_as
from tests.scheduling.conftest import local

pytestmark = pytest.mark.django_db
UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Portal"


@pytest.fixture(autouse=True)
def documents_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "documents"
    settings.KETACLINIC_DOCUMENTS_DIR = folder
    return folder


@pytest.fixture(autouse=True)
def _needs_pdf_tools() -> None:
    if not pdf_tools_available():
        pytest.skip("PDF TESTS NOT RUN: pango is missing (scripts/ensure-pdf-tools.sh installs it).")


@pytest.fixture
def treatment(dave: Any, clinic: Any) -> Any:
    return publish(dave, clinic)


@pytest.fixture
def rems(dave: Any, clinic: Any) -> Any:
    return publish(
        dave, clinic, "esketamine_rems", title="Esketamine REMS acknowledgement", body="Monitored two hours."
    )


def good(document: Any, name: str = "Pat Rivera") -> dict[str, str]:
    return {"text_sha256": document.text_sha256, "typed_name": name, "agreed": "on"}


def written(documents_dir: Path) -> tuple[int, int, int, int]:
    files = len(list(documents_dir.iterdir())) if documents_dir.exists() else 0
    writes = AuditEvent.objects.exclude(action="portal.view").count()
    return ElectronicSignature.objects.count(), Consent.objects.count(), files, writes


class TestTheRule:
    def test_the_portal_asks_by_kind(self) -> None:
        published = ["esketamine_rems", "financial_policy", "home_programme", "telehealth", "treatment"]
        assert consent_requests.kinds_to_ask(published, esketamine=False) == [
            "financial_policy",
            "telehealth",
            "treatment",
        ]
        assert consent_requests.kinds_to_ask(published, esketamine=True)[0] == "esketamine_rems"
        assert "home_programme" not in consent_requests.kinds_to_ask(published, esketamine=True)


class TestWhatToSign:
    def test_an_esketamine_patient_is_asked_for_both_and_home_links_it(
        self, client: Client, pat: Any, visit: Any, treatment: Any, rems: Any, dave: Any, clinic: Any
    ) -> None:
        publish(dave, clinic, "home_programme", title="At-home programme agreement", body="Only when chosen.")
        sign_in_as(client, pat)
        home = client.get("/portal/").content.decode()
        assert "2 consents to sign" in home and 'href="/portal/consents/"' in home
        page = client.get("/portal/consents/").content.decode()
        assert "Consent to ketamine treatment (version 1)" in page
        assert "Esketamine REMS acknowledgement (version 1)" in page
        assert "At-home programme agreement" not in page and "Nothing to sign" not in page
        assert AuditEvent.objects.filter(action="portal.view", patient_id=pat.pk, detail__page="consents").exists()

    def test_without_esketamine_only_the_treatment_consent(
        self, client: Client, other: Any, treatment: Any, rems: Any
    ) -> None:
        sign_in_as(client, other)
        page = client.get("/portal/consents/").content.decode()
        assert "Consent to ketamine treatment" in page and "Esketamine REMS" not in page
        assert "1 consent to sign" in client.get("/portal/").content.decode()

    def test_a_signed_version_is_not_asked_again_but_a_new_version_is(
        self, client: Client, pat: Any, treatment: Any, dave: Any, clinic: Any, alice: Any
    ) -> None:
        sign(pat, treatment, witness=alice)
        sign_in_as(client, pat)
        page = client.get("/portal/consents/").content.decode()
        assert "Nothing to sign right now" in page and "version 1, signed" in page
        assert "in the clinic" in page  # signed on the clinic's tablet
        publish(dave, clinic, title="Consent to ketamine treatment", body="A changed text.")
        assert "Consent to ketamine treatment (version 2)" in client.get("/portal/consents/").content.decode()

    def test_a_paper_or_staff_recorded_consent_of_that_version_counts(
        self, client: Client, pat: Any, treatment: Any, dave: Any, clinic: Any, alice: Any
    ) -> None:
        from ketaclinic.consents.services import record_paper_consent
        from ketaclinic.patients import services as chart

        telehealth = publish(dave, clinic, "telehealth", title="Telehealth consent", body="By video.")
        financial = publish(dave, clinic, "financial_policy", title="Financial policy", body="Fees.")
        signed_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        record_paper_consent(  # on paper, with its scan, the version typed by hand
            by=alice,
            patient=pat,
            kind="treatment",
            version="Version 1",
            signed_at=signed_at,
            signed_by_name="Pat Rivera",
            expires_on=None,
            scan=tiny_pdf("scan"),
        )
        chart.record_consent(  # recorded by staff
            by=alice, patient=pat, kind="telehealth", version="1", signed_at=signed_at, signed_by_name="Pat Rivera"
        )
        withdrawn = chart.record_consent(
            by=alice, patient=pat, kind="financial_policy", version="1", signed_at=signed_at, signed_by_name="Pat"
        )
        chart.mark_entered_in_error(by=alice, row=withdrawn, reason="Wrong patient.")
        sign_in_as(client, pat)
        page = client.get("/portal/consents/").content.decode()
        assert "Financial policy (version 1)" in page  # the withdrawn one does not count
        assert "Consent to ketamine treatment" not in page and "Telehealth consent" not in page
        publish(dave, clinic, "telehealth", title="Telehealth consent", body="By video, changed.")
        assert "Telehealth consent (version 2)" in client.get("/portal/consents/").content.decode()
        assert telehealth.version == 1 and financial.version == 1

    def test_an_expired_consent_is_asked_again(self, client: Client, pat: Any, treatment: Any, alice: Any) -> None:
        from ketaclinic.patients import services as chart

        chart.record_consent(
            by=alice,
            patient=pat,
            kind="treatment",
            version="1",
            signed_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=400),
            signed_by_name="Pat Rivera",
            expires_on=dt.date.today() - dt.timedelta(days=30),
        )
        sign_in_as(client, pat)
        assert "Consent to ketamine treatment (version 1)" in client.get("/portal/consents/").content.decode()


class TestSigning:
    def test_read_and_sign_records_the_portal_channel(
        self, client: Client, pat: Any, treatment: Any, documents_dir: Path
    ) -> None:
        sign_in_as(client, pat)
        page = client.get(f"/portal/consents/{treatment.pk}/")
        body = page.content.decode()
        assert page.status_code == 200 and "You must not drive until the next day." in body
        assert treatment.text_sha256 in body
        assert AuditEvent.objects.filter(action="portal.view", detail__page="consent", patient_id=pat.pk).exists()
        response = client.post(
            f"/portal/consents/{treatment.pk}/", good(treatment), HTTP_USER_AGENT=UA, REMOTE_ADDR="203.0.113.9"
        )
        assert response.status_code == 302
        signature = ElectronicSignature.objects.get(patient=pat)
        assert response["Location"] == f"/portal/consents/signed/{signature.pk}/"
        assert signature.channel == "portal" and signature.witnessed_by is None
        assert (signature.ip_address, signature.user_agent) == ("203.0.113.9", UA)
        assert signature.text_sha256 == treatment.text_sha256 and signature.typed_name == "Pat Rivera"
        assert signature.consent.method == "electronic" and signature.consent.recorded_by is None
        event = AuditEvent.objects.get(action="consent.sign_electronically", patient_id=pat.pk)
        assert event.actor is None and event.detail["channel"] == "portal"
        done = client.get(response["Location"]).content.decode()
        assert "You signed <strong>Consent to ketamine treatment</strong> (version 1) electronically" in done
        assert f"/portal/consents/signed/{signature.pk}/pdf/" in done and "Nothing else to sign" in done
        listed = client.get("/portal/consents/").content.decode()
        assert "Nothing to sign right now" in listed and f"/portal/consents/signed/{signature.pk}/pdf/" in listed

    @pytest.mark.parametrize(
        ("change", "field_says"),
        [
            ({"typed_name": "P. Rivera"}, "Type your full name as the clinic has it on file"),
            ({"typed_name": "Olive Other"}, "Type your full name as the clinic has it on file"),
            ({"agreed": ""}, "Tick the box to say you have read this document"),
            ({"text_sha256": "0" * 64}, "The text changed while it was being read"),
            ({"typed_name": ""}, "This field is required"),
        ],
    )
    def test_every_refusal_says_why_and_writes_nothing(
        self, client: Client, pat: Any, treatment: Any, documents_dir: Path, change: Any, field_says: str
    ) -> None:
        sign_in_as(client, pat)
        before = written(documents_dir)
        response = client.post(f"/portal/consents/{treatment.pk}/", {**good(treatment), **change})
        assert response.status_code == 422 and field_says in response.content.decode()
        assert written(documents_dir) == before

    def test_the_name_message_sits_next_to_the_field(self, client: Client, pat: Any, treatment: Any) -> None:
        sign_in_as(client, pat)
        body = client.post(f"/portal/consents/{treatment.pk}/", good(treatment, "Pat")).content.decode()
        assert '<p class="error" id="id_typed_name_error">Type your full name' in body

    def test_a_superseded_version_is_refused(
        self, client: Client, pat: Any, treatment: Any, dave: Any, clinic: Any, documents_dir: Path
    ) -> None:
        newer = publish(dave, clinic, title="Consent to ketamine treatment", body="A changed text.")
        sign_in_as(client, pat)
        page = client.get(f"/portal/consents/{treatment.pk}/").content.decode()
        assert "This version has been replaced by version 2" in page
        assert f'href="/portal/consents/{newer.pk}/"' in page
        before = written(documents_dir)
        response = client.post(f"/portal/consents/{treatment.pk}/", good(treatment))
        assert response.status_code == 422 and "has been superseded by version 2" in response.content.decode()
        assert written(documents_dir) == before

    def test_a_second_signature_is_refused(self, client: Client, pat: Any, treatment: Any, documents_dir: Path) -> None:
        sign_in_as(client, pat)
        assert client.post(f"/portal/consents/{treatment.pk}/", good(treatment)).status_code == 302
        assert "You signed this version" in client.get(f"/portal/consents/{treatment.pk}/").content.decode()
        before = written(documents_dir)
        again = client.post(f"/portal/consents/{treatment.pk}/", good(treatment))
        assert again.status_code == 422 and "Already signed: version 1" in again.content.decode()
        assert written(documents_dir) == before

    def test_a_draft_or_another_clinics_document_is_404(
        self, client: Client, pat: Any, dave: Any, clinic: Any, documents_dir: Path
    ) -> None:
        from ketaclinic.consents import services
        from tests.consents.test_services import make_clinic_with_admin

        draft = services.create_document(
            by=dave, clinic=clinic, kind="treatment", title="T", body="B", effective_on=dt.date(2026, 1, 1)
        )
        foreign_admin = make_clinic_with_admin()
        foreign = publish(foreign_admin, foreign_admin.clinic)
        sign_in_as(client, pat)
        before = written(documents_dir)
        for document in (draft, foreign):
            assert client.get(f"/portal/consents/{document.pk}/").status_code == 404
            assert client.post(f"/portal/consents/{document.pk}/", good(document)).status_code == 404
        assert written(documents_dir) == before


class TestTheSignedPdf:
    def test_downloads_as_an_attachment_and_is_audited(self, client: Client, pat: Any, treatment: Any) -> None:
        sign_in_as(client, pat)
        client.post(f"/portal/consents/{treatment.pk}/", good(treatment))
        signature = ElectronicSignature.objects.get(patient=pat)
        response = client.get(f"/portal/consents/signed/{signature.pk}/pdf/")
        assert response.status_code == 200 and response.content.startswith(b"%PDF-")
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="consent-treatment-v1.pdf"'
        assert response["X-Content-Type-Options"] == "nosniff"
        event = AuditEvent.objects.get(action="portal.consent_pdf", patient_id=pat.pk)
        assert event.actor is None and event.detail["intact"] is True

    def test_another_patients_signature_is_404_and_writes_nothing(
        self, client: Client, pat: Any, other: Any, treatment: Any, documents_dir: Path
    ) -> None:
        hers = sign(other, treatment, typed_name="Olive Other")
        sign_in_as(client, pat)
        before = (written(documents_dir), AuditEvent.objects.filter(patient_id=other.pk).count())
        for path in (f"/portal/consents/signed/{hers.pk}/", f"/portal/consents/signed/{hers.pk}/pdf/"):
            response = client.get(path)
            assert response.status_code == 404 and "Olive" not in response.content.decode()
        assert (written(documents_dir), AuditEvent.objects.filter(patient_id=other.pk).count()) == before


class TestStaffSeeIt:
    def test_the_chart_and_check_in_say_patient_portal(
        self, client: Client, pat: Any, visit: Any, treatment: Any, rems: Any, alice: Any, day: dt.date
    ) -> None:
        sign_in_as(client, pat)
        client.post(f"/portal/consents/{treatment.pk}/", good(treatment))
        client.post(f"/portal/consents/{rems.pk}/", good(rems))
        consent = Consent.objects.get(electronic_signature__document=treatment)
        assert consent.how_signed.endswith(", version 1 (patient portal)")
        staff = sign_in(Client(), alice)
        chart = staff.get(f"/patients/{pat.pk}/").content.decode()
        assert "Signed electronically (Patient portal)" in chart
        with time_machine.travel(local(day, 8), tick=False):
            session = infusions.check_in_appointment(by=alice, appointment=visit)
            staff = sign_in(Client(), alice)
            page = staff.get(f"/sessions/{session.pk}/").content.decode()
        assert "signed electronically" in page and "(patient portal)" in page
        assert "Ketamine treatment consent signed electronically on" in page  # the consent check's line
