"""Front desks at two locations issue invoices at the same moment: every invoice gets its own number, and the numbers
run on without a gap (issue 19; an invoice number is what a patient and an auditor quote).

Threads with their own database connections. The counter's save is slowed down *inside* the critical section (after
the number is read and incremented, before it is written), so the transactions certainly overlap: without the row
lock two of them would read the same last number and one would fail on the unique (clinic, number) constraint.
The first invoices of the clinic race to create the counter row too. Skipped on SQLite, which serialises write
transactions itself and ignores row locks (TESTING.md).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection

from ketaclinic.billing.models import Invoice, InvoiceCounter
from ketaclinic.billing.services import invoices
from tests.billing.selfpay_scene import make_fees
from tests.conftest import make_patient, make_user

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
HOLD_S = 0.05
THREADS = 4
INVOICES_EACH = 3


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: select_for_update is a no-op on SQLite (run with DATABASE_URL=postgres://...)")


@pytest.fixture
def slow_counter(monkeypatch: pytest.MonkeyPatch) -> None:
    original = InvoiceCounter.save

    def slow(self: InvoiceCounter, *args: Any, **kwargs: Any) -> None:
        time.sleep(HOLD_S)
        original(self, *args, **kwargs)

    monkeypatch.setattr(InvoiceCounter, "save", slow)


def test_invoices_issued_at_the_same_moment_get_distinct_consecutive_numbers(
    clinic: Any, main_st: Any, lakeside: Any, dave: Any, slow_counter: None
) -> None:
    packages = {
        location.pk: make_fees(dave, location).fees.get(service="package:protocol:depression_iv")
        for location in (main_st, lakeside)
    }
    assert not InvoiceCounter.objects.exists()  # the first numbers also race to create the clinic's counter
    desks = [
        (
            make_user(f"desk{n}", "front_desk", clinic, [location]),
            make_patient(location, given_name=f"Thread{n}", family_name="Race", email=f"race{n}@example.org"),
        )
        for n, location in enumerate([main_st, lakeside] * (THREADS // 2))
    ]
    barrier = threading.Barrier(THREADS)
    numbers: list[int] = []
    failures: list[str] = []
    guard = threading.Lock()

    def issue(user: Any, patient: Any) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            for _ in range(INVOICES_EACH):
                invoice = invoices.invoice_package(by=user, patient=patient, fee=packages[patient.location_id])
                with guard:
                    numbers.append(invoice.number)
        except Exception as exc:  # reported below: a thread's exception would otherwise be lost
            with guard:
                failures.append(repr(exc))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=issue, args=desk) for desk in desks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    total = THREADS * INVOICES_EACH
    assert sorted(numbers) == list(range(1, total + 1))
    assert Invoice.objects.filter(clinic=clinic).count() == total
    assert InvoiceCounter.objects.get(clinic=clinic).last_number == total
