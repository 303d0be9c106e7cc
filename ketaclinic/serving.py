"""``ketaclinic serve``: gunicorn on the configured database, safe to fork.

Each worker must own its database connections. gunicorn forks its workers from the master, and anything the master
opened (the migration check, ``collectstatic``) would otherwise be inherited: every worker then talks to PostgreSQL
over the *same* socket, interleaving protocol messages (5xx, hung requests, writes committed but answered 500). So:

- the master closes every connection before it forks (``pre_fork``, which also runs before a killed worker is
  replaced), and
- each worker forgets any connection object it inherited *without* closing it (closing would send a Terminate
  message down a socket the master still owns) and names its own connections ``ketaclinic-worker-<pid>``
  (``application_name``, visible in ``pg_stat_activity``), so an operator can see that every worker has its own
  backend;
- each worker asks the kernel to stop it if the master dies (``PR_SET_PDEATHSIG``), and the listening socket is
  opened with ``SO_REUSEPORT``: after the master is killed with SIGKILL, a restart binds at once instead of finding the
  port held by orphaned workers (docs/deploying.md also ships a systemd unit with ``KillMode=control-group``).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from typing import Any

WORKER_APPLICATION_NAME = "ketaclinic-worker-{pid}"
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class DatabaseUnreachable(Exception):
    """The configured database cannot be reached: the operator gets one line, not a traceback."""


def check_database_ready() -> None:
    """Connect once, refuse pending migrations, then close: the master must not keep a connection into the fork."""
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor
    from django.db.utils import Error as DatabaseError

    connection = connections["default"]
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        raise DatabaseUnreachable(f"cannot reach the database ({describe_database()}): {first_line(exc)}") from None
    finally:
        connections.close_all()
    if pending:
        raise PendingMigrations("the database has unapplied migrations: run `ketaclinic manage migrate` first")


class PendingMigrations(Exception):
    pass


def describe_database() -> str:
    """Where the default database is, without its password."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"SQLite file {settings_dict['NAME']}"
    host = settings_dict.get("HOST") or "localhost"
    port = settings_dict.get("PORT") or "5432"
    return f"PostgreSQL {host}:{port}/{settings_dict['NAME']}"


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def close_connections_before_fork(server: Any = None, worker: Any = None) -> None:
    """gunicorn ``pre_fork`` (in the master): nothing the master opened may be inherited by a worker."""
    from django.db import connections

    connections.close_all()


def own_connections_after_fork(server: Any = None, worker: Any = None) -> None:
    """gunicorn ``post_fork`` (in the new worker): drop inherited connection objects without touching their sockets,
    label this worker's future connections, and die with the master."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.connection = None  # not close(): that would terminate a backend someone else may be using
    for alias in connections:
        settings_dict = connections[alias].settings_dict
        if settings_dict["ENGINE"].endswith("postgresql"):
            options = settings_dict.setdefault("OPTIONS", {})
            options["application_name"] = WORKER_APPLICATION_NAME.format(pid=os.getpid())
    die_with_parent()


def die_with_parent() -> None:
    """Ask Linux to send SIGTERM to this process when its parent (the gunicorn master) dies; elsewhere a no-op
    (gunicorn's own parent-pid check still stops the worker within its timeout)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return


def run_gunicorn(*, host: str, port: int, workers: int, application: Any) -> int:
    """Serve ``application`` with gunicorn and the fork-safety hooks above; returns when gunicorn stops."""
    from gunicorn.app.base import BaseApplication

    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "accesslog": "-",
        "logger_class": "ketaclinic.access_log.RedactingLogger",  # no query strings, tokens or cookies in the log
        "forwarded_allow_ips": "127.0.0.1",
        "reuse_port": True,
        "pre_fork": close_connections_before_fork,
        "post_fork": own_connections_after_fork,
    }

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for name, value in options.items():
                self.cfg.set(name, value)

        def load(self) -> Any:
            return application

    close_connections_before_fork()
    Server().run()
    return 0
