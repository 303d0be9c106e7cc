"""Chair writes and ledger writes for the same patient race without deadlocks (issue 13, defect 4; ketaclinic.locking).

Before the fix, ``select_for_update()`` with ``select_related`` locked every joined row: the chair's vitals locked the
patient and the location through the session, a ledger administration locked the location and the clinic through the
container, and PostgreSQL answered one of them with a deadlock (a 500 at the chair). Real threads, each with its own
connection, write at the same moments; every write must succeed.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from ketaclinic.infusions.models import VitalReading
from ketaclinic.ledger.models import Kind, LedgerEntry
from tests.infusions.conftest import NORMAL_VITALS, check_in, complete_check_in, start_iv

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

ROUNDS = 15


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks exist only on PostgreSQL (SQLite serialises writers)")


def run_together(*writers: Any) -> list[str]:
    """Run each writer ROUNDS times, all starting each round together; return every error."""
    barrier = threading.Barrier(len(writers))
    errors: list[str] = []

    def loop(write: Any) -> None:
        from django.db import connection as thread_connection

        try:
            for _ in range(ROUNDS):
                barrier.wait(timeout=30)
                try:
                    write()
                except Exception as error:  # collected: the assertion shows every one
                    errors.append(f"{type(error).__name__}: {error}")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=loop, args=(writer,)) for writer in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_vitals_and_ledger_administrations_for_one_patient_never_deadlock(
    iv_order: Any, alice: Any, bob: Any, stock: Any
) -> None:
    from ketaclinic.infusions import services as sessions
    from ketaclinic.ledger import services as ledger

    session = complete_check_in(check_in(iv_order, alice), alice)
    session = start_iv(session, alice, stock)
    patient = session.patient
    readings_before = VitalReading.objects.filter(session=session).count()
    spare_vial = stock["vials"][1]

    def vitals() -> None:
        sessions.record_vitals(by=alice, session=session, version=None, values=NORMAL_VITALS)

    def administration() -> None:
        ledger.administer(by=bob, container=spare_vial, patient=patient, quantity_ml="0.10")

    def second_administration() -> None:
        ledger.administer(by=alice, container=spare_vial, patient=patient, quantity_ml="0.10")

    errors = run_together(vitals, administration, second_administration)
    assert errors == []
    assert VitalReading.objects.filter(session=session).count() == readings_before + ROUNDS
    given = LedgerEntry.objects.filter(container=spare_vial, kind=Kind.ADMINISTER)
    assert given.count() == 2 * ROUNDS
    spare_vial.refresh_from_db()
    assert spare_vial.balance_ml == Decimal("20.00") - Decimal("0.10") * 2 * ROUNDS
    assert ledger.verify().intact
