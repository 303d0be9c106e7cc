"""Two job runners send reminders at the same moment: each message goes out once (issue 17 "Patients").

Delivery is slowed inside the sending transaction so the two runs certainly overlap: the second runner's insert of the
same (appointment, kind) row waits on the unique index and then fails, so it skips. PostgreSQL only (TESTING.md)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from django.db import connection

from ketaclinic.scheduling import services
from ketaclinic.scheduling.models import AppointmentMessage
from ketaclinic.scheduling.services import reminders
from tests.scheduling.conftest import local

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers (run with DATABASE_URL=postgres://...)")


def test_two_runners_send_each_message_once(
    carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    appointment = services.book(by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 10))
    delivered: list[str] = []
    original = reminders._deliver

    def slow(appt: Any, kind: str, url: str) -> tuple[str, str]:
        delivered.append(kind)
        time.sleep(0.3)
        return original(appt, kind, url)

    monkeypatch.setattr(reminders, "_deliver", slow)
    barrier = threading.Barrier(2)
    reports: list[reminders.Report] = []
    at = appointment.starts_at - dt.timedelta(days=6)

    def runner() -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            reports.append(reminders.run_reminders(base_url="https://clinic.example", now=at))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(delivered) == ["confirmation"], delivered
    assert AppointmentMessage.objects.filter(appointment=appointment).count() == 1
    assert sorted(len(r.sent) for r in reports) == [0, 1]
    assert sorted(len(r.skipped) for r in reports) == [0, 1]
