"""Database guards that make a table append-only: a trigger on PostgreSQL and on SQLite.

They stop UPDATE and DELETE from the application and from anyone using its connection; an operator with owner rights
could still drop them, which is why the rows are also hash-chained and verified.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper


def _sqlite_statements(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
    ]


def _postgres_statements(table: str) -> list[str]:
    return [
        "CREATE OR REPLACE FUNCTION ketaclinic_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql",
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION ketaclinic_append_only()",
    ]


def install(connection: BaseDatabaseWrapper, table: str) -> None:
    statements = _postgres_statements(table) if connection.vendor == "postgresql" else _sqlite_statements(table)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def remove(connection: BaseDatabaseWrapper, table: str) -> None:
    """Only for the test suite's database flush between transactional tests, and for migrations."""
    if connection.vendor == "postgresql":
        statements = [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"]
    else:
        statements = [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


# Every append-only table; tests/conftest.py keeps all of them guarded. Each app's migration installs its own.
APPEND_ONLY_TABLES = ["audit_auditevent", "ledger_ledgerentry"]
