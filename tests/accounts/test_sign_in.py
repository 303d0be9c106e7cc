"""Sign-in with password and TOTP, lockout, sign-out, session lifetime (knowledge/security.md H2, H4, H7, H8)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django_otp.oath import totp

from ketaclinic.accounts import services
from ketaclinic.accounts.middleware import LAST_SEEN, LAST_SEEN_RESOLUTION_S
from ketaclinic.audit.models import AuditEvent
from tests.conftest import PASSWORD, sign_in

KEY_HEX = "3132333435363738393031323334353637383930"  # RFC 6238's test secret "12345678901234567890"


def code_for(key_hex: str, offset_s: int = 0) -> str:
    return f"{totp(bytes.fromhex(key_hex), t0=-offset_s):06d}"


def login(client: Any, username: str, password: str = PASSWORD) -> Any:
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def test_nurse_needs_a_code_after_the_password(alice: Any, client: Any) -> None:
    services.create_totp_device_with_key(user=alice, key_hex=KEY_HEX)
    response = login(client, "alice")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login_verify")
    # The password alone is not a session.
    assert client.get(reverse("web:dashboard")).status_code == 302
    response = client.post(reverse("accounts:login_verify"), {"code": code_for(KEY_HEX)})
    assert response.status_code == 302 and response["Location"] == reverse("web:dashboard")
    assert client.get(reverse("web:dashboard")).status_code == 200
    assert "auth.login" in actions()


def test_a_wrong_code_is_refused_next_to_the_field_and_audited(alice: Any, client: Any) -> None:
    services.create_totp_device_with_key(user=alice, key_hex=KEY_HEX)
    login(client, "alice")
    wrong = f"{(int(code_for(KEY_HEX)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("accounts:login_verify"), {"code": wrong})
    assert response.status_code == 200
    assert "That code is not valid" in response.content.decode()
    assert client.get(reverse("web:dashboard")).status_code == 302
    event = AuditEvent.objects.filter(action="auth.login_failed").get()
    assert event.actor_username == "alice" and event.outcome == "failure"


def test_a_nurse_without_a_device_must_enrol_first(alice: Any, client: Any) -> None:
    response = login(client, "alice")
    assert response["Location"] == reverse("accounts:mfa_enrol")
    page = client.get(reverse("accounts:mfa_enrol")).content.decode()
    assert "<svg" in page
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    response = client.post(reverse("accounts:mfa_enrol"), {"code": code_for(device.key)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert "auth.mfa_enrolled" in actions()


def test_front_desk_signs_in_with_a_password_where_the_clinic_relaxes_mfa(
    carol: Any, client: Any, settings: Any
) -> None:
    settings.KETACLINIC_MFA_FRONT_DESK = False
    before = client.session.session_key
    response = login(client, "carol")
    assert response.status_code == 302 and response["Location"] == reverse("web:dashboard")
    assert client.session.session_key != before  # a new session key at sign-in
    assert client.get(reverse("patients:list")).status_code == 200


def test_front_desk_needs_mfa_by_default(carol: Any, client: Any) -> None:
    assert login(client, "carol")["Location"] == reverse("accounts:mfa_enrol")


def test_a_wrong_password_says_so_and_is_audited(alice: Any, client: Any) -> None:
    response = login(client, "alice", "not the password at all")
    assert response.status_code == 200
    assert "do not match an active account" in response.content.decode()
    assert AuditEvent.objects.filter(action="auth.login_failed", actor_username="alice").exists()


def test_five_failures_lock_the_account_and_the_lockout_is_audited(alice: Any, client: Any) -> None:
    for _ in range(5):
        login(client, "alice", "wrong password 123")
    response = login(client, "alice")  # even the right password is refused while locked
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert AuditEvent.objects.filter(action="auth.lockout", outcome="denied").exists()


def test_sign_out_is_post_only_and_audited(alice: Any, client: Any) -> None:
    sign_in(client, alice)
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("web:dashboard")).status_code == 302
    assert actions()[-1] == "auth.logout"


def test_idle_for_longer_than_the_timeout_ends_the_session(alice: Any, client: Any) -> None:
    with time_machine.travel(time.time(), tick=False) as traveller:
        sign_in(client, alice)
        assert client.get(reverse("web:dashboard")).status_code == 200
        traveller.shift(14 * 60)
        assert client.get(reverse("web:dashboard")).status_code == 200  # activity resets the idle clock
        traveller.shift(15 * 60 + 1)
        response = client.get(reverse("web:dashboard"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login") + "?timeout=1"
    assert client.get(reverse("web:dashboard")).status_code == 302
    event = AuditEvent.objects.filter(action="auth.timeout").get()
    assert event.detail == {"reason": "idle timeout"}


def test_activity_is_stored_at_most_every_twenty_seconds_and_never_lets_a_session_outlive_the_timeout(
    alice: Any, client: Any
) -> None:
    """Clicks within LAST_SEEN_RESOLUTION_S of the stored activity do not rewrite the session row (a write and a disk
    flush per page); the idle timeout then counts from the stored click, so it can only end a session early."""
    with time_machine.travel(time.time(), tick=False) as traveller:
        sign_in(client, alice)
        stored = client.session[LAST_SEEN]
        traveller.shift(LAST_SEEN_RESOLUTION_S - 1)
        assert client.get(reverse("web:dashboard")).status_code == 200
        assert client.session[LAST_SEEN] == stored
        traveller.shift(1)
        assert client.get(reverse("web:dashboard")).status_code == 200
        assert client.session[LAST_SEEN] == stored + LAST_SEEN_RESOLUTION_S
        traveller.shift(10)  # a click 10 s after the stored one is not stored ...
        assert client.get(reverse("web:dashboard")).status_code == 200
        traveller.shift(15 * 60 - 10 + 1)  # ... so the idle timeout counts from the stored click: early, never late
        assert client.get(reverse("web:dashboard")).status_code == 302


def test_the_absolute_lifetime_ends_even_an_active_session(alice: Any, client: Any) -> None:
    with time_machine.travel(time.time(), tick=False) as traveller:
        sign_in(client, alice)
        for _ in range(12 * 6):  # a request every 10 minutes for 12 hours
            traveller.shift(10 * 60)
            client.get(reverse("web:dashboard"))
        traveller.shift(10 * 60)
        response = client.get(reverse("web:dashboard"))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.timeout", detail__reason="session lifetime reached").exists()


def test_an_api_call_after_the_idle_timeout_answers_401(alice: Any, client: Any) -> None:
    with time_machine.travel(time.time(), tick=False) as traveller:
        sign_in(client, alice)
        traveller.shift(16 * 60)
        response = client.get("/api/v1/patients/")
    assert response.status_code == 401


@pytest.mark.parametrize("next_url", ["https://evil.example.com/", "//evil.example.com/"])
def test_sign_in_never_redirects_off_site(carol: Any, client: Any, settings: Any, next_url: str) -> None:
    settings.KETACLINIC_MFA_FRONT_DESK = False
    response = client.post(f"{reverse('accounts:login')}?next={next_url}", {"username": "carol", "password": PASSWORD})
    assert response["Location"] == reverse("web:dashboard")
