"""A clinic admin resets a colleague's second factor (issue 13): a written reason, audited; the authenticator is
removed, so the next sign-in enrols a new one; nothing else changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts import services
from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.accounts.models import Licence, UserSession
from ketaclinic.audit.models import AuditEvent
from tests.conftest import PASSWORD, make_user, sign_in

KEY_HEX = "3132333435363738393031323334353637383930"
CHANGELIST = "/admin/accounts/user/"


def test_the_service_removes_the_devices_ends_sessions_and_keeps_the_rest(dave: Any, bob: Any) -> None:
    services.create_totp_device_with_key(user=bob, key_hex=KEY_HEX)
    TOTPDevice.objects.create(user=bob, name="half-enrolled", confirmed=False)
    client = sign_in(Client(), bob)
    services.note_login(user=bob, session_key=client.session.session_key, method="test")
    licences = Licence.objects.filter(user=bob).count()

    removed = services.reset_second_factor(by=dave, user=bob, reason="Phone lost; identity checked in person")

    assert removed == 2 and not TOTPDevice.objects.filter(user=bob).exists()
    assert not UserSession.objects.filter(user=bob).exists()
    assert client.get(reverse("web:dashboard")).status_code == 302
    bob.refresh_from_db()
    assert bob.is_active and bob.check_password(PASSWORD) and Licence.objects.filter(user=bob).count() == licences
    event = AuditEvent.objects.get(action="auth.mfa_reset")
    assert event.actor_id == dave.pk and event.object_id == str(bob.pk)
    assert event.detail == {
        "reason": "Phone lost; identity checked in person",
        "devices_removed": 2,
        "sessions_ended": 1,
    }


def test_the_next_sign_in_enrols_a_new_authenticator(dave: Any, alice: Any) -> None:
    services.create_totp_device_with_key(user=alice, key_hex=KEY_HEX)
    services.reset_second_factor(by=dave, user=alice, reason="new phone")
    client = Client()
    step = client.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD})
    assert step.status_code == 302 and step["Location"] == reverse("accounts:mfa_enrol")
    assert "<svg" in client.get(reverse("accounts:mfa_enrol")).content.decode()
    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    assert device.key != KEY_HEX  # a new secret, never the old one


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required(dave: Any, alice: Any, reason: str) -> None:
    services.create_totp_device_with_key(user=alice, key_hex=KEY_HEX)
    with pytest.raises(ValidationError):
        services.reset_second_factor(by=dave, user=alice, reason=reason)
    assert TOTPDevice.objects.filter(user=alice).exists()


def test_only_a_clinic_admin_of_the_same_clinic_and_not_for_themselves(dave: Any, alice: Any, bob: Any) -> None:
    services.create_totp_device_with_key(user=alice, key_hex=KEY_HEX)
    with pytest.raises(PermissionDenied):
        services.reset_second_factor(by=bob, user=alice, reason="asked nicely")
    with pytest.raises(PermissionDenied):
        services.reset_second_factor(by=dave, user=dave, reason="my own")
    other_clinic = services.create_clinic(by=None, name="Other Clinic")
    elsewhere = services.create_location(by=None, clinic=other_clinic, name="North")
    olga = make_user("olga", "clinic_admin", other_clinic, [elsewhere])
    with pytest.raises(PermissionDenied):
        services.reset_second_factor(by=olga, user=alice, reason="not mine to reset")
    assert TOTPDevice.objects.filter(user=alice).exists()
    assert not AuditEvent.objects.filter(action="auth.mfa_reset").exists()


def test_the_back_office_action_asks_for_a_reason_then_resets(dave: Any, alice: Any, client: Any) -> None:
    services.create_totp_device_with_key(user=alice, key_hex=KEY_HEX)
    sign_in(client, dave)
    selected = {"action": "reset_second_factor", "_selected_action": [alice.pk]}

    confirm = client.post(CHANGELIST, selected)
    page = confirm.content.decode()
    assert confirm.status_code == 200 and "Reason (kept in the audit log)" in page and "alice" in page

    missing = client.post(CHANGELIST, {**selected, "confirm": "yes", "reason": " "})
    assert missing.status_code == 200 and "Please give a reason." in missing.content.decode()
    assert TOTPDevice.objects.filter(user=alice).exists()

    done = client.post(CHANGELIST, {**selected, "confirm": "yes", "reason": "Phone replaced"}, follow=True)
    assert "Second factor reset for alice" in done.content.decode()
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert AuditEvent.objects.get(action="auth.mfa_reset").detail["reason"] == "Phone replaced"


def test_the_back_office_action_refuses_oneself_with_a_message(dave: Any, client: Any) -> None:
    sign_in(client, dave)
    device = TOTPDevice.objects.get(user=dave)
    selected = {"action": "reset_second_factor", "_selected_action": [dave.pk], "confirm": "yes", "reason": "mine"}
    done = client.post(CHANGELIST, selected, follow=True)
    assert "Ask another clinic admin" in done.content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
