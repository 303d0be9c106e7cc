"""`ketaclinic serve` as an operator runs it: gunicorn with several workers on PostgreSQL (issue 13, defect 1).

The master opens a connection for its migration check; before the fix every worker inherited that one socket, and
the first seconds after a start gave 5xx, failed sign-ins and hung requests. These tests start the real server.
"""

from __future__ import annotations

import concurrent.futures
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import sqlite_subprocess_only
from tests.test_cli import REPO, run, sqlite_env

WORKERS = 3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def production_env(database_url: str, data_dir: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "KETACLINIC_DATA_DIR": str(data_dir),
        "KETACLINIC_SECRET_KEY": "serve-test-" + "x" * 40,
        "KETACLINIC_CHAIN_KEY": "serve-test-chain-" + "y" * 40,
        "KETACLINIC_ALLOWED_HOSTS": "127.0.0.1",
        "KETACLINIC_SSL_REDIRECT": "false",
        "KETACLINIC_HSTS_SECONDS": "0",
        "KETACLINIC_ALLOW_CONSOLE_DELIVERY": "true",
    }


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    """Start `ketaclinic serve` in its own process group; its log goes to serve-PORT.log in the data directory."""
    log = Path(env["KETACLINIC_DATA_DIR"]) / f"serve-{port}.log"
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("KETACLINIC_", "DATABASE_URL"))}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    clean.update(env)
    with log.open("a") as log_file:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "ketaclinic", "serve", "--port", str(port), "--workers", str(WORKERS)],
            env=clean,
            cwd=REPO,
            stdout=log_file,
            stderr=log_file,
            text=True,
            start_new_session=True,
        )


def wait_for_port(port: int, *, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listened on port {port} within {seconds} s")


def stop_server(server: subprocess.Popen[str]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def worker_pids(master_pid: int) -> set[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return {int(pid) for pid in children.read_text().split()} if children.exists() else set()


def wait_for_workers(master_pid: int, *, seconds: float = 60) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        workers = worker_pids(master_pid)
        if len(workers) == WORKERS:
            return workers
        time.sleep(0.05)
    raise AssertionError(f"gunicorn did not start {WORKERS} workers within {seconds} s")


def get(url: str, token: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, TimeoutError, ConnectionError):
        return 599  # a dropped or hung connection counts as a server failure


@pytest.fixture
def postgres_clinic(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A migrated PostgreSQL database with a small seeded clinic and an API token, in its own database."""
    psycopg = pytest.importorskip("psycopg")
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        pytest.skip("`serve` on PostgreSQL runs in the PostgreSQL pass of `make test`")
    server = base.rsplit("/", 1)[0]
    name = f"kc_serve_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = f"{server}/{name}"
    env = production_env(url, tmp_path)
    try:
        setup = {"KETACLINIC_ENVIRONMENT": "test", "DATABASE_URL": url}
        assert run("manage", "migrate", "-v0", env=setup).returncode == 0
        assert run("seed", "--patients", "3", env=setup).returncode == 0
        token = run("token", "create", "seed0.prescriber", env=setup).stdout.strip()
        yield {"env": env, "token": token, "url": url, "name": name, "server": server}
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_each_worker_has_its_own_backend_and_a_burst_right_after_start_gets_no_5xx(
    postgres_clinic: dict[str, Any],
) -> None:
    import psycopg

    port = free_port()
    server = start_server(postgres_clinic["env"], port)
    try:
        wait_for_port(port)
        urls = [f"http://127.0.0.1:{port}/api/v1/patients/?q=Rivera", f"http://127.0.0.1:{port}/healthz"]
        with concurrent.futures.ThreadPoolExecutor(max_workers=24) as pool:
            statuses = list(pool.map(lambda i: get(urls[i % 2], postgres_clinic["token"]), range(120)))
        assert [status for status in statuses if status >= 500] == []
        assert set(statuses) == {200}, sorted(set(statuses))

        workers = worker_pids(server.pid)
        assert len(workers) == WORKERS
        with psycopg.connect(f"{postgres_clinic['server']}/postgres", autocommit=True) as connection:
            rows = connection.execute(
                "SELECT pid, application_name FROM pg_stat_activity WHERE datname = %s",
                (postgres_clinic["name"],),
            ).fetchall()
        labelled = [name for _, name in rows if name.startswith("ketaclinic-worker-")]
        owners = [int(name.rsplit("-", 1)[1]) for name in labelled]
        assert len(owners) >= 2, f"expected the workers' own backends, got {rows}"
        assert len(owners) == len(set(owners)), "a worker holds more than one backend"
        assert set(owners) <= workers, "a backend belongs to a process that is not a current worker"
    finally:
        stop_server(server)
    access_log = (Path(postgres_clinic["env"]["KETACLINIC_DATA_DIR"]) / f"serve-{port}.log").read_text()
    assert "/api/v1/patients/" in access_log  # the requests are logged ...
    assert "Rivera" not in access_log and "q=Rivera" not in access_log  # ... without the staff member's search


def test_serve_against_an_unreachable_database_says_so_in_one_line(tmp_path: Path) -> None:
    env = production_env("postgres://postgres@127.0.0.1:1/nowhere", tmp_path)
    result = run("serve", "--port", str(free_port()), env=env, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "cannot reach the database (PostgreSQL 127.0.0.1:1/nowhere)" in lines[0]


@sqlite_subprocess_only
def test_a_restart_after_the_master_is_killed_serves_again(tmp_path: Path) -> None:
    """The documented restart (docs/deploying.md): after SIGKILL of the master, starting again must listen and the
    orphaned workers must be gone."""
    database = tmp_path / "clinic.sqlite3"
    env = {**production_env("", tmp_path), **sqlite_env(database)}
    env.pop("DATABASE_URL", None)
    env["KETACLINIC_ENVIRONMENT"] = "production"
    assert run("manage", "migrate", "-v0", env={**env, "KETACLINIC_ENVIRONMENT": "test"}).returncode == 0
    port = free_port()
    first = start_server(env, port)
    try:
        wait_for_port(port)
        orphans = wait_for_workers(first.pid)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in orphans):
            time.sleep(0.1)
        assert not any(Path(f"/proc/{pid}/status").exists() and "zombie" not in zombie_state(pid) for pid in orphans)
        second = start_server(env, port)
        try:
            wait_for_port(port, seconds=30)
            assert get(f"http://127.0.0.1:{port}/healthz", "") == 200
        finally:
            stop_server(second)
    finally:
        stop_server(first)


def zombie_state(pid: int) -> str:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("State:"):
                return line.lower()
    except OSError:
        return "zombie"
    return ""
