"""One TOTP code, several sign-ins at the same moment: exactly one is let in (issue 13, item 9).

django-otp refuses a code at or before the device's ``last_t``; without a row lock, requests that read the device
at the same time would all pass. PostgreSQL only: SQLite serialises writers anyway and ignores ``select_for_update``
(design/TESTING.md). Without the lock in ``services.verify_totp`` all three threads pass (tried when written)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts import services

KEY_HEX = "3132333435363738393031323334353637383930"
THREADS = 3


@pytest.mark.django_db(transaction=True)
def test_one_code_signs_in_once_however_many_submit_it_at_once(alice: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only real on PostgreSQL")
    device = services.create_totp_device_with_key(user=alice, key_hex=KEY_HEX)
    code = f"{totp(bytes.fromhex(KEY_HEX)):06d}"
    start = threading.Barrier(THREADS)
    results: list[bool] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            mine = TOTPDevice.objects.get(pk=device.pk)  # each request loads the device itself, as the view does
            start.wait(timeout=10)
            results.append(services.verify_totp(device=mine, token=code))
        except BaseException as error:  # reported below, in the test's own thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results) == [False] * (THREADS - 1) + [True]
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1  # the losers count as failed attempts (django-otp's throttling)
