"""Strict parsers for configuration from the environment.

Every parser names the variable in its error, so a typo stops start-up with a message an operator can act on
(CONTRACTS §2: "Unknown or malformed values stop start-up with a message naming the variable").
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(ImproperlyConfigured):
    """A configuration variable is missing or malformed; the message names it."""


def env_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be one of true/false/1/0/yes/no/on/off, not {raw!r}.")


def env_int(name: str, *, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, not {value}.")
    return value


def env_choice(name: str, choices: Sequence[str], *, default: str) -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {raw!r}.")
    return value


def env_list(name: str, *, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


SQLITE_OPTIONS: dict[str, Any] = {
    # ARCHITECTURE.md "Databases" and TESTING.md: verified by reading the PRAGMAs back.
    "timeout": 20,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA foreign_keys=ON;PRAGMA busy_timeout=20000",
}


def parse_database_url(url: str, *, default_sqlite_path: Path) -> dict[str, Any]:
    """Turn ``DATABASE_URL`` into a Django ``DATABASES`` entry; empty means the embedded SQLite file."""
    if not url.strip():
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(default_sqlite_path),
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    import dj_database_url

    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url.strip(), conn_max_age=60, conn_health_checks=True))
    except Exception as exc:  # dj-database-url raises several types for a bad URL; all mean the same to an operator
        raise ConfigError(
            f"DATABASE_URL is malformed ({exc}); expected postgres://USER@HOST:PORT/NAME or sqlite:///PATH."
        ) from None
    engine = config.get("ENGINE", "")
    if engine == "django.db.backends.sqlite3":
        if not config.get("NAME") or config["NAME"] == ":memory:":
            raise ConfigError("DATABASE_URL names SQLite but no file path: use sqlite:////absolute/path.sqlite3.")
        config["OPTIONS"] = dict(SQLITE_OPTIONS)
        config.pop("CONN_MAX_AGE", None)
        config.pop("CONN_HEALTH_CHECKS", None)
    elif engine == "django.db.backends.postgresql":
        if not config.get("NAME"):
            raise ConfigError("DATABASE_URL names PostgreSQL but no database: use postgres://USER@HOST:PORT/NAME.")
    else:
        raise ConfigError(f"DATABASE_URL must be a postgres:// or sqlite:// URL, not the {engine or 'unknown'} engine.")
    return config
