"""Database guards that make a table append-only: a trigger on PostgreSQL and on SQLite.

They stop UPDATE and DELETE from the application and from anyone using its connection, and on PostgreSQL also
TRUNCATE (a statement-level trigger: TRUNCATE fires no row triggers; SQLite has no TRUNCATE). An operator with owner
rights could still drop them, which is why the rows are also hash-chained with a key kept outside the database and
anchored by off-site checkpoints (issue 13; knowledge/security.md H5; controlled-substances.md invariant 9).
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
        *_postgres_truncate_statements(table),
    ]


def _postgres_truncate_statements(table: str) -> list[str]:
    return [
        "CREATE OR REPLACE FUNCTION ketaclinic_no_truncate() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION ketaclinic_no_truncate()",
    ]


def install(connection: BaseDatabaseWrapper, table: str) -> None:
    statements = _postgres_statements(table) if connection.vendor == "postgresql" else _sqlite_statements(table)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def remove(connection: BaseDatabaseWrapper, table: str) -> None:
    """Only for the test suite's database flush between transactional tests, and for migrations."""
    if connection.vendor == "postgresql":
        statements = [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        ]
    else:
        statements = [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install_truncate_guard(connection: BaseDatabaseWrapper, table: str) -> None:
    """For the migrations that add the TRUNCATE guard to tables guarded before it existed (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for sql in _postgres_truncate_statements(table):
            cursor.execute(sql)


def remove_truncate_guard(connection: BaseDatabaseWrapper, table: str) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")


# Every append-only table; tests/conftest.py keeps all of them guarded. Each app's migration installs its own.
APPEND_ONLY_TABLES = ["audit_auditevent", "ledger_ledgerentry"]
