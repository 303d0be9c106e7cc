"""The server and the database of the load benchmark (benchmarks/load.py): ports, environment, processes."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

import gevent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            gevent.sleep(0.05)
    return False


def environment(database: str, data_dir: Path, pg_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KETACLINIC_") and k != "DATABASE_URL"}
    env.update(
        KETACLINIC_ENVIRONMENT="production",
        KETACLINIC_DATA_DIR=str(data_dir),
        KETACLINIC_SECRET_KEY=secrets.token_urlsafe(50),
        KETACLINIC_CHAIN_KEY=secrets.token_urlsafe(50),
        KETACLINIC_ALLOWED_HOSTS="127.0.0.1",
        KETACLINIC_SSL_REDIRECT="false",
        KETACLINIC_HSTS_SECONDS="0",
        KETACLINIC_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",  # nothing leaves the machine
    )
    if database == "postgres":
        env["DATABASE_URL"] = pg_url
    return env


def fresh_postgres(url: str) -> None:
    base, _, name = url.rpartition("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"unexpected database name {name!r}")
    for sql in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", f"{base}/postgres", "-qc", sql], check=True, timeout=60)  # noqa: S603, S607


def postgres_reachable(url: str) -> bool:
    base = url.rpartition("/")[0]
    try:
        done = subprocess.run(  # noqa: S603
            ["psql", f"{base}/postgres", "-qtAc", "select 1"],  # noqa: S607
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def worker_pids(master: int) -> list[int]:
    try:
        return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        return []


def server_cpu_seconds(master: int) -> float:
    """CPU time of the server so far: the master with its reaped children (a killed worker too) and the live workers."""
    tick = os.sysconf("SC_CLK_TCK")

    def fields(pid: int) -> list[str]:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return []

    own = fields(master)
    total = sum(int(value) for value in own[11:15]) if own else 0  # utime, stime, cutime, cstime
    for pid in worker_pids(master):
        worker = fields(pid)
        total += sum(int(value) for value in worker[11:13]) if worker else 0
    return total / tick


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the server's own process group (started with a new session)
            proc.wait(timeout=10)
