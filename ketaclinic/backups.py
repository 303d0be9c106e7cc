"""Consistent online backup and restore (knowledge/security.md H13; ARCHITECTURE.md "Databases").

SQLite: ``VACUUM INTO`` writes a consistent copy while the clinic keeps working (never copy the live file in WAL
mode); restore copies it into an empty database with the sqlite3 backup API. PostgreSQL: ``pg_dump -Fc`` and
``pg_restore`` into an empty database. Both are audited, and a restore is refused unless the target is empty and the
restored audit chain verifies.

Stored files (signed consent PDFs, scans, uploaded documents) live outside the database, in
``KETACLINIC_DOCUMENTS_DIR``: the backup copies them into a folder beside the database copy, ``<PATH>.documents/``,
after the database copy is taken. Those files are written before the row that names them commits and are never changed
or deleted, so every file the database copy names is already there to copy. Restore copies them back (a file already
present with the same name is left alone: names are random and files never change).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import connection

from ketaclinic.audit import services as audit
from ketaclinic.config import PRIVATE_FILE_MODE, create_private_file


class BackupError(Exception):
    pass


def _pg_env() -> tuple[list[str], dict[str, str]]:
    settings = connection.settings_dict
    args = [
        "-h",
        settings.get("HOST") or "127.0.0.1",
        "-p",
        str(settings.get("PORT") or 5432),
        "-U",
        settings.get("USER") or "postgres",
    ]
    env = dict(os.environ)
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    return args, env


def backup(path: Path) -> Path:
    path = path.resolve()
    if path.exists():
        raise BackupError(f"{path} already exists; choose a new file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    audit.record(actor=None, action="backup.create", detail={"path": str(path), "vendor": connection.vendor})
    # A backup holds every patient's record: created 0600 (owner only) before anything is written into it; VACUUM
    # INTO accepts an empty file and pg_dump keeps an existing file's mode (issue 13, defect 9c; security.md H10).
    create_private_file(path)
    try:
        _write_backup(path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    path.chmod(PRIVATE_FILE_MODE)
    copied = _copy_files(Path(settings.KETACLINIC_DOCUMENTS_DIR), documents_backup(path))
    audit.record(actor=None, action="backup.files", detail={"path": str(documents_backup(path)), "files": copied})
    return path


def documents_backup(path: Path) -> Path:
    """Where the backup at ``path`` keeps its copy of the stored files."""
    return path.with_name(path.name + ".documents")


def _copy_files(source: Path, target: Path) -> int:
    """Copy every stored file from ``source`` into ``target`` (created 0700, files 0600); existing names are kept."""
    if not source.is_dir():
        return 0
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    copied = 0
    for item in sorted(source.iterdir()):
        destination = target / item.name
        if not item.is_file() or destination.exists():
            continue
        create_private_file(destination)
        shutil.copyfile(item, destination)
        destination.chmod(PRIVATE_FILE_MODE)
        copied += 1
    return copied


def _write_backup(path: Path) -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(path)])
    elif connection.vendor == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise BackupError("pg_dump is not installed (Debian: apt-get install postgresql-client)")
        args, env = _pg_env()
        result = subprocess.run(  # noqa: S603 (pg_dump/pg_restore from PATH; arguments from settings)
            [pg_dump, "-Fc", *args, "-f", str(path), connection.settings_dict["NAME"]],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    else:  # pragma: no cover - settings refuse other engines
        raise BackupError(f"backups are not supported on {connection.vendor}")


def _is_empty() -> bool:
    tables = connection.introspection.table_names()
    if "audit_auditevent" not in tables:
        return not tables
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM audit_auditevent")
        (events,) = cursor.fetchone()
    return events == 0 and not _has_users()


def _has_users() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM accounts_user")
        (users,) = cursor.fetchone()
    return bool(users)


def restore(path: Path) -> None:
    path = path.resolve()
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    if not _is_empty():
        raise BackupError("the target database is not empty: restore only into a new, empty database")
    if connection.vendor == "sqlite":
        try:
            source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            source.execute("SELECT COUNT(*) FROM audit_auditevent").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path} is not a ketaclinic SQLite backup ({exc})") from None
        connection.close()
        target = sqlite3.connect(connection.settings_dict["NAME"])
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
    elif connection.vendor == "postgresql":
        pg_restore = shutil.which("pg_restore")
        if pg_restore is None:
            raise BackupError("pg_restore is not installed (Debian: apt-get install postgresql-client)")
        connection.close()
        args, env = _pg_env()
        # An empty database may still hold the schema (after `migrate`): --clean replaces it with the backup's.
        result = subprocess.run(  # noqa: S603 (pg_dump/pg_restore from PATH; arguments from settings)
            [
                pg_restore,
                "--clean",
                "--if-exists",
                "--no-owner",
                *args,
                "-d",
                connection.settings_dict["NAME"],
                str(path),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()[:2000]}")
    broken = audit.verify()
    if broken is not None:
        raise BackupError(f"restored, but the audit chain does not verify: {broken}")
    files = _copy_files(documents_backup(path), Path(settings.KETACLINIC_DOCUMENTS_DIR))
    audit.record(actor=None, action="backup.restore", detail={"path": str(path), "files": files})
