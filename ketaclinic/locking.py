"""Row locks for writers, and the one order in which they are taken (issue 13, defect 4: deadlocks on PostgreSQL).

``lock(Model)`` / ``lock(queryset)`` is ``select_for_update(no_key=True, of=("self",))``:

- ``of=("self",)`` locks only the rows of the model queried. A plain ``select_for_update()`` with ``select_related``
  also locks every joined row: a chair's vitals locked the patient and the location, a ledger write locked the
  location and the clinic through its container, and the two deadlocked at the chair.
- ``no_key=True`` (``FOR NO KEY UPDATE``) still excludes every other writer of the same row, but not the ``KEY
  SHARE`` lock PostgreSQL takes on a parent row when a child row referencing it is inserted. Our writers never change
  a primary key, so inserting a vital sign for a locked session, or a ledger entry for a locked patient, need not
  wait on that lock (and cannot close a cycle through it).

SQLite ignores row locks (its write transactions are serialised by ``BEGIN IMMEDIATE``), so this is PostgreSQL-only
behaviour; tests/infusions/test_lock_order.py races the writers there with real threads.

The order, outermost first. A transaction takes the locks it needs in this order and never goes back up:

1. patient (one active session or intake draft per patient);
2. clinical records of that patient: treatment plan → plan version → session order → treatment session →
   the session's own rows (alerts, side effects), intake assessment, eligibility decision;
3. controlled-substance containers, by primary key ascending (``ledger.services.chain.lock_containers``);
4. the location, when a booking needs its calendar to itself (``scheduling.services.booking.book``: the last free
   chair and the nurse ratio are checked with the location locked);
5. the ledger chain head;
6. the audit chain head, last of all: ``audit.services.record`` takes it, and a service records its audit event
   after its other writes.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def lock(rows: type[M] | models.QuerySet[M]) -> models.QuerySet[M]:
    """Lock the rows selected from ``rows`` (a model or a queryset) until commit: only those rows, never the rows
    joined by ``select_related``."""
    queryset = rows._default_manager.all() if isinstance(rows, type) else rows
    return queryset.select_for_update(no_key=True, of=("self",))
