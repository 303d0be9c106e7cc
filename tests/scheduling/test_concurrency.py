"""Two front-desk users book the last free chair at the same moment: exactly one wins (issue 17, "races").

Threads with their own database connections. The rules are slowed down *inside* the critical section (after the
location lock, before the chair is checked), so the two transactions certainly overlap: without the lock both would
see the chair free and both would book it. Skipped on SQLite, which serialises write transactions itself and
ignores row locks (TESTING.md).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection

from ketaclinic.scheduling import services
from ketaclinic.scheduling.models import Appointment
from ketaclinic.scheduling.services import booking
from tests.conftest import make_patient, make_user
from tests.scheduling.conftest import local

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
HOLD_S = 0.3


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: select_for_update is a no-op on SQLite (run with DATABASE_URL=postgres://...)")


@pytest.fixture
def slow_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    original = booking.rules.check

    def slow(facts: Any) -> Any:
        time.sleep(HOLD_S)
        return original(facts)

    monkeypatch.setattr(booking.rules, "check", slow)


def test_two_front_desks_book_the_last_chair_and_one_is_told_it_is_gone(
    carol: Any, clinic: Any, main_st: Any, floor: dict[str, Any], day: Any, slow_rules: None
) -> None:
    dana = make_user("dana", "front_desk", clinic, [main_st])
    first = make_patient(main_st)
    second = make_patient(main_st, given_name="Olu", family_name="Ade", email="olu@example.org")
    barrier = threading.Barrier(2)
    won: list[int] = []
    refused: list[str] = []

    def book(user: Any, patient: Any) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            appointment = services.book(
                by=user,
                patient=patient,
                kind="consultation",
                location=main_st,
                start=local(day, 10),
                chair=floor["room"],
            )
            won.append(appointment.pk)
        except services.BookingRefused as error:
            refused.append(str(error) if error.slot_gone else f"unexpected: {error}")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=book, args=pair) for pair in ((carol, first), (dana, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(won) == 1, refused
    assert len(refused) == 1 and "slot is gone" in refused[0], refused
    assert Appointment.objects.filter(chair=floor["room"]).count() == 1
