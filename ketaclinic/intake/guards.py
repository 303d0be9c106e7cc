"""A database trigger that keeps a signed eligibility decision locked ("signed means locked", ARCHITECTURE.md).

The service never updates a decision's content; this makes the database refuse it too, on PostgreSQL and SQLite:
an UPDATE that changes any signed column, or that takes back an entered-in-error mark, is aborted. Marking a decision
entered in error (the only change a decision may see) still works. Rows are never deleted by the application; a
DELETE guard is left out so the test suite can flush the table between transactional tests.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "intake_eligibilitydecision"
TRIGGER = "intake_decision_signed_is_locked"
LOCKED_COLUMNS = (
    "patient_id",
    "assessment_id",
    "version",
    "supersedes_id",
    "indication",
    "routes",
    "outcome",
    "conditions_text",
    "findings",
    "overrides",
    "amendment_reason",
    "signed_by_id",
    "signed_at",
)
MESSAGE = "a signed eligibility decision is locked: sign a new version instead"


def _sqlite_statements() -> list[str]:
    changed = " OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in LOCKED_COLUMNS)
    return [
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGER} BEFORE UPDATE ON {TABLE} FOR EACH ROW "
        f"WHEN {changed} OR (OLD.entered_in_error AND NOT NEW.entered_in_error) "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    ]


def _postgres_statements() -> list[str]:
    new = ", ".join(f"NEW.{column}" for column in LOCKED_COLUMNS)
    old = ", ".join(f"OLD.{column}" for column in LOCKED_COLUMNS)
    return [
        f"CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger AS $$ BEGIN "
        f"IF ROW({new}) IS DISTINCT FROM ROW({old}) OR (OLD.entered_in_error AND NOT NEW.entered_in_error) THEN "
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
