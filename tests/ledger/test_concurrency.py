"""Invariant 10: two administrations from one vial cannot both pass the balance check (a row lock on PostgreSQL).

Threads with their own database connections race for the last mL of a vial. The service is slowed down *inside*
its critical section (after the row lock, before the balance check) so the two transactions certainly overlap:
without ``select_for_update`` both would read 1.00 mL and both would succeed.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from ketaclinic.ledger import services
from ketaclinic.ledger.models import Container, Kind, LedgerEntry
from tests.ledger.conftest import receive

D = Decimal
ROUNDS = 5
HOLD_S = 0.2

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: select_for_update is a no-op on SQLite (run with DATABASE_URL=postgres://...)")


def race(workers: int, container: Container, quantity: str, **people: Any) -> tuple[int, list[str]]:
    barrier = threading.Barrier(workers)
    successes: list[int] = []
    refusals: list[str] = []

    def administer() -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            services.administer(by=people["nurse"], container=container, patient=people["pat"], quantity_ml=quantity)
            successes.append(1)
        except Exception as error:  # the loser's refusal, recorded to assert on
            refusals.append(f"{type(error).__name__}: {error}")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=administer) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return len(successes), refusals


@pytest.fixture
def slow_critical_section(monkeypatch: pytest.MonkeyPatch) -> None:
    from ketaclinic.ledger.services import administration

    original = administration.check_usable

    def slow(container: Any, on: Any) -> None:
        time.sleep(HOLD_S)  # inside the transaction, after the row lock was taken
        original(container, on)

    monkeypatch.setattr(administration, "check_usable", slow)


def test_two_administrations_race_for_the_last_ml(ledger: Any, main_st: Any, slow_critical_section: None) -> None:
    nurse, pat = ledger["nurse"], ledger["pat"]
    vials = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"], count=ROUNDS)
    for vial in vials:
        services.administer(by=nurse, container=vial, patient=pat, quantity_ml="19.00")  # 1.00 mL left
    for vial in vials:
        won, refused = race(2, vial, "1.00", nurse=nurse, pat=pat)
        assert won == 1, refused
        # The loser waited for the lock, then saw the winner's write: the vial is empty.
        assert len(refused) == 1 and "is empty" in refused[0], refused
        assert Container.objects.get(pk=vial.pk).balance_ml == D("0.00")
        assert LedgerEntry.objects.filter(container=vial, kind=Kind.ADMINISTER).count() == 2
    assert services.verify().intact


def test_many_administrations_share_a_vial_exactly(ledger: Any, main_st: Any, slow_critical_section: None) -> None:
    """Eight nurses' stations each take 0.30 mL from the last 1.00 mL: exactly three succeed, 0.10 mL is left."""
    nurse, pat = ledger["nurse"], ledger["pat"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k100"], ledger["supplier"])  # 5 mL
    services.administer(by=nurse, container=vial, patient=pat, quantity_ml="4.00")
    won, refused = race(8, vial, "0.30", nurse=nurse, pat=pat)
    assert (won, len(refused)) == (3, 5), refused
    container = Container.objects.get(pk=vial.pk)
    assert container.balance_ml == D("0.10")
    given = LedgerEntry.objects.filter(container=vial, kind=Kind.ADMINISTER).order_by("seq")
    assert [e.balance_after_ml for e in given] == [D("1.00"), D("0.70"), D("0.40"), D("0.10")]
    assert services.verify().intact


def test_two_chairs_draw_from_one_vial_at_once_and_only_one_gets_the_last_volume(
    ledger: Any, main_st: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15, item 3: two infusions start from one 20 mL vial at the same moment, 11 mL each. The held draw is
    checked under the container's row lock, so the second chair waits, then sees 9 mL available and is refused."""
    from ketaclinic.ledger.models import Hold
    from ketaclinic.ledger.services import holds

    original = holds.check_usable

    def slow(container: Any, on: Any) -> None:
        time.sleep(HOLD_S)  # inside the transaction, after the row lock
        original(container, on)

    monkeypatch.setattr(holds, "check_usable", slow)
    nurse = ledger["nurse"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    barrier = threading.Barrier(2)
    successes: list[str] = []
    refusals: list[str] = []

    def draw(chair: str) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            services.hold(by=nurse, container=vial, quantity_ml="11.00", holder=chair, reference=f"session at {chair}")
            successes.append(chair)
        except Exception as error:  # the loser's refusal
            refusals.append(str(error))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=draw, args=(chair,)) for chair in ("Chair 1", "Chair 2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(successes) == 1 and len(refusals) == 1, (successes, refusals)
    assert "has 9.00 mL available; 11.00 mL cannot be drawn" in refusals[0]
    assert f"11.00 mL in use at {successes[0]} since" in refusals[0]
    assert list(Hold.objects.values_list("quantity_ml", flat=True)) == [D("11.00")]
