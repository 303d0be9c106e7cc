"""The SQLite database, backups and the demo's secret key are created readable by their owner only (issue 13, defect
9c; security.md H10; OWASP ASVS 5.0 V13.3). Each test sets a typical umask (022) and stops any chmod afterwards, so
a file written world-readable and tightened later (the old behaviour) is caught."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from ketaclinic.config import create_private_file, private_sqlite_files
from tests.test_config import GOOD_KEY, start


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def typical_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def no_chmod_afterwards(typical_umask: None) -> Iterator[None]:
    """A file must be private from its creation: tightening it afterwards is switched off."""
    with mock.patch.object(Path, "chmod", lambda self, *args, **kwargs: None), mock.patch("os.chmod"):
        yield


def test_a_private_file_is_created_0600_and_an_existing_one_tightened(tmp_path: Path, typical_umask: None) -> None:
    new = tmp_path / "new"
    assert create_private_file(new) and mode(new) == 0o600
    old = tmp_path / "old"
    old.write_text("x")
    assert mode(old) == 0o644
    assert not create_private_file(old) and mode(old) == 0o600 and old.read_text() == "x"


def test_the_sqlite_database_and_its_wal_and_shm_are_0600(tmp_path: Path, no_chmod_afterwards: None) -> None:
    database = tmp_path / "clinic.sqlite3"
    private_sqlite_files(database)
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (x)")
        connection.execute("INSERT INTO t VALUES (1)")
        connection.commit()
        files = [database, tmp_path / "clinic.sqlite3-wal", tmp_path / "clinic.sqlite3-shm"]
        assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}
    finally:
        connection.close()


def test_start_up_creates_the_database_file_0600_before_django_connects(tmp_path: Path) -> None:
    """`ketaclinic serve` (production) and the demo: the settings create the embedded database file privately."""
    previous = os.umask(0o022)  # inherited by the child process
    try:
        result = start({"KETACLINIC_SECRET_KEY": GOOD_KEY, "KETACLINIC_CHAIN_KEY": "c" * 50}, tmp_path)
    finally:
        os.umask(previous)
    assert result.returncode == 0, result.stderr
    assert mode(tmp_path / "ketaclinic.sqlite3") == 0o600


def test_an_existing_database_and_companions_are_tightened(tmp_path: Path) -> None:
    database = tmp_path / "clinic.sqlite3"
    for path in (database, tmp_path / "clinic.sqlite3-wal"):
        path.write_bytes(b"")
        path.chmod(0o644)
    private_sqlite_files(database)
    assert mode(database) == 0o600 and mode(tmp_path / "clinic.sqlite3-wal") == 0o600


@pytest.mark.django_db(transaction=True)  # VACUUM INTO cannot run inside the test's transaction
def test_a_backup_is_created_0600(tmp_path: Path, no_chmod_afterwards: None) -> None:
    import shutil

    from django.db import connection

    from ketaclinic import backups

    if connection.vendor == "postgresql" and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    path = backups.backup(tmp_path / "clinic.backup")
    assert path.stat().st_size > 0 and mode(path) == 0o600


@pytest.mark.django_db(transaction=True)
def test_a_backup_copies_the_stored_files_and_a_restore_puts_back_the_missing_ones(
    tmp_path: Path, settings: Any, no_chmod_afterwards: None
) -> None:
    """Signed consent PDFs and scans live outside the database: a backup without them is not a backup."""
    import shutil

    from django.db import connection

    from ketaclinic import backups

    if connection.vendor == "postgresql" and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    stored = tmp_path / "documents"
    stored.mkdir()
    (stored / "a1b2.pdf").write_bytes(b"%PDF-1.7 signed consent")
    (stored / "c3d4.png").write_bytes(b"\x89PNG\r\n\x1a\n scan")
    settings.KETACLINIC_DOCUMENTS_DIR = stored
    path = backups.backup(tmp_path / "clinic.backup")
    copy = backups.documents_backup(path)
    assert sorted(p.name for p in copy.iterdir()) == ["a1b2.pdf", "c3d4.png"]
    assert (copy / "a1b2.pdf").read_bytes() == b"%PDF-1.7 signed consent" and mode(copy / "a1b2.pdf") == 0o600
    assert mode(copy) == 0o700
    # Restoring onto a machine that lost one file brings it back and leaves the other untouched.
    (stored / "c3d4.png").unlink()
    (stored / "a1b2.pdf").write_bytes(b"%PDF-1.7 signed consent")
    assert backups._copy_files(copy, stored) == 1
    assert (stored / "c3d4.png").read_bytes() == b"\x89PNG\r\n\x1a\n scan"
    assert backups._copy_files(tmp_path / "no-such-folder", stored) == 0


@pytest.mark.django_db
def test_a_failed_backup_leaves_no_file(tmp_path: Path) -> None:
    from ketaclinic import backups

    failing = mock.patch.object(backups, "_write_backup", side_effect=backups.BackupError("disk full"))
    with failing, pytest.raises(backups.BackupError):
        backups.backup(tmp_path / "clinic.backup")
    assert not (tmp_path / "clinic.backup").exists()


def test_the_demo_secret_key_is_created_0600(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_chmod_afterwards: None
) -> None:
    from ketaclinic import cli

    for name in ("KETACLINIC_ENVIRONMENT", "KETACLINIC_DATA_DIR", "KETACLINIC_SECRET_KEY", "DATABASE_URL"):
        value: Any = os.environ.get(name)
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)  # restored after the test
    cli._demo_environment(tmp_path / "demo")
    key_file = tmp_path / "demo" / "secret-key"
    assert mode(key_file) == 0o600 and len(key_file.read_text()) >= 50
    assert os.environ["KETACLINIC_SECRET_KEY"] == key_file.read_text().strip()
