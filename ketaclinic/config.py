"""Strict parsers for configuration from the environment.

Every parser names the variable in its error, so a typo stops start-up with a message an operator can act on
(CONTRACTS §2: "Unknown or malformed values stop start-up with a message naming the variable").
"""

from __future__ import annotations

import hashlib
import hmac
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


CHAIN_KEY_MIN_LENGTH = 32
_FALLBACK_LABEL = b"ketaclinic chain key, derived from the secret key: demo and test only"
# Public and therefore worthless as a secret: used only in test mode when no secret key is given either, so that
# separate processes (tests/test_cli.py) agree on the chain.
_INSECURE_TEST_CHAIN_KEY = "insecure-test-chain-key-known-to-everyone-never-use-in-production"


def chain_key(*, secret_key: str, secret_key_given: bool, production: bool) -> tuple[str, str]:
    """The key of the audit and ledger hash chains and of their checkpoints, and where it came from.

    ``KETACLINIC_CHAIN_KEY`` (the key itself) or ``KETACLINIC_CHAIN_KEY_FILE`` (a file holding it, kept outside the
    database and its backups). Required in production and different from the secret key (knowledge/security.md H5: a
    chain anyone with database access can recompute proves nothing). In demo and test mode it falls back to an HMAC
    of the secret key with a fixed label, or, with no secret key set either, a fixed key that is public: demo and test
    chains are only as tamper-evident as their secret key is secret.
    """
    raw = os.environ.get("KETACLINIC_CHAIN_KEY", "").strip()
    path = os.environ.get("KETACLINIC_CHAIN_KEY_FILE", "").strip()
    if raw and path:
        raise ConfigError("Set KETACLINIC_CHAIN_KEY or KETACLINIC_CHAIN_KEY_FILE, not both.")
    name, source = "KETACLINIC_CHAIN_KEY", "environment"
    if path:
        name, source = "KETACLINIC_CHAIN_KEY_FILE", f"file {path}"
        try:
            raw = Path(path).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"KETACLINIC_CHAIN_KEY_FILE names {path!r}, which cannot be read ({exc}).") from None
    if raw:
        if len(raw) < CHAIN_KEY_MIN_LENGTH:
            raise ConfigError(f"{name} is too short: use at least {CHAIN_KEY_MIN_LENGTH} random characters.")
        if hmac.compare_digest(raw.encode(), secret_key.encode()):
            raise ConfigError(f"{name} must differ from KETACLINIC_SECRET_KEY.")
        return raw, source
    if production:
        raise ConfigError(
            "KETACLINIC_CHAIN_KEY (or KETACLINIC_CHAIN_KEY_FILE) is required in production: a long random value kept "
            "outside the database and its backups (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    if secret_key_given:
        derived = hmac.new(secret_key.encode(), _FALLBACK_LABEL, hashlib.sha256).hexdigest()
        return derived, "derived from KETACLINIC_SECRET_KEY (demo/test only)"
    return _INSECURE_TEST_CHAIN_KEY, "a fixed public key (test mode without a secret key: not tamper-proof)"


CONSOLE_EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
CONSOLE_SMS_BACKEND = "ketaclinic.outcomes.sms.ConsoleSmsBackend"


def console_delivery_channels(*, email_backend: str, sms_backend: str) -> list[str]:
    """The variables whose backend prints messages (with the patient's address and live link) to the server's output.

    A console backend writes a phone number or e-mail address and a working questionnaire link into the process
    output, which ends up in the server logs: personal data and a secret in the logs (knowledge/security.md H4 "never
    write ... tokens"; OWASP ASVS 5.0 V16.2.5 "sensitive data is not logged"). Production refuses it unless
    ``KETACLINIC_ALLOW_CONSOLE_DELIVERY`` says so, and clinic admins then see a warning on every page.
    """
    channels = []
    if email_backend.strip() == CONSOLE_EMAIL_BACKEND:
        channels.append("KETACLINIC_EMAIL_BACKEND")
    if sms_backend.strip().rsplit(".", 1)[-1] == CONSOLE_SMS_BACKEND.rsplit(".", 1)[-1]:
        channels.append("KETACLINIC_SMS_BACKEND")
    return channels


PRIVATE_FILE_MODE = 0o600


def create_private_file(path: Path) -> bool:
    """Create ``path`` empty with mode 0600 (owner read/write only) if it does not exist; tighten it if it does.

    Created atomically with ``os.open(..., O_CREAT | O_EXCL, 0o600)``, so the file is never readable by others, not
    even for a moment (a ``write_text`` then ``chmod`` leaves a window, and the umask usually gives 0644). Returns
    whether it was created. For the SQLite database, its backups and the demo's secret key (issue 13, defect 9c;
    knowledge/security.md H10; OWASP ASVS 5.0 V13.3 "secrets and data at rest are protected"; HIPAA 164.312(a)(1)).
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        path.chmod(PRIVATE_FILE_MODE)
        return False
    os.close(descriptor)
    os.chmod(path, PRIVATE_FILE_MODE)  # os.open's mode is filtered by the umask; never looser, but be exact
    return True


def private_sqlite_files(database: Path) -> None:
    """Make the SQLite database 0600 before Django first connects. SQLite creates the ``-wal`` and ``-shm`` files with
    the database file's own permissions (sqlite.org/src os_unix.c findCreateFileMode), so they follow; any already
    there are tightened too. Nothing happens when the folder does not exist yet (SQLite would then fail anyway)."""
    if not database.parent.is_dir():
        return
    create_private_file(database)
    for suffix in ("-wal", "-shm", "-journal"):
        companion = database.with_name(database.name + suffix)
        if companion.exists():
            companion.chmod(PRIVATE_FILE_MODE)
