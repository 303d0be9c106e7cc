"""Signing in to the patient portal (ketaclinic/portal/services.py, views/signin.py): one-time links, the date of
birth, rate limits that tell nobody whether an address is known, the portal's own session and its timeouts."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from ketaclinic.audit.models import AuditEvent
from ketaclinic.outcomes import sms
from ketaclinic.portal import access
from ketaclinic.portal.models import SignInLink, SignInRequest
from tests.conftest import sign_in
from tests.portal.conftest import PAT_DOB, ask_for_link, link_from_outbox, sign_in_as

pytestmark = pytest.mark.django_db
SAME_WORDS = "If we know this address, a sign-in link is on its way."


def ask(client: Client, address: str) -> Any:
    return ask_for_link(client, address)


class TestAskingForALink:
    def test_a_known_address_gets_a_link_and_the_same_page_as_an_unknown_one(self, client: Client, pat: Any) -> None:
        known = ask(client, "PAT@example.org")
        unknown = ask(client, "nobody@example.org")
        assert known.status_code == unknown.status_code == 200
        assert SAME_WORDS in known.content.decode() and SAME_WORDS in unknown.content.decode()
        assert len(mail.outbox) == 1 and mail.outbox[0].to == ["pat@example.org"]
        assert "Pat" in mail.outbox[0].body and "Rivera" not in mail.outbox[0].subject
        assert SignInRequest.objects.count() == 2 and SignInLink.objects.count() == 1

    def test_only_a_hash_of_a_256_bit_token_is_stored(self, client: Client, pat: Any) -> None:
        ask(client, pat.email)
        token = link_from_outbox().rstrip("/").rsplit("/", 1)[1]
        assert len(token) >= 43  # 32 random bytes, base64url
        link = SignInLink.objects.get()
        assert token not in link.token_hash and len(link.token_hash) == 64
        assert not AuditEvent.objects.filter(detail__icontains=token).exists()

    def test_a_mobile_number_gets_a_text(self, client: Client, pat: Any) -> None:
        ask(client, "217-555-0123")
        assert not mail.outbox
        (text,) = sms.LocmemSmsBackend.outbox
        assert text.to == pat.phone and "/portal/login/" in text.body

    @pytest.mark.parametrize("typed", ["", "not an address", "<script>alert(1)</script>@x.org", "<b>2175550123</b>"])
    def test_bad_input_is_refused_and_nothing_written(self, client: Client, pat: Any, typed: str) -> None:
        response = ask(client, typed)
        assert response.status_code == 422
        body = response.content.decode()
        assert "Enter your e-mail address or your mobile number" in body or "This field is required" in body
        assert "<script>alert" not in body
        assert not SignInRequest.objects.exists() and not mail.outbox

    def test_rate_limit_per_address_looks_the_same(self, client: Client, pat: Any, settings: Any) -> None:
        settings.KETACLINIC_PORTAL_LINKS_PER_ADDRESS = 2
        answers = [ask(client, pat.email) for _ in range(4)]
        assert all(SAME_WORDS in a.content.decode() for a in answers)
        assert len(mail.outbox) == 2
        assert AuditEvent.objects.filter(action="portal.link_rate_limited", outcome="denied").exists()

    def test_rate_limit_per_client_counts_unknown_addresses_too(self, client: Client, pat: Any, settings: Any) -> None:
        settings.KETACLINIC_PORTAL_LINKS_PER_CLIENT = 3
        for n in range(3):
            ask(client, f"guess{n}@example.org")
        ask(client, pat.email)
        assert not mail.outbox
        other_client = Client(REMOTE_ADDR="10.9.9.9")
        ask(other_client, pat.email)
        assert len(mail.outbox) == 1


class TestUsingTheLink:
    def test_the_link_asks_the_date_of_birth_and_shows_nothing_before(self, client: Client, pat: Any) -> None:
        ask(client, pat.email)
        page = client.get(link_from_outbox())
        assert page.status_code == 200 and "date of birth" in page.content.decode()
        assert "Pat" not in page.content.decode()

    def test_the_right_date_signs_in_once(self, client: Client, pat: Any) -> None:
        ask(client, pat.email)
        path = link_from_outbox()
        response = client.post(path, {"date_of_birth": "1980-04-30"})
        assert response.status_code == 302 and response["Location"] == "/portal/"
        assert client.session[access.PATIENT_KEY] == pat.pk
        assert "_auth_user_id" not in client.session  # not a staff login
        assert AuditEvent.objects.filter(action="portal.sign_in", patient_id=pat.pk, actor=None).exists()
        again = Client().post(path, {"date_of_birth": "1980-04-30"})
        assert again.status_code == 410 and "cannot be used" in again.content.decode()
        assert Client().get(path).status_code == 410

    def test_the_us_date_format_works_too(self, client: Client, pat: Any) -> None:
        ask(client, pat.email)
        assert client.post(link_from_outbox(), {"date_of_birth": "04/30/1980"}).status_code == 302

    def test_wrong_dates_are_counted_and_close_the_link(self, client: Client, pat: Any, settings: Any) -> None:
        settings.KETACLINIC_PORTAL_DOB_ATTEMPTS = 3
        ask(client, pat.email)
        path = link_from_outbox()
        first = client.post(path, {"date_of_birth": "1981-04-30"})
        assert first.status_code == 422 and "2 tries left" in first.content.decode()
        client.post(path, {"date_of_birth": "1982-04-30"})
        third = client.post(path, {"date_of_birth": "1983-04-30"})
        assert third.status_code == 410 and "now closed" in third.content.decode()
        assert client.post(path, {"date_of_birth": "1980-04-30"}).status_code == 410  # even the right one now
        assert access.PATIENT_KEY not in client.session
        assert SignInLink.objects.get().dob_failures == 3
        assert AuditEvent.objects.filter(action="portal.sign_in_failed", outcome="failure").count() == 3

    def test_a_link_for_another_address_does_not_open_with_her_date(self, client: Client, pat: Any, other: Any) -> None:
        ask(client, pat.email)
        response = client.post(link_from_outbox(), {"date_of_birth": other.date_of_birth.isoformat()})
        assert response.status_code == 422 and access.PATIENT_KEY not in client.session

    @pytest.mark.parametrize("typed", ["", "yesterday", "<img src=x onerror=alert(1)>"])
    def test_a_bad_date_is_a_message_and_not_counted(self, client: Client, pat: Any, typed: str) -> None:
        ask(client, pat.email)
        response = client.post(link_from_outbox(), {"date_of_birth": typed})
        assert response.status_code == 422 and "<img src=x" not in response.content.decode()
        assert SignInLink.objects.get().dob_failures == 0

    def test_an_expired_link_is_a_clear_page(self, client: Client, pat: Any) -> None:
        ask(client, pat.email)
        path = link_from_outbox()
        SignInLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
        assert client.get(path).status_code == 410
        assert client.post(path, {"date_of_birth": PAT_DOB.isoformat()}).status_code == 410

    def test_an_unknown_token_is_the_same_page(self, client: Client) -> None:
        response = client.get("/portal/login/" + "x" * 43 + "/")
        assert response.status_code == 410 and "cannot be used" in response.content.decode()

    def test_signing_in_closes_the_patients_other_links(self, client: Client, pat: Any) -> None:
        ask(client, pat.email)
        first = link_from_outbox()
        ask(client, pat.email)
        client.post(link_from_outbox(), {"date_of_birth": PAT_DOB.isoformat()})
        assert Client().get(first).status_code == 410


class TestThePortalSession:
    def test_idle_timeout_ends_it_and_is_audited(self, client: Client, pat: Any) -> None:
        sign_in_as(client, pat)
        session = client.session
        session[access.LAST_SEEN_KEY] = time.time() - 16 * 60  # security.md H2: 15 min
        session.save()
        response = client.get("/portal/")
        assert response.status_code == 302 and response["Location"] == "/portal/login/?timeout=1"
        assert access.PATIENT_KEY not in client.session
        assert AuditEvent.objects.filter(action="portal.sign_out", detail__reason="idle timeout").exists()
        assert "signed out to keep your information safe" in client.get(response["Location"]).content.decode()

    def test_absolute_lifetime(self, client: Client, pat: Any, settings: Any) -> None:
        sign_in_as(client, pat)
        session = client.session
        session[access.SIGNED_IN_KEY] = time.time() - settings.KETACLINIC_PORTAL_SESSION_MAX_S - 1
        session.save()
        assert client.get("/portal/").status_code == 302
        assert AuditEvent.objects.filter(detail__reason="session lifetime reached").exists()

    def test_sign_out(self, client: Client, pat: Any) -> None:
        sign_in_as(client, pat)
        response = client.post("/portal/logout/")
        assert response.status_code == 200 and "You are signed out" in response.content.decode()
        assert client.get("/portal/").status_code == 302
        assert AuditEvent.objects.filter(action="portal.sign_out", detail__reason="signed out").exists()

    def test_a_staff_login_in_the_same_browser_is_untouched(self, client: Client, pat: Any, carol: Any) -> None:
        sign_in(client, carol)
        sign_in_as(client, pat)
        assert client.get("/").status_code in (200, 302)
        assert client.get("/patients/").status_code == 200  # still carol
        client.post("/portal/logout/")
        assert client.get("/patients/").status_code == 200

    def test_a_staff_login_is_not_a_portal_session(self, client: Client, carol: Any) -> None:
        sign_in(client, carol)
        assert client.get("/portal/").status_code == 302


class TestNoTimingLeak:
    """The request does the same work for a known and an unknown address; the look-up and the sending run after it,
    in a background thread (``KETACLINIC_PORTAL_LINK_DELIVERY = "background"``, the production setting)."""

    @pytest.fixture
    def threads(self, settings: Any, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
        """Threads the request starts, held back until the test runs them (the request must not wait for them)."""
        from ketaclinic.portal import services

        settings.KETACLINIC_PORTAL_LINK_DELIVERY = "background"
        started: list[Any] = []

        class HeldThread:
            def __init__(self, *, target: Any, name: str, daemon: bool) -> None:
                assert daemon and name == "portal-sign-in-link"
                self.target = target

            def start(self) -> None:
                started.append(self.target)

        monkeypatch.setattr(services.threading, "Thread", HeldThread)
        monkeypatch.setattr(services.connection, "close", lambda: None)  # the test's own connection stays open
        return started

    @staticmethod
    def shape(queries: list[dict[str, Any]]) -> list[str]:
        import re

        savepoint = re.compile(r'"s\d+_x\d+"')
        return [savepoint.sub("SP", q["sql"].split(" WHERE ")[0].split(" VALUES ")[0]) for q in queries]

    def test_known_and_unknown_addresses_do_the_same_work_and_get_the_same_answer(
        self, client: Client, pat: Any, threads: list[Any]
    ) -> None:
        import re

        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        answers, shapes = [], []
        for address in (pat.email, "nobody@example.org"):
            with CaptureQueriesContext(connection) as queries:
                answers.append(ask(client, address))
            shapes.append(self.shape(queries.captured_queries))
        assert not mail.outbox and not SignInLink.objects.exists()  # nothing looked up or sent in the request
        assert shapes[0] == shapes[1] and not any("portal_signinlink" in sql for sql in shapes[0])
        token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
        pages = [token.sub("", a.content.decode()) for a in answers]
        assert answers[0].status_code == answers[1].status_code == 200 and pages[0] == pages[1]
        assert len(threads) == 2
        for work in threads:
            from django.test import TestCase

            with TestCase.captureOnCommitCallbacks(execute=True):
                work()
        assert len(mail.outbox) == 1 and mail.outbox[0].to == ["pat@example.org"]
        assert list(SignInRequest.objects.order_by("pk").values_list("matched", flat=True)) == [True, False]
        assert AuditEvent.objects.filter(action="portal.link_unknown_address").count() == 1
        response = client.post(link_from_outbox(), {"date_of_birth": PAT_DOB.isoformat()})
        assert response.status_code == 302

    def test_a_failing_sender_is_logged_without_the_address(
        self, pat: Any, threads: list[Any], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from ketaclinic.portal import services

        def broken(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("provider down")

        monkeypatch.setattr(services, "send_links", broken)
        ask(Client(), pat.email)
        (work,) = threads
        work()
        assert "could not be prepared or sent" in caplog.text and pat.email not in caplog.text


@pytest.mark.django_db(transaction=True)
def test_the_background_thread_really_sends_the_link(client: Client, pat: Any, settings: Any) -> None:
    """The production path end to end: a real thread, its own database connection, the link in the outbox."""
    import threading

    settings.KETACLINIC_PORTAL_LINK_DELIVERY = "background"
    before = set(threading.enumerate())
    response = client.post("/portal/login/", {"address": pat.email})
    assert response.status_code == 200 and SAME_WORDS in response.content.decode()
    for thread in set(threading.enumerate()) - before:
        if thread.name == "portal-sign-in-link":
            thread.join(timeout=30)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [pat.email]
    assert SignInLink.objects.filter(patient=pat).count() == 1
    assert SignInRequest.objects.get().matched is True
