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

from dataclasses import dataclass
from typing import TypeVar

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

M = TypeVar("M", bound=models.Model)


def lock(rows: type[M] | models.QuerySet[M]) -> models.QuerySet[M]:
    """Lock the rows selected from ``rows`` (a model or a queryset) until commit: only those rows, never the rows
    joined by ``select_related``."""
    queryset = rows._default_manager.all() if isinstance(rows, type) else rows
    return queryset.select_for_update(no_key=True, of=("self",))


@dataclass(frozen=True)
class SignedRowLock:
    """A database trigger that keeps a signed row locked ("signed means locked", ARCHITECTURE.md), on PostgreSQL and
    SQLite: an UPDATE that changes any of ``columns``, or takes back an ``entered_in_error`` mark, is aborted with
    ``message``. Marking the row entered in error (the one change a signed row may see) still works. ``applies_when``
    is an SQL condition on ``OLD`` for rows that lock only once signed (``OLD.status = 'signed'``); empty means every
    row is signed when written. No DELETE guard: rows are never deleted by the application, and the test suite
    flushes tables between transactional tests."""

    table: str
    trigger: str
    columns: tuple[str, ...]
    message: str
    applies_when: str = ""

    def _guarded(self, changed: str) -> str:
        condition = f"{changed} OR (OLD.entered_in_error AND NOT NEW.entered_in_error)"
        return f"{self.applies_when} AND ({condition})" if self.applies_when else condition

    def statements(self, vendor: str) -> list[str]:
        if vendor == "postgresql":
            new = ", ".join(f"NEW.{column}" for column in self.columns)
            old = ", ".join(f"OLD.{column}" for column in self.columns)
            return [
                f"CREATE OR REPLACE FUNCTION {self.trigger}() RETURNS trigger AS $$ BEGIN "
                f"IF {self._guarded(f'ROW({new}) IS DISTINCT FROM ROW({old})')} THEN "
                f"RAISE EXCEPTION '{self.message}'; END IF; RETURN NEW; END; $$ LANGUAGE plpgsql",
                f"DROP TRIGGER IF EXISTS {self.trigger} ON {self.table}",
                f"CREATE TRIGGER {self.trigger} BEFORE UPDATE ON {self.table} FOR EACH ROW "
                f"EXECUTE FUNCTION {self.trigger}()",
            ]
        changed = " OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in self.columns)
        return [
            f"CREATE TRIGGER IF NOT EXISTS {self.trigger} BEFORE UPDATE ON {self.table} FOR EACH ROW "
            f"WHEN {self._guarded(changed)} BEGIN SELECT RAISE(ABORT, '{self.message}'); END"
        ]

    def install(self, connection: BaseDatabaseWrapper) -> None:
        with connection.cursor() as cursor:
            for sql in self.statements(connection.vendor):
                cursor.execute(sql)

    def remove(self, connection: BaseDatabaseWrapper) -> None:
        if connection.vendor == "postgresql":
            statements = [
                f"DROP TRIGGER IF EXISTS {self.trigger} ON {self.table}",
                f"DROP FUNCTION IF EXISTS {self.trigger}()",
            ]
        else:
            statements = [f"DROP TRIGGER IF EXISTS {self.trigger}"]
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
