"""The `ketaclinic` command end to end, in fresh interpreters as an operator would run it (CONTRACTS §2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import sqlite_subprocess_only

REPO = Path(__file__).resolve().parent.parent


def run(
    *args: str, env: dict[str, str] | None = None, timeout: int = 300, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("KETACLINIC_", "DATABASE_URL"))}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    clean.update(env or {})
    return subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "ketaclinic", *args],
        env=clean,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


@sqlite_subprocess_only
def test_demo_sets_up_once_and_writes_the_credentials(tmp_path: Path) -> None:
    result = run("demo", "--data-dir", str(tmp_path), "--no-serve", "--port", "8123")
    assert result.returncode == 0, result.stderr
    credentials = json.loads((tmp_path / "demo-credentials.json").read_text())
    assert credentials["url"] == "http://127.0.0.1:8123/"
    roles = {user["role"] for user in credentials["users"]}
    assert roles == {"front_desk", "nurse", "prescriber", "clinic_admin"}
    by_role = {user["role"]: user for user in credentials["users"]}
    assert by_role["front_desk"]["totp_secret"] is None  # the demo relaxes MFA for front desk only
    assert all(len(user["totp_secret"]) >= 32 for user in credentials["users"] if user["role"] != "front_desk")
    assert "frontdesk" in result.stdout and "prescriber" in result.stdout
    # Two demo patients with upcoming appointments sign in to the patient portal (CONTRACTS.md §7).
    patients = credentials["patients"]
    assert len(patients) == 2 and {"mrn", "name", "email", "date_of_birth"} <= set(patients[0])
    assert all("@" in p["email"] for p in patients) and "Patient portal" in result.stdout

    again = run("demo", "--data-dir", str(tmp_path), "--no-serve", "--port", "8123")
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp_path / "demo-credentials.json").read_text())["users"] == credentials["users"]
    assert "Loading the demo clinic" not in again.stdout

    # Maintenance commands work on the demo directory with no hand-set environment (issue 15).
    for command in (("audit", "verify"), ("ledger", "verify"), ("manage", "check")):
        done = run("--data-dir", str(tmp_path), *command)
        assert done.returncode == 0, (command, done.stderr)
    assert "audit chain intact" in run("--data-dir", str(tmp_path), "audit", "verify").stdout
    # One secure-message thread for the first demo portal patient (CONTRACTS.md §7).
    count = (
        "from ketaclinic.portal.models import Message; print(Message.objects.filter(thread__patient__mrn='{}').count())"
    )
    shown = run("--data-dir", str(tmp_path), "manage", "shell", "-c", count.format(patients[0]["mrn"]))
    assert shown.returncode == 0 and shown.stdout.split()[-1] == "3", (shown.stdout, shown.stderr)
    jobs = run("--data-dir", str(tmp_path), "jobs", "--once", "--base-url", "http://127.0.0.1:8123/")
    assert jobs.returncode == 0, jobs.stderr
    assert "alerts escalated" in jobs.stdout or "alert escalated" in jobs.stdout
    assert "already issued" in jobs.stdout or "issued" in jobs.stdout
    # Without the flag, from the directory that holds the demo's default `demo-data/`: the same discovery as `demo`.
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "demo-data").symlink_to(tmp_path)
    found = run("audit", "verify", cwd=tmp_path / "home")
    assert found.returncode == 0, found.stderr
    assert "using the demo clinic" in found.stderr

    reset = run("demo", "--data-dir", str(tmp_path), "--no-serve", "--reset")
    assert reset.returncode == 0, reset.stderr
    assert json.loads((tmp_path / "demo-credentials.json").read_text())["users"] != credentials["users"]


def test_data_dir_must_exist_and_jobs_need_a_positive_interval(tmp_path: Path) -> None:
    missing = run("--data-dir", str(tmp_path / "nowhere"), "audit", "verify")
    assert missing.returncode == 2 and "no such directory" in missing.stderr
    bad = run("jobs", "--every", "0", env=sqlite_env(tmp_path / "db.sqlite3"))
    assert bad.returncode == 2 and "--every must be more than 0" in bad.stderr


def sqlite_env(path: Path) -> dict[str, str]:
    return {
        "KETACLINIC_ENVIRONMENT": "test",
        "DATABASE_URL": f"sqlite:///{path}",
        "KETACLINIC_DATA_DIR": str(path.parent),
    }


def patient_count(env: dict[str, str]) -> int:
    result = run(
        "manage",
        "shell",
        "--no-imports",
        "-c",
        "from ketaclinic.patients.models import Patient; print(Patient.objects.count())",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip())


@sqlite_subprocess_only
def test_seed_backup_and_restore_round_trip_on_sqlite(tmp_path: Path) -> None:
    source = sqlite_env(tmp_path / "clinic.sqlite3")
    assert run("manage", "migrate", "-v0", env=source).returncode == 0
    seeded = run("seed", "--patients", "25", "--seed", "3", env=source)
    assert seeded.returncode == 0, seeded.stderr
    assert "seeded 25 patients" in seeded.stdout
    backup = tmp_path / "backup.sqlite3"
    result = run("backup", str(backup), env=source)
    assert result.returncode == 0, result.stderr
    assert run("backup", str(backup), env=source).returncode == 1  # never overwrites a backup

    target = sqlite_env(tmp_path / "restored.sqlite3")
    result = run("restore", str(backup), env=target)
    assert result.returncode == 0, result.stderr
    assert patient_count(target) == patient_count(source) == 25
    verified = run("audit", "verify", env=target)
    assert verified.returncode == 0 and "intact" in verified.stdout
    refused = run("restore", str(backup), env=target)
    assert refused.returncode == 1 and "not empty" in refused.stderr


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("hello")
    result = run("restore", str(junk), env=sqlite_env(tmp_path / "empty.sqlite3"))
    assert result.returncode == 1 and "not a ketaclinic SQLite backup" in result.stderr


@pytest.fixture
def postgres_databases() -> Any:
    psycopg = pytest.importorskip("psycopg")
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        pytest.skip("the PostgreSQL round trip runs in the PostgreSQL pass of `make test`")
    server = base.rsplit("/", 1)[0]
    names = [f"kc_backup_{uuid.uuid4().hex[:8]}_{side}" for side in ("src", "dst")]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        for name in names:
            connection.execute(f'CREATE DATABASE "{name}"')
    yield [f"{server}/{name}" for name in names]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        for name in names:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_and_restore_round_trip_on_postgresql(postgres_databases: list[str], tmp_path: Path) -> None:
    source = {"KETACLINIC_ENVIRONMENT": "test", "DATABASE_URL": postgres_databases[0]}
    target = {"KETACLINIC_ENVIRONMENT": "test", "DATABASE_URL": postgres_databases[1]}
    assert run("manage", "migrate", "-v0", env=source).returncode == 0
    assert run("seed", "--patients", "10", env=source).returncode == 0
    backup = tmp_path / "clinic.dump"
    result = run("backup", str(backup), env=source)
    assert result.returncode == 0, result.stderr
    result = run("restore", str(backup), env=target)
    assert result.returncode == 0, result.stderr
    assert patient_count(target) == 10
    assert run("audit", "verify", env=target).returncode == 0


@sqlite_subprocess_only
def test_token_create_prints_a_token_that_works(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path / "clinic.sqlite3")
    assert run("manage", "migrate", "-v0", env=env).returncode == 0
    assert run("seed", "--patients", "3", env=env).returncode == 0
    result = run("token", "create", "seed0.prescriber", "--name", "lab import", env=env)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    check = run(
        "manage",
        "shell",
        "--no-imports",
        "-c",
        f"from ketaclinic.accounts.services import authenticate_token; print(authenticate_token('{token}'))",
        env=env,
    )
    assert check.stdout.strip() == "seed0.prescriber"
    missing = run("token", "create", "nobody", env=env)
    assert missing.returncode == 1 and "no user named 'nobody'" in missing.stderr


def test_bad_usage_is_refused_cleanly(tmp_path: Path) -> None:
    result = run("seed", "--patients", "0", env=sqlite_env(tmp_path / "x.sqlite3"))
    assert result.returncode == 2 and "--patients" in result.stderr
    assert run("no-such-command").returncode == 2
