"""Self-service password reset by e-mail (issue 13): Django's views, no account enumeration, rate-limited, audited
without the token or password, nobody signed in afterwards, the second factor still asked at the next sign-in."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.oath import totp

from ketaclinic.accounts import services
from ketaclinic.accounts.models import User, UserSession
from ketaclinic.audit.models import AuditEvent
from tests.conftest import PASSWORD, make_user

KEY_HEX = "3132333435363738393031323334353637383930"
NEW_PASSWORD = "lantern orchard quietly 7 rivers"


@pytest.fixture
def nina(clinic: Any, main_st: Any) -> Any:
    user = make_user("nina", "nurse", clinic, [main_st], email="nina@clinic.example")
    services.create_totp_device_with_key(user=user, key_hex=KEY_HEX)
    return user


def ask(client: Any, email: str, ip: str = "203.0.113.7") -> Any:
    return client.post(reverse("accounts:password_reset"), {"email": email}, REMOTE_ADDR=ip)


def link_in(message: Any) -> str:
    found = re.search(r"http://testserver(/accounts/password-reset/\S+/)", message.body)
    assert found, message.body
    return found.group(1)


def test_the_sign_in_page_links_to_the_reset(client: Any, db: Any) -> None:
    page = client.get(reverse("accounts:login")).content.decode()
    assert f'href="{reverse("accounts:password_reset")}"' in page and "Forgot your password?" in page


def test_a_known_and_an_unknown_address_get_the_same_answer(
    nina: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        known = ask(client, "NINA@clinic.example")
        unknown = ask(client, "nobody@clinic.example")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nina@clinic.example"]
    page = client.get(reverse("accounts:password_reset_done")).content.decode()
    assert "If that address belongs to an active ketaclinic account" in page


def test_inactive_accounts_get_no_mail(nina: Any, dave: Any, django_capture_on_commit_callbacks: Any) -> None:
    services.deactivate_user(by=dave, user=nina, reason="left the clinic")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.request_password_reset(email=nina.email, client_ip="203.0.113.7", base_url="http://x") == 0
    assert mail.outbox == []


def test_the_whole_reset_then_the_second_factor_is_still_asked(
    nina: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    other = Client()
    other.post(reverse("accounts:login"), {"username": "nina", "password": PASSWORD})
    other.post(reverse("accounts:login_verify"), {"code": f"{totp(bytes.fromhex(KEY_HEX)):06d}"})
    assert other.get(reverse("web:dashboard")).status_code == 200
    assert UserSession.objects.filter(user=nina).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        ask(client, "nina@clinic.example")
    link = link_in(mail.outbox[0])
    token = link.rstrip("/").rsplit("/", 1)[1]
    response = client.get(link)  # Django moves the token from the address into the session
    assert response.status_code == 302 and token not in response["Location"]
    form_url = response["Location"]
    assert "Choose a new password" in client.get(form_url).content.decode()

    too_short = client.post(form_url, {"new_password1": "short1", "new_password2": "short1"})
    assert too_short.status_code == 200 and "too short" in too_short.content.decode()

    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("accounts:password_reset_complete")
    assert "_auth_user_id" not in client.session  # not signed in by the reset
    nina.refresh_from_db()
    assert nina.check_password(NEW_PASSWORD)

    # The other session is over; the used link opens nothing any more.
    assert other.get(reverse("web:dashboard")).status_code == 302
    assert not UserSession.objects.filter(user=nina).exists()
    assert "This link cannot be used" in client.get(link).content.decode()

    # The new password is only the first step: the second factor is still asked.
    fresh = Client()
    assert fresh.post(reverse("accounts:login"), {"username": "nina", "password": PASSWORD}).status_code == 200
    step = fresh.post(reverse("accounts:login"), {"username": "nina", "password": NEW_PASSWORD})
    assert step.status_code == 302 and step["Location"] == reverse("accounts:login_verify")
    assert fresh.get(reverse("web:dashboard")).status_code == 302

    completed = AuditEvent.objects.get(action="auth.password_reset")
    assert completed.actor_id == nina.pk and completed.detail["sessions_ended"] == 1
    assert AuditEvent.objects.filter(action="auth.password_reset_link_refused", outcome="denied").exists()
    for event in AuditEvent.objects.filter(action__startswith="auth.password_reset"):
        text = str(event.detail) + event.user_agent
        assert token not in text and NEW_PASSWORD not in text


def test_requests_are_audited_with_a_digest_of_the_address_only(nina: Any, client: Any) -> None:
    ask(client, "nina@clinic.example", ip="198.51.100.9")
    ask(client, "stranger@example.org", ip="198.51.100.9")
    known, unknown = AuditEvent.objects.filter(action="auth.password_reset_requested").order_by("seq")
    assert known.object_id == str(nina.pk) and known.outcome == "success" and known.detail["matched"] is True
    assert unknown.object_id == "" and unknown.detail["matched"] is False
    assert known.detail["client"] == unknown.detail["client"] == services.reset_client_digest("198.51.100.9")
    assert "198.51.100.9" not in str(known.detail)


def test_a_client_address_is_limited_and_still_sees_the_same_page(
    nina: Any, client: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.KETACLINIC_PASSWORD_RESET_RATE_LIMIT = 3
    settings.KETACLINIC_PASSWORD_RESET_ACCOUNT_LIMIT = 10
    with django_capture_on_commit_callbacks(execute=True):
        for address in ("a@example.org", "b@example.org", "c@example.org"):
            ask(client, address)
        response = ask(client, "nina@clinic.example")
        elsewhere = ask(client, "nina@clinic.example", ip="192.0.2.1")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password_reset_done")
    assert elsewhere.status_code == 302
    assert len(mail.outbox) == 1  # only the request from the other address
    refused = AuditEvent.objects.get(action="auth.password_reset_requested", outcome="denied")
    assert refused.detail["refused"] == "client address"


def test_an_account_gets_a_few_mails_an_hour_whatever_the_addresses(
    nina: Any, client: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.KETACLINIC_PASSWORD_RESET_ACCOUNT_LIMIT = 2
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(4):
            ask(client, "nina@clinic.example", ip=f"192.0.2.{n + 1}")
    assert len(mail.outbox) == 2
    refused = AuditEvent.objects.filter(action="auth.password_reset_requested", outcome="denied")
    assert [event.detail["refused"] for event in refused] == ["account", "account"]


def test_a_successful_reset_clears_the_lockout(nina: Any, client: Any) -> None:
    from axes.models import AccessAttempt

    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": "nina", "password": "wrong"})
    assert AccessAttempt.objects.filter(username="nina").exists()
    services.complete_password_reset(user=nina, password=NEW_PASSWORD)
    assert not AccessAttempt.objects.filter(username="nina").exists()
    assert AuditEvent.objects.get(action="auth.password_reset").detail["lockout_cleared"] is True
    step = client.post(reverse("accounts:login"), {"username": "nina", "password": NEW_PASSWORD})
    assert step.status_code == 302 and step["Location"] == reverse("accounts:login_verify")


def test_the_service_applies_the_password_validators(nina: Any) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.complete_password_reset(user=nina, password="password1234")
    assert User.objects.get(pk=nina.pk).check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="auth.password_reset").exists()


def test_a_link_for_another_token_or_user_opens_nothing(nina: Any, client: Any) -> None:
    uid = urlsafe_base64_encode(force_bytes(nina.pk))
    bad = client.get(reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": "abc-123"}))
    assert bad.status_code == 200 and "This link cannot be used" in bad.content.decode()
    good = default_token_generator.make_token(nina)
    services.complete_password_reset(user=nina, password="a different long password 99")  # spends earlier links
    stale = client.get(reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": good}))
    assert "This link cannot be used" in stale.content.decode()


def test_a_flood_of_reset_requests_writes_a_bounded_number_of_audit_rows(nina: Any) -> None:
    """Junk requests are anonymous refusals (issue 13, defect 7): counted, not one undeletable row each."""
    from ketaclinic.audit import refusals

    before = AuditEvent.objects.count()
    for n in range(300):
        services.request_password_reset(email=f"robot{n}@example.org", client_ip="203.0.113.7", base_url="http://x")
    # one row for the first request; a minute boundary during the loop adds a new first row and one summary
    assert AuditEvent.objects.count() - before <= 3
    client = services.reset_client_digest("203.0.113.7")
    since = timezone.now() - dt.timedelta(hours=1)
    assert refusals.refusals_since(client=client, since=since, actions=["auth.password_reset_requested"]) == 300
