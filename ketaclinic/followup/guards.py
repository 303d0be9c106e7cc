"""A database trigger that keeps a signed progress letter locked ("signed means locked", ARCHITECTURE.md), as for
signed eligibility decisions (``intake/guards.py``).

The service never changes a signed letter; this makes the database refuse it too, on PostgreSQL and SQLite: an UPDATE
of a signed letter that changes what it says, whom it is to, who signed it, when, or its PDF, or that takes back an
entered-in-error mark, is aborted. Marking it entered in error still works. No DELETE guard (the test suite flushes).
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "followup_progressletter"
TRIGGER = "followup_signed_letter_is_locked"
LOCKED_COLUMNS = (
    "patient_id",
    "status",
    "recipient_name",
    "recipient_npi",
    "recipient_contact",
    "plan_text",
    "content",
    "signed_by_id",
    "signed_at",
    "document_id",
)
MESSAGE = "a signed progress letter is locked: write a new letter instead"


def _sqlite_statements() -> list[str]:
    changed = " OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in LOCKED_COLUMNS)
    return [
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGER} BEFORE UPDATE ON {TABLE} FOR EACH ROW "
        f"WHEN OLD.status = 'signed' AND ({changed} OR (OLD.entered_in_error AND NOT NEW.entered_in_error)) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    ]


def _postgres_statements() -> list[str]:
    new = ", ".join(f"NEW.{column}" for column in LOCKED_COLUMNS)
    old = ", ".join(f"OLD.{column}" for column in LOCKED_COLUMNS)
    return [
        f"CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger AS $$ BEGIN "
        f"IF OLD.status = 'signed' AND (ROW({new}) IS DISTINCT FROM ROW({old}) "
        f"OR (OLD.entered_in_error AND NOT NEW.entered_in_error)) THEN "
        f"RAISE EXCEPTION '{MESSAGE}'; END IF; RETURN NEW; END; $$ LANGUAGE plpgsql",
        f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}",
        f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON {TABLE} FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()",
    ]


def install(connection: BaseDatabaseWrapper) -> None:
    statements = _postgres_statements() if connection.vendor == "postgresql" else _sqlite_statements()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def remove(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor == "postgresql":
        statements = [f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}", f"DROP FUNCTION IF EXISTS {TRIGGER}()"]
    else:
        statements = [f"DROP TRIGGER IF EXISTS {TRIGGER}"]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
