"""User management services: roles, licences, deactivation ending sessions and tokens (security.md H12)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ketaclinic.accounts import services
from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.accounts.models import ApiToken, User, UserSession
from ketaclinic.audit.models import AuditEvent
from tests.conftest import PASSWORD


def test_passwords_are_hashed_with_argon2_in_production_settings() -> None:
    from ketaclinic import settings as production_settings

    assert production_settings.PASSWORD_HASHERS[-2].endswith("Argon2PasswordHasher")
    hashers = [h for h in production_settings.PASSWORD_HASHERS if "MD5" not in h]
    assert hashers[0].endswith("Argon2PasswordHasher")


@pytest.mark.parametrize("password", ["short", "password123456", "Alice Testalice"])
def test_weak_passwords_are_refused(password: str, clinic: Any, main_st: Any) -> None:
    with pytest.raises(ValidationError):
        services.create_user(
            by=None,
            username="alice",
            password=password,
            role="nurse",
            clinic=clinic,
            locations=[main_st],
            first_name="Alice",
            last_name="Testalice",
        )
    assert not User.objects.filter(username="alice").exists()


def test_only_a_clinic_admin_creates_users(alice: Any, clinic: Any, main_st: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.create_user(
            by=alice, username="mallory", password=PASSWORD, role="prescriber", clinic=clinic, locations=[main_st]
        )


def test_a_location_of_another_clinic_is_refused(dave: Any, main_st: Any) -> None:
    other = services.create_clinic(by=None, name="Elsewhere")
    with pytest.raises(ValidationError):
        services.create_user(
            by=dave, username="zed", password=PASSWORD, role="nurse", clinic=other, locations=[main_st]
        )


def test_licence_expiry_is_known(bob: Any) -> None:
    today = dt.date.today()
    assert bob.holds_current_licence("medical", today)
    assert not bob.holds_current_licence("medical", today + dt.timedelta(days=400))


def test_deactivation_ends_sessions_and_tokens_at_once(dave: Any, carol: Any, client: Any, settings: Any) -> None:
    settings.KETACLINIC_MFA_FRONT_DESK = False
    client.post(reverse("accounts:login"), {"username": "carol", "password": PASSWORD})
    assert UserSession.objects.filter(user=carol).count() == 1
    token = services.create_api_token(by=dave, user=carol, name="scanner")
    assert client.get(reverse("patients:list")).status_code == 200

    services.deactivate_user(by=dave, user=carol, reason="left the clinic")

    assert client.get(reverse("patients:list")).status_code == 302
    from django.test import Client

    assert Client().get("/api/v1/patients/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert not UserSession.objects.filter(user=carol).exists()
    assert ApiToken.objects.get(user=carol).revoked_at is not None
    event = AuditEvent.objects.filter(action="user.deactivate").get()
    assert event.detail["sessions_ended"] == 1 and event.detail["tokens_revoked"] == 1


def test_deactivation_needs_a_reason(dave: Any, carol: Any) -> None:
    with pytest.raises(ValidationError):
        services.deactivate_user(by=dave, user=carol, reason="  ")
    carol.refresh_from_db()
    assert carol.is_active


def test_api_tokens_are_stored_hashed_and_shown_once(dave: Any, alice: Any) -> None:
    raw = services.create_api_token(by=dave, user=alice)
    stored = ApiToken.objects.get(user=alice)
    assert raw not in (stored.token_hash, stored.prefix)
    assert stored.token_hash == ApiToken.hash_token(raw)
    assert len(raw) >= 43  # 256 bits, URL-safe base64
    assert services.authenticate_token(raw) == alice
    assert services.authenticate_token(raw + "x") is None
    event = AuditEvent.objects.filter(action="api_token.create").get()
    assert raw not in str(event.detail)


def test_role_and_location_changes_are_audited_with_before_and_after(dave: Any, alice: Any, lakeside: Any) -> None:
    services.set_user_access(by=dave, user=alice, role="prescriber", locations=[lakeside])
    event = AuditEvent.objects.filter(action="user.permissions_change").get()
    assert event.detail["before"]["role"] == "nurse" and event.detail["after"]["role"] == "prescriber"


def test_clinic_admins_get_the_back_office(dave: Any, alice: Any) -> None:
    assert dave.is_staff and dave.has_perm("accounts.change_user")
    assert not alice.is_staff and not alice.has_perm("accounts.change_user")
