"""Two clinic fills race for the last stock of one vial (PostgreSQL, real threads): the ledger's container row lock
lets exactly one through; the loser's fill is refused whole (no HomeDispense, no ledger entry). Two patients, so the
prescription locks do not serialise them first. Follows tests/ledger/test_concurrency.py."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from ketaclinic.homecare import services
from ketaclinic.homecare.models import HomeDispense
from ketaclinic.ledger import services as ledger_services
from ketaclinic.ledger.models import Container, Kind, LedgerEntry
from ketaclinic.patients.models import clinic_date
from tests.conftest import make_patient
from tests.homecare.test_dispensing import oral_programme
from tests.ledger.conftest import receive

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
HOLD_S = 0.2


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: select_for_update is a no-op on SQLite (run with DATABASE_URL=postgres://...)")


def test_two_clinic_fills_race_for_the_last_stock(
    ledger: Any, main_st: Any, bob: Any, pat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ketaclinic.ledger.services import administration

    original = administration.check_usable

    def slow(container: Any, on: Any) -> None:
        time.sleep(HOLD_S)  # inside the transaction, after the container's row lock
        original(container, on)

    monkeypatch.setattr(administration, "check_usable", slow)
    nurse = ledger["nurse"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])  # 20 mL at 10 mg/mL
    ledger_services.administer(by=nurse, container=vial, patient=pat, quantity_ml="5.00")  # 15 mL left
    other = make_patient(main_st, given_name="Quinn", family_name="Lake", email="quinn@example.org")
    prescriptions = [oral_programme(pat, bob), oral_programme(other, bob)]  # 100 mg a dose = 10 mL
    barrier = threading.Barrier(2)
    won: list[int] = []
    refused: list[str] = []

    def fill(rx: Any) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            today = clinic_date(rx.programme.patient)
            services.dispense(
                by=nurse, prescription=rx, source="clinic", dispenser="", dispensed_on=today, doses=1, container=vial
            )
            won.append(rx.pk)
        except Exception as error:  # the loser's refusal, recorded to assert on
            refused.append(f"{type(error).__name__}: {error}")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=fill, args=(rx,)) for rx in prescriptions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(won) == 1 and len(refused) == 1, refused
    assert "ServiceError" in refused[0] and "cannot be drawn" in refused[0], refused
    assert HomeDispense.objects.count() == 1 and HomeDispense.objects.get().prescription_id == won[0]
    assert LedgerEntry.objects.filter(kind=Kind.ADMINISTER).count() == 2  # the 5 mL and the winner's 10 mL
    assert Container.objects.get(pk=vial.pk).balance_ml == Decimal("5.00")
    assert ledger_services.verify().intact
