"""Two waiting patients accept the same freed chair at the same moment: exactly one is booked (issue 17 "waiting
list"). The booking is slowed inside the accepting transaction so the two certainly overlap; the second waits on the
offer's row lock, then finds the time taken and stays on the list. PostgreSQL only (TESTING.md: SQLite serialises
writers and ignores row locks)."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import pytest
from django.core import mail
from django.db import connection

from ketaclinic.scheduling.models import Appointment, WaitingListEntry, WaitingOffer
from ketaclinic.scheduling.services import waiting
from tests.scheduling.waiting_scene import freed_chair_scene

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(settings: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers (run with DATABASE_URL=postgres://...)")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def race(tokens: list[str]) -> list[Any]:
    barrier = threading.Barrier(len(tokens))
    outcomes: list[Any] = []

    def accept(token: str) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            try:
                outcomes.append(waiting.accept(token=token, client="race"))
            except waiting.LinkUnavailable as refused:
                outcomes.append(refused)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=accept, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.fixture
def offered(
    carol: Any,
    bob: Any,
    main_st: Any,
    pat: Any,
    iv_order: Any,
    floor: dict[str, Any],
    day: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    scene = freed_chair_scene(carol, bob, main_st, pat, iv_order, floor, day)
    c = scene.cancelled
    waiting.offer(
        by=carol,
        location=main_st,
        chair=scene.chair,
        start=c.starts_at,
        end=c.ends_at,
        entries=[scene.first, scene.second],
        base_url="https://clinic.example",
        freed_by=c,
    )
    original = waiting.book

    def slow_book(**kwargs: Any) -> Any:
        time.sleep(0.3)
        return original(**kwargs)

    monkeypatch.setattr(waiting, "book", slow_book)
    return scene


def test_two_patients_accepting_the_same_offer_at_once_book_once(offered: Any) -> None:
    tokens = [re.search(r"/a/o/([\w-]+)/", m.body).group(1) for m in mail.outbox]  # type: ignore[union-attr]
    outcomes = race(tokens)
    assert len(outcomes) == 2
    assert sorted(o.booked is not None for o in outcomes) == [False, True]
    assert Appointment.objects.filter(status="booked").count() == 1
    assert sorted(WaitingOffer.objects.values_list("outcome", flat=True)) == ["booked", "taken"]
    assert sorted(WaitingListEntry.objects.values_list("status", flat=True)) == ["booked", "waiting"]


def test_the_same_link_twice_at_once_books_once(offered: Any) -> None:
    token = re.search(r"/a/o/([\w-]+)/", mail.outbox[0].body).group(1)  # type: ignore[union-attr]
    outcomes = race([token, token])
    assert Appointment.objects.filter(status="booked").count() == 1
    assert sum(isinstance(o, waiting.LinkUnavailable) for o in outcomes) == 1
