"""Settings from the environment: strict, secure by default, and a bad value names its variable (CONTRACTS §2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ketaclinic.config import ConfigError, env_bool, env_choice, env_int, env_list, parse_database_url

REPO = Path(__file__).resolve().parent.parent


def start(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Start the real settings in a fresh interpreter, as `ketaclinic serve` would."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("KETACLINIC_", "DATABASE_URL"))}
    clean.update({"DJANGO_SETTINGS_MODULE": "ketaclinic.settings", "KETACLINIC_DATA_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-m", "ketaclinic", "manage", "check"],
        env=clean,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


GOOD_KEY = "k" * 50
GOOD_CHAIN_KEY = "c" * 50


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "KETACLINIC_SECRET_KEY"),
        ({"KETACLINIC_SECRET_KEY": "short"}, "KETACLINIC_SECRET_KEY"),
        ({"KETACLINIC_SECRET_KEY": GOOD_KEY, "DATABASE_URL": "nonsense"}, "DATABASE_URL"),
        ({"KETACLINIC_SECRET_KEY": GOOD_KEY, "DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL"),
        ({"KETACLINIC_SECRET_KEY": GOOD_KEY, "DATABASE_URL": "postgres://u@h:5432/"}, "DATABASE_URL"),
        ({"KETACLINIC_SECRET_KEY": GOOD_KEY, "KETACLINIC_DEBUG": "maybe"}, "KETACLINIC_DEBUG"),
        ({"KETACLINIC_SECRET_KEY": GOOD_KEY, "KETACLINIC_IDLE_TIMEOUT_MIN": "0"}, "KETACLINIC_IDLE_TIMEOUT_MIN"),
        ({"KETACLINIC_ENVIRONMENT": "staging"}, "KETACLINIC_ENVIRONMENT"),
        ({"KETACLINIC_SECRET_KEY": GOOD_KEY}, "KETACLINIC_CHAIN_KEY"),  # required in production (issue 13)
        ({"KETACLINIC_SECRET_KEY": GOOD_KEY, "KETACLINIC_CHAIN_KEY": "short"}, "KETACLINIC_CHAIN_KEY"),
        ({"KETACLINIC_SECRET_KEY": GOOD_KEY, "KETACLINIC_CHAIN_KEY": GOOD_KEY}, "KETACLINIC_CHAIN_KEY"),
        ({"KETACLINIC_SECRET_KEY": GOOD_KEY, "KETACLINIC_CHAIN_KEY_FILE": "/nonexistent"}, "KETACLINIC_CHAIN_KEY_FILE"),
    ],
)
def test_bad_configuration_stops_start_up_naming_the_variable(env: dict[str, str], named: str, tmp_path: Path) -> None:
    result = start(env, tmp_path)
    assert result.returncode == 2, result.stderr
    assert named in result.stderr
    assert "Traceback" not in result.stderr


def test_good_production_configuration_starts(tmp_path: Path) -> None:
    result = start({"KETACLINIC_SECRET_KEY": GOOD_KEY, "KETACLINIC_CHAIN_KEY": GOOD_CHAIN_KEY}, tmp_path)
    assert result.returncode == 0, result.stderr


def test_the_chain_key_can_come_from_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "chain-key"
    key_file.write_text(GOOD_CHAIN_KEY + "\n")
    result = start({"KETACLINIC_SECRET_KEY": GOOD_KEY, "KETACLINIC_CHAIN_KEY_FILE": str(key_file)}, tmp_path)
    assert result.returncode == 0, result.stderr


def test_production_defaults_are_the_safe_ones() -> None:
    from ketaclinic import settings

    assert settings.ENVIRONMENT == "test"  # the suite runs in test mode; the production branch is checked below
    source = (REPO / "ketaclinic" / "settings.py").read_text()
    for line in ("SESSION_COOKIE_SECURE = True", "CSRF_COOKIE_SECURE = True", "SECURE_HSTS_INCLUDE_SUBDOMAINS = True"):
        assert line in source
    assert settings.DEBUG is False
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE == 12 * 3600 and settings.KETACLINIC_IDLE_TIMEOUT_S == 15 * 60


def test_sqlite_is_tuned_as_the_architecture_says(db: object) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert cursor.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] == 20000
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_parsers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("X_BOOL", "Yes")
    assert env_bool("X_BOOL", default=False) is True
    monkeypatch.setenv("X_INT", "12")
    assert env_int("X_INT", default=1, low=1, high=20) == 12
    monkeypatch.setenv("X_INT", "twelve")
    with pytest.raises(ConfigError, match="X_INT"):
        env_int("X_INT", default=1, low=1, high=20)
    monkeypatch.setenv("X_LIST", "a.example, b.example,,")
    assert env_list("X_LIST", default=[]) == ["a.example", "b.example"]
    assert env_choice("X_UNSET", ("a", "b"), default="a") == "a"
    sqlite = parse_database_url("", default_sqlite_path=tmp_path / "db.sqlite3")
    assert sqlite["ENGINE"].endswith("sqlite3") and sqlite["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    postgres = parse_database_url("postgres://u:p@db:5432/clinic", default_sqlite_path=tmp_path / "x")
    assert (postgres["NAME"], postgres["HOST"]) == ("clinic", "db")
    assert (
        parse_database_url(f"sqlite:///{tmp_path}/y.sqlite3", default_sqlite_path=tmp_path)["OPTIONS"]["timeout"] == 20
    )
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        parse_database_url("sqlite://", default_sqlite_path=tmp_path)
