"""The patient's secure messages (ketaclinic/portal/views/messages.py, portal/messaging/): start a thread, reply, read
the care team's reply; limits, HTML and another patient's ids refused with nothing written; every read audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client, TestCase

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.outcomes import sms
from ketaclinic.portal.messaging import services as messaging
from ketaclinic.portal.models import Message, Thread
from tests.conftest import make_patient
from tests.portal.conftest import sign_in_as

pytestmark = pytest.mark.django_db
BASE = "https://clinic.example.org/"


def start(patient: Any, subject: str = "Question about my visit", text: str = "Can I drive after?") -> Thread:
    return messaging.start_thread(patient=patient, subject=subject, text=text)


def reply(by: Any, thread: Thread, text: str = "No: someone must take you home.") -> Message:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return messaging.staff_reply(by=by, thread=thread, text=text, base_url=BASE)


def counts() -> tuple[int, int]:
    return Thread.objects.count(), Message.objects.count()


class TestServices:
    def test_a_new_thread_joins_the_patients_location_and_waits(self, pat: Any) -> None:
        thread = start(pat)
        assert thread.location_id == pat.location_id and thread.status == "open"
        assert thread.waiting_since is not None and thread.first_reply_at is None
        message = thread.messages.get()
        assert message.from_patient and message.text == "Can I drive after?"
        event = AuditEvent.objects.get(action="portal.message_sent")
        assert event.actor is None and event.patient_id == pat.pk
        assert "Can I drive" not in str(event.detail)  # the audit says how long, never the words

    def test_a_staff_reply_notifies_the_patient_without_content(self, pat: Any, alice: Any) -> None:
        thread = start(pat)
        reply(alice, thread, "Your potassium result is normal.")
        thread.refresh_from_db()
        assert thread.status == "waiting" and thread.waiting_since is None and thread.first_reply_at is not None
        assert thread.messages.filter(author__isnull=True).get().read_at is not None
        sent = mail.outbox[-1]
        assert sent.to == ["pat@example.org"]
        assert "potassium" not in sent.body and "potassium" not in sent.subject
        assert "Question about my visit" not in sent.body + sent.subject
        assert (
            sent.body.strip()
            == "You have a new message from Test Clinic. Sign in to read it: " + BASE + "portal/login/"
        )
        assert AuditEvent.objects.filter(action="portal.message_replied", actor=alice, patient_id=pat.pk).exists()

    def test_without_an_email_the_notice_is_a_text_without_content(self, main_st: Any, alice: Any) -> None:
        texted = make_patient(main_st, email="", phone="(217) 555-0144", given_name="Tex")
        reply(alice, start(texted), "Take 2 tablets of ondansetron.")
        assert not mail.outbox
        sent = sms.LocmemSmsBackend.outbox[-1]
        assert sent.to == "(217) 555-0144" and "ondansetron" not in sent.body and "Sign in to read it" in sent.body

    def test_nothing_is_sent_if_the_reply_is_refused(self, pat: Any, alice: Any) -> None:
        thread = start(pat)
        with pytest.raises(ServiceError):
            reply(alice, thread, "x" * 5001)
        assert not mail.outbox and thread.messages.count() == 1

    @pytest.mark.parametrize(
        ("subject", "text", "says"),
        [
            ("Hi", "x" * 100_000, "100,000 characters long; the limit is 5,000"),
            ("Hi", "<script>alert(1)</script>", "please write plain text"),
            ("<b>Hi</b>", "fine", "Subject: please write plain text"),
            ("x" * 121, "fine", "121 characters long; the limit is 120"),
            ("", "fine", "Subject: please write something"),
            ("Hi", "   ", "Your message: please write something"),
        ],
    )
    def test_bad_input_is_refused_whole(self, pat: Any, subject: str, text: str, says: str) -> None:
        with pytest.raises(ValidationError, match=says.replace("(", r"\(")):
            start(pat, subject, text)
        assert counts() == (0, 0)
        assert not AuditEvent.objects.filter(action="portal.message_sent").exists()

    def test_both_fields_problems_are_said_at_once(self, client: Client, pat: Any) -> None:
        sign_in_as(client, pat)
        body = client.post("/portal/messages/", {"subject": "", "text": ""}).content.decode()
        assert "Subject: please write something" in body and "Your message: please write something" in body
        assert counts() == (0, 0)

    def test_the_limit_itself_is_accepted_uncut(self, pat: Any) -> None:
        assert len(start(pat, text="y" * 5000).messages.get().text) == 5000

    def test_the_patient_writing_again_reopens_a_closed_thread(self, pat: Any, alice: Any) -> None:
        thread = start(pat)
        reply(alice, thread)
        messaging.set_status(by=alice, thread=thread, close=True)
        messaging.patient_reply(patient=pat, thread_id=thread.pk, text="One more thing")
        thread.refresh_from_db()
        assert thread.status == "open" and thread.waiting_since is not None

    def test_a_patient_cannot_write_in_another_patients_thread(self, pat: Any, other: Any) -> None:
        hers = start(other)
        with pytest.raises(ServiceError):
            messaging.patient_reply(patient=pat, thread_id=hers.pk, text="hello")
        assert hers.messages.count() == 1


class TestPages:
    def test_write_read_and_reply(self, client: Client, pat: Any, alice: Any) -> None:
        sign_in_as(client, pat)
        page = client.get("/portal/messages/").content.decode()
        assert "For non-urgent questions only" in page and 'href="tel:988"' in page
        assert "No messages yet" in page
        response = client.post("/portal/messages/", {"subject": "Nausea", "text": "I felt sick after the visit."})
        thread = Thread.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/portal/messages/{thread.pk}/"
        shown = client.get(f"/portal/messages/{thread.pk}/").content.decode()
        assert "Your message has been sent to your care team at Main" in shown
        assert "I felt sick after the visit." in shown and "988" in shown
        reply(alice, thread, "Call us if it lasts more than a day.")
        listing = client.get("/portal/messages/").content.decode()
        assert "1 new" in listing
        shown = client.get(f"/portal/messages/{thread.pk}/").content.decode()
        assert "Call us if it lasts more than a day." in shown
        assert "Alice Test, RN</strong>" in shown and "RN, RN" not in shown
        assert thread.messages.get(author=alice).read_at is not None
        response = client.post(f"/portal/messages/{thread.pk}/", {"text": "Thanks!"})
        assert response.status_code == 302 and thread.messages.count() == 3
        pages = AuditEvent.objects.filter(action="portal.view", patient_id=pat.pk).values_list("detail", flat=True)
        assert {"page": "messages"} in list(pages) and {"page": "message_thread"} in list(pages)

    def test_html_is_refused_and_never_rendered(self, client: Client, pat: Any, alice: Any) -> None:
        sign_in_as(client, pat)
        response = client.post("/portal/messages/", {"subject": "<img src=x onerror=alert(1)>", "text": "hi"})
        body = response.content.decode()
        assert response.status_code == 422 and "please write plain text" in body
        assert "<img src=x" not in body  # what was typed comes back escaped
        assert counts() == (0, 0)
        thread = start(pat, text="I feel better <3 and 5 < 6")
        shown = client.get(f"/portal/messages/{thread.pk}/").content.decode()
        assert "I feel better &lt;3 and 5 &lt; 6" in shown

    def test_a_message_of_100000_characters_is_refused_with_the_count(self, client: Client, pat: Any) -> None:
        sign_in_as(client, pat)
        response = client.post("/portal/messages/", {"subject": "Long", "text": "a" * 100_000})
        assert response.status_code == 422
        assert "100,000 characters long; the limit is 5,000" in response.content.decode()
        assert counts() == (0, 0)
        thread = start(pat)
        response = client.post(f"/portal/messages/{thread.pk}/", {"text": "b" * 100_000})
        assert response.status_code == 422 and "100,000 characters long" in response.content.decode()
        assert thread.messages.count() == 1

    def test_a_message_sent_in_error_is_hidden_from_the_patient(self, client: Client, pat: Any, alice: Any) -> None:
        thread = start(pat)
        wrong = reply(alice, thread, "Meant for someone else")
        messaging.mark_in_error(by=alice, message=wrong, reason="wrong patient")
        sign_in_as(client, pat)
        assert "Meant for someone else" not in client.get(f"/portal/messages/{thread.pk}/").content.decode()
        assert Message.objects.filter(pk=wrong.pk).exists()

    def test_another_patients_thread_is_404_and_writes_nothing(self, client: Client, pat: Any, other: Any) -> None:
        hers = start(other, subject="Olive's question", text="Olive's words")
        sign_in_as(client, pat)
        before = (counts(), AuditEvent.objects.filter(patient_id=other.pk).count())
        for method, data in (("get", {}), ("post", {"text": "sneaky"})):
            response = getattr(client, method)(f"/portal/messages/{hers.pk}/", data)
            assert response.status_code == 404
            assert "Olive" not in response.content.decode()
        assert "Olive" not in client.get("/portal/messages/").content.decode()
        assert (counts(), AuditEvent.objects.filter(patient_id=other.pk).count()) == before
        assert hers.messages.get().read_at is None

    def test_the_home_page_links_the_messages(self, client: Client, pat: Any) -> None:
        sign_in_as(client, pat)
        body = client.get("/portal/").content.decode()
        assert 'href="/portal/messages/"' in body
