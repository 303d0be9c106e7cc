"""The care team's shared inbox (ketaclinic/portal/views/inbox.py): per location, filters, assignment, reply,
close/reopen, sent in error, time to first reply; other locations 404, clinic admins 403; every read audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.portal.messaging import queries
from ketaclinic.portal.messaging import services as messaging
from ketaclinic.portal.models import Message, Thread
from tests.conftest import sign_in
from tests.portal.conftest import sign_in_as

pytestmark = pytest.mark.django_db


def start(patient: Any, subject: str = "Question", text: str = "Can I drive after?") -> Thread:
    return messaging.start_thread(patient=patient, subject=subject, text=text)


class TestInbox:
    def test_the_location_inbox_lists_threads_with_waiting_time(
        self, client: Client, pat: Any, lake: Any, alice: Any
    ) -> None:
        with time_machine.travel(timezone.now() - dt.timedelta(hours=3), tick=False):
            start(pat, subject="Nausea")
        start(lake, subject="Lakeside question")  # another location: not in Main's inbox
        sign_in(client, alice)
        body = client.get(f"/portal/inbox/?location={pat.location_id}").content.decode()
        assert "Nausea" in body and "Pat Rivera" in body and "3 h" in body
        assert "Lakeside question" not in body and "Lee Shore" not in body
        assert "(1 new)" in body  # the staff navigation's unread count
        event = AuditEvent.objects.get(action="portal.inbox_viewed", actor=alice)
        assert event.detail["patients"] == [pat.pk]

    def test_filters_mine_and_unassigned(self, client: Client, pat: Any, other: Any, alice: Any, carol: Any) -> None:
        mine, theirs = start(pat, subject="Mine please"), start(other, subject="Nobody yet")
        messaging.assign(by=carol, thread=mine, assignee=alice)
        sign_in(client, alice)
        url = f"/portal/inbox/?location={pat.location_id}&show="
        assert "Mine please" in (body := client.get(url + "mine").content.decode()) and "Nobody yet" not in body
        assert "Nobody yet" in (body := client.get(url + "unassigned").content.decode()) and "Mine please" not in body
        assert theirs.pk and "Mine please" in client.get(url + "nonsense").content.decode()  # unknown: all open

    def test_open_assign_reply_close_reopen(self, client: Client, pat: Any, alice: Any) -> None:
        thread = start(pat, text="I felt dizzy <3")
        sign_in(client, alice)
        page = client.get(f"/portal/inbox/{thread.pk}/").content.decode()
        assert "I felt dizzy &lt;3" in page
        assert thread.messages.get().read_at is not None
        assert AuditEvent.objects.filter(action="portal.thread_viewed", actor=alice, patient_id=pat.pk).exists()
        assert client.post(f"/portal/inbox/{thread.pk}/assign/", {"assignee": "me"}).status_code == 302
        thread.refresh_from_db()
        assert thread.assignee == alice
        refused = client.post(f"/portal/inbox/{thread.pk}/status/", {"action": "close"}, follow=True)
        assert "The patient is waiting for an answer" in refused.content.decode()
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.post(f"/portal/inbox/{thread.pk}/", {"text": "Sit down and drink water."})
        assert response.status_code == 302
        assert "Sit down" not in mail.outbox[-1].body
        assert client.post(f"/portal/inbox/{thread.pk}/status/", {"action": "close"}).status_code == 302
        thread.refresh_from_db()
        assert thread.status == "closed"
        client.post(f"/portal/inbox/{thread.pk}/status/", {"action": "reopen"})
        thread.refresh_from_db()
        assert thread.status == "open"
        actions = set(AuditEvent.objects.filter(patient_id=pat.pk, actor=alice).values_list("action", flat=True))
        assert {"portal.thread_assigned", "portal.message_replied", "portal.thread_closed"} <= actions
        assert "portal.thread_reopened" in actions

    def test_bad_replies_write_nothing(self, client: Client, pat: Any, alice: Any) -> None:
        thread = start(pat)
        sign_in(client, alice)
        for text, says in (("x" * 100_000, "100,000 characters long"), ("<b>hi</b>", "plain text"), ("", "write")):
            response = client.post(f"/portal/inbox/{thread.pk}/", {"text": text})
            assert response.status_code == 422 and says in response.content.decode()
        assert thread.messages.count() == 1 and not mail.outbox

    def test_assigning_someone_of_another_location_is_refused(
        self, client: Client, pat: Any, alice: Any, erin: Any, dave: Any
    ) -> None:
        thread = start(pat)
        sign_in(client, alice)
        for who in (erin.pk, dave.pk, "abc"):
            response = client.post(f"/portal/inbox/{thread.pk}/assign/", {"assignee": who}, follow=True)
            assert "Choose someone of the care team at this location" in response.content.decode()
        thread.refresh_from_db()
        assert thread.assignee is None
        with pytest.raises(ServiceError):
            messaging.assign(by=alice, thread=thread, assignee=dave)

    def test_sent_in_error_is_kept_and_struck_through(self, client: Client, pat: Any, alice: Any, bob: Any) -> None:
        thread = start(pat)
        with TestCase.captureOnCommitCallbacks(execute=True):
            wrong = messaging.staff_reply(by=alice, thread=thread, text="For another patient", base_url="http://x/")
        sign_in(client, bob)
        refused = client.post(f"/portal/inbox/messages/{wrong.pk}/error/", {"reason": "oops"}, follow=True)
        assert "Only the person who sent a message" in refused.content.decode()
        wrong.refresh_from_db()
        assert not wrong.entered_in_error  # only its author marks it
        sign_in(client, alice)
        response = client.post(f"/portal/inbox/messages/{wrong.pk}/error/", {"reason": ""})
        assert response.status_code == 422 and "Reason: please write something" in response.content.decode()
        client.post(f"/portal/inbox/messages/{wrong.pk}/error/", {"reason": "wrong patient"})
        wrong.refresh_from_db()
        assert wrong.entered_in_error and wrong.error_reason == "wrong patient" and wrong.error_by == alice
        page = client.get(f"/portal/inbox/{thread.pk}/").content.decode()
        assert "<del>For another patient</del>" in page and "Sent in error" in page

    def test_response_times_on_the_inbox(self, client: Client, pat: Any, alice: Any) -> None:
        now = timezone.now()
        for minutes in (30, 60, 90, 120, 600):
            with time_machine.travel(now - dt.timedelta(days=2), tick=False):
                thread = start(pat)
            with time_machine.travel(now - dt.timedelta(days=2) + dt.timedelta(minutes=minutes), tick=False):
                messaging.staff_reply(by=alice, thread=thread, text="ok", base_url="http://x/")
        with time_machine.travel(now - dt.timedelta(days=40), tick=False):
            old = start(pat)  # outside the 30 days
        start(pat)  # still waiting
        times = queries.response_times(pat.location)
        assert (times.answered, times.median_min, times.p90_min, times.unanswered) == (5, 90, 600, 1)
        assert old.first_reply_at is None
        sign_in(client, alice)
        body = client.get(f"/portal/inbox/?location={pat.location_id}").content.decode()
        assert 'Median <strong id="median">1 h 30 min</strong>' in body and "10 h" in body


class TestAccess:
    def test_clinic_admins_are_refused(self, client: Client, pat: Any, dave: Any) -> None:
        thread = start(pat)
        sign_in(client, dave)
        assert client.get("/portal/inbox/").status_code == 403
        assert client.get(f"/portal/inbox/{thread.pk}/").status_code == 403
        assert "nav-inbox" not in client.get("/").content.decode()

    def test_another_locations_threads_are_404_and_nothing_written(
        self, client: Client, pat: Any, lake: Any, erin: Any
    ) -> None:
        mine = start(lake)
        thread = start(pat, subject="Main only", text="Main words")
        sign_in(client, erin)
        before = (Message.objects.count(), AuditEvent.objects.filter(patient_id=pat.pk).count())
        walks = [
            ("get", f"/portal/inbox/{thread.pk}/", {}),
            ("post", f"/portal/inbox/{thread.pk}/", {"text": "hello"}),
            ("post", f"/portal/inbox/{thread.pk}/assign/", {"assignee": "me"}),
            ("post", f"/portal/inbox/{thread.pk}/status/", {"action": "close"}),
            ("post", f"/portal/inbox/messages/{thread.messages.get().pk}/error/", {"reason": "x"}),
            ("get", f"/portal/inbox/?location={pat.location_id}", {}),
        ]
        for method, path, data in walks:
            response = getattr(client, method)(path, data)
            assert response.status_code == 404, path
            assert "Main words" not in response.content.decode()
        assert (Message.objects.count(), AuditEvent.objects.filter(patient_id=pat.pk).count()) == before
        thread.refresh_from_db()
        assert thread.assignee is None and thread.status == "open"
        assert client.get(f"/portal/inbox/{mine.pk}/").status_code == 200

    def test_a_patient_session_is_not_a_staff_login(self, client: Client, pat: Any) -> None:
        thread = start(pat)
        sign_in_as(client, pat)
        response = client.get(f"/portal/inbox/{thread.pk}/")
        assert response.status_code == 302 and "/accounts/login" in response["Location"]
