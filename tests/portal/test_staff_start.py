"""Staff write first (portal/messaging/services.staff_start_thread, views/inbox.start), each location's inbox
notification e-mail (Location.inbox_email, set by clinic admins), and the portal's menu with its counts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client, TestCase

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.outcomes import sms
from ketaclinic.patients import uploads
from ketaclinic.portal.messaging import queries
from ketaclinic.portal.messaging import services as messaging
from ketaclinic.portal.models import Message, Thread
from tests.conftest import sign_in, tiny_pdf
from tests.portal.conftest import sign_in_as

pytestmark = pytest.mark.django_db
PDF = tiny_pdf("a lab result")


class TestStaffWriteFirst:
    def test_from_the_chart_the_nurse_writes_and_the_patient_is_told_without_content(
        self, client: Client, pat: Any, alice: Any
    ) -> None:
        sign_in(client, alice)
        chart = client.get(f"/patients/{pat.pk}/").content.decode()
        assert f"/portal/inbox/new/{pat.pk}/" in chart
        assert "Write to the patient" in client.get(f"/portal/inbox/?location={pat.location_id}").content.decode()
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.post(
                f"/portal/inbox/new/{pat.pk}/", {"subject": "Your lab results", "text": "All normal, see you Friday."}
            )
        thread = Thread.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/portal/inbox/{thread.pk}/"
        assert thread.started_by == alice and thread.status == "waiting" and thread.waiting_since is None
        assert thread.messages.get().author == alice
        (notice,) = mail.outbox
        assert notice.to == [pat.email] and "All normal" not in notice.body and "lab" not in notice.body.lower()
        assert "/portal/login/" in notice.body
        event = AuditEvent.objects.get(action="portal.thread_started")
        assert event.actor == alice and event.patient_id == pat.pk and event.detail["chars"] == 27
        assert "All normal" not in str(event.detail)
        times = queries.response_times(pat.location)  # staff wrote first: no patient waiting, nothing to time
        assert times.unanswered == 0 and times.answered == 0

    def test_the_patient_reads_and_answers_it(self, client: Client, pat: Any, alice: Any) -> None:
        thread = messaging.staff_start_thread(
            by=alice, patient=pat, subject="Check-in", text="How are you feeling?", base_url="http://x/"
        )
        sign_in_as(client, pat)
        assert "How are you feeling?" in client.get(f"/portal/messages/{thread.pk}/").content.decode()
        messaging.patient_reply(patient=pat, thread_id=thread.pk, text="Better, thanks.")
        assert Message.objects.filter(thread=thread).count() == 2

    def test_bad_input_and_the_wrong_people_write_nothing(
        self, client: Client, pat: Any, lake: Any, alice: Any, erin: Any, dave: Any
    ) -> None:
        with pytest.raises(ValidationError) as refused:
            messaging.staff_start_thread(by=alice, patient=pat, subject="", text="x" * 100_000, base_url="http://x/")
        assert "100,000 characters" in str(refused.value) and "subject" in refused.value.message_dict
        for user in (erin, dave):  # another location's nurse; a clinic admin
            with pytest.raises(ServiceError):
                messaging.staff_start_thread(by=user, patient=pat, subject="Hi", text="Hello", base_url="http://x/")
        sign_in(client, alice)
        page = client.post(f"/portal/inbox/new/{pat.pk}/", {"subject": "<b>Hi</b>", "text": "Hello"})
        assert page.status_code == 422 and "&lt;b&gt;" not in page.content.decode().split("<form")[0]
        assert client.get(f"/portal/inbox/new/{lake.pk}/").status_code == 404
        assert client.post(f"/portal/inbox/new/{lake.pk}/", {"subject": "Hi", "text": "Hello"}).status_code == 404
        assert not Thread.objects.exists() and not mail.outbox
        assert not AuditEvent.objects.filter(action="portal.thread_started").exists()


class TestLocationNotice:
    def test_a_new_patient_message_emails_the_location_without_content(
        self, client: Client, pat: Any, main_st: Any, dave: Any
    ) -> None:
        with TestCase.captureOnCommitCallbacks(execute=True):
            messaging.start_thread(patient=pat, subject="Nausea", text="I feel sick")
        assert not mail.outbox  # blank by default: no e-mail
        sign_in(client, dave)
        page = client.get("/portal/inbox/settings/").content.decode()
        assert "Inbox notification e-mail" in page and main_st.name in page
        bad = client.post("/portal/inbox/settings/", {"location": main_st.pk, f"loc{main_st.pk}-email": "not-mail"})
        assert bad.status_code == 422 and "Enter an e-mail address" in bad.content.decode()
        main_st.refresh_from_db()
        assert main_st.inbox_email == ""
        saved = client.post(
            "/portal/inbox/settings/", {"location": main_st.pk, f"loc{main_st.pk}-email": "desk@example.org"}
        )
        assert saved.status_code == 302
        main_st.refresh_from_db()
        assert main_st.inbox_email == "desk@example.org"
        assert AuditEvent.objects.get(action="location.inbox_email").detail == {
            "before": "",
            "after": "desk@example.org",
        }
        thread = Thread.objects.get()
        with TestCase.captureOnCommitCallbacks(execute=True):
            messaging.patient_reply(patient=pat, thread_id=thread.pk, text="Still sick")
        (notice,) = mail.outbox
        assert notice.to == ["desk@example.org"] and f"/portal/inbox/?location={main_st.pk}" in notice.body
        for secret in ("Nausea", "sick", pat.given_name, pat.family_name, pat.mrn):
            assert secret not in notice.body and secret not in notice.subject
        assert not sms.LocmemSmsBackend.outbox

    def test_only_the_clinics_admin_sets_it(self, client: Client, main_st: Any, alice: Any, lakeside: Any) -> None:
        with pytest.raises(ServiceError):
            messaging.set_inbox_email(by=alice, location=main_st, email="x@example.org")
        from tests.consents.test_services import make_clinic_with_admin

        stranger = make_clinic_with_admin()
        with pytest.raises(ServiceError):
            messaging.set_inbox_email(by=stranger, location=main_st, email="x@example.org")
        sign_in(client, stranger)
        assert client.post("/portal/inbox/settings/", {"location": main_st.pk}).status_code == 404
        main_st.refresh_from_db()
        assert main_st.inbox_email == ""


class TestPortalMenu:
    def test_every_page_has_the_menu_with_counts(
        self, client: Client, pat: Any, alice: Any, dave: Any, clinic: Any
    ) -> None:
        from tests.consents.conftest import publish

        publish(dave, clinic)
        messaging.staff_start_thread(by=alice, patient=pat, subject="Results", text="Ready.", base_url="http://x/")
        uploads.upload_by_staff(
            by=alice, patient=pat, content=PDF, kind="labs", title="Blood count", document_date=None
        )
        sign_in_as(client, pat)
        for path, current in (
            ("/portal/", "Home"),
            ("/portal/appointments/", "Appointments"),
            ("/portal/questionnaires/", "Questionnaires"),
            ("/portal/consents/", "Consents"),
        ):
            body = client.get(path).content.decode()
            menu = body.split('id="portal-menu"')[1].split("</nav>")[0]
            assert re.search(rf'aria-current="page">{current}', menu), path
            assert menu.count('aria-current="page"') == 1
            assert 'data-testid="badge-consents">1<span class="sr-only"> to sign</span>' in menu
            assert 'data-testid="badge-messages">1<span class="sr-only"> unread</span>' in menu
            assert 'data-testid="badge-documents">1<span class="sr-only"> new</span>' in menu
        documents = client.get("/portal/documents/").content.decode()
        assert "badge-documents" not in documents  # seen now
        thread = Thread.objects.get()
        client.get(f"/portal/messages/{thread.pk}/")
        home = client.get("/portal/").content.decode()
        assert "badge-messages" not in home and "badge-documents" not in home and "badge-consents" in home

    def test_another_patients_items_are_not_counted(self, client: Client, pat: Any, other: Any, alice: Any) -> None:
        messaging.staff_start_thread(by=alice, patient=other, subject="Hi", text="For Olive.", base_url="http://x/")
        uploads.upload_by_staff(
            by=alice, patient=other, content=PDF, kind="labs", title="Olive labs", document_date=None
        )
        sign_in_as(client, pat)
        home = client.get("/portal/").content.decode()
        assert "badge-messages" not in home and "badge-documents" not in home
