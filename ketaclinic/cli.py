"""The ``ketaclinic`` command (CONTRACTS §2): demo, serve, manage, seed, token, audit, ledger, jobs, backup, restore,
pk. ``ketaclinic --data-dir DIR COMMAND`` works on DIR (a demo directory brings its own settings)."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


class CommandError(Exception):
    """A refusal with a message for the operator (exit code 1, or 2 for bad usage)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        raise CommandError(f"configuration error: {exc}", code=2) from None


# --- demo -------------------------------------------------------------------------------------------------------------


def _demo_environment(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    key_file = data_dir / "secret-key"
    if not key_file.exists():
        # Created 0600 in one step (no moment readable by others; issue 13, defect 9c; security.md H10).
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    key_file.chmod(0o600)
    os.environ["KETACLINIC_ENVIRONMENT"] = "demo"
    os.environ["KETACLINIC_DATA_DIR"] = str(data_dir)
    os.environ["KETACLINIC_SECRET_KEY"] = key_file.read_text().strip()
    os.environ.pop("DATABASE_URL", None)  # the demo always uses its own embedded SQLite file


DEMO_MARKER = "demo-credentials.json"


def is_demo_directory(path: Path) -> bool:
    """A directory ``ketaclinic demo`` set up (it holds the demo's credentials file and secret key)."""
    return (path / DEMO_MARKER).is_file() and (path / "secret-key").is_file()


def use_data_dir(explicit: str | None) -> Path | None:
    """Point a maintenance command (manage, audit, ledger, token, backup …) at a data directory.

    ``--data-dir DIR`` names it; a demo directory gets the demo's environment (its SQLite file and secret key), any
    other directory becomes ``KETACLINIC_DATA_DIR``. Without the flag, and with no configuration in the environment
    (no secret key, no environment, no database URL), the demo's own default (``$KETACLINIC_DATA_DIR`` or
    ``demo-data``) is used when it holds a demo — the same discovery ``ketaclinic demo`` uses. Returns the demo
    directory in use, or None.
    """
    if explicit is not None:
        path = Path(explicit).resolve()
        if not path.is_dir():
            raise CommandError(f"--data-dir {explicit}: no such directory", code=2)
        if is_demo_directory(path):
            _demo_environment(path)
            return path
        os.environ["KETACLINIC_DATA_DIR"] = str(path)
        return None
    configured = ("KETACLINIC_SECRET_KEY", "KETACLINIC_SECRET_KEY_FILE", "KETACLINIC_ENVIRONMENT", "DATABASE_URL")
    if any(name in os.environ for name in configured):
        return None
    default = Path(os.environ.get("KETACLINIC_DATA_DIR", "demo-data")).resolve()
    if is_demo_directory(default):
        _demo_environment(default)
        print(f"ketaclinic: using the demo clinic in {default}", file=sys.stderr)
        return default
    return None


def cmd_demo(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir).resolve()
    if args.reset:
        for suffix in ("", "-wal", "-shm"):
            (data_dir / f"ketaclinic.sqlite3{suffix}").unlink(missing_ok=True)
        (data_dir / "demo-credentials.json").unlink(missing_ok=True)
    _demo_environment(data_dir)
    setup_django()
    from django.core.management import call_command

    from ketaclinic.demo import clinic

    call_command("migrate", interactive=False, verbosity=0)
    credentials_file = data_dir / "demo-credentials.json"
    url = f"http://{args.host}:{args.port}/"
    if not clinic.is_loaded():
        print("Loading the demo clinic (60 synthetic patients)…", flush=True)
        logins = [login.__dict__ for login in clinic.load()]
        users = [{key: login[key] for key in ("username", "role", "password", "totp_secret")} for login in logins]
        from ketaclinic.config import create_private_file

        create_private_file(credentials_file)  # 0600 before any password is written into it
        patients = clinic.portal_patients()
        credentials_file.write_text(json.dumps({"url": url, "users": users, "patients": patients}, indent=2) + "\n")
    elif not credentials_file.exists():
        raise CommandError(f"the demo database in {data_dir} has no credentials file; start over with --reset")
    stored = json.loads(credentials_file.read_text())
    stored["url"] = url
    stored.setdefault("patients", clinic.portal_patients())  # a demo loaded before the patient portal existed
    credentials_file.write_text(json.dumps(stored, indent=2) + "\n")
    _print_logins(url, stored["users"], credentials_file)
    _print_portal_patients(url, stored["patients"])
    if args.no_serve:
        return 0
    # The demo has no cron: the scheduled jobs (questionnaires, alert escalation) run beside the server.
    jobs = _start_jobs_runner(data_dir, base_url=url, every_min=DEMO_JOBS_EVERY_MIN)
    print(f"Scheduled jobs (questionnaires, alerts, reminders) run every {DEMO_JOBS_EVERY_MIN} min.", flush=True)
    try:
        return _gunicorn(host=args.host, port=args.port, workers=2)
    finally:
        jobs.terminate()
        jobs.wait(timeout=10)


DEMO_JOBS_EVERY_MIN = 5


def _start_jobs_runner(data_dir: Path, *, base_url: str, every_min: float) -> Any:
    import subprocess

    from ketaclinic import serving

    command = [sys.executable, "-m", "ketaclinic", "--data-dir", str(data_dir), "jobs"]
    command += ["--every", f"{every_min:g}", "--base-url", base_url]
    return subprocess.Popen(command, preexec_fn=serving.die_with_parent)  # noqa: S603 (our own command, no shell)


def _print_logins(url: str, users: list[dict[str, Any]], path: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"ketaclinic demo — {url}", title_justify="left")
    for column in ("username", "role", "password", "TOTP secret (authenticator app)"):
        table.add_column(column)
    for user in users:
        table.add_row(
            user["username"], user["role"], user["password"], user["totp_secret"] or "— (no second factor in the demo)"
        )
    console = Console(width=140)
    console.print(table)
    console.print(f"Credentials saved in {path}.")
    console.print("Add a TOTP secret to an authenticator app, or print the current code: oathtool --totp -b SECRET")


def _print_portal_patients(url: str, patients: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Patient portal — {url}portal/login/", title_justify="left")
    for column in ("patient", "e-mail (ask for a sign-in link)", "date of birth"):
        table.add_column(column)
    for patient in patients:
        table.add_row(patient["name"], patient["email"], patient["date_of_birth"])
    console = Console(width=140)
    console.print(table)
    console.print("The sign-in link is printed in this server's output (the demo's console e-mail backend).")


# --- serve ------------------------------------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import call_command

    from ketaclinic import serving

    try:
        serving.check_database_ready()
    except (serving.DatabaseUnreachable, serving.PendingMigrations) as exc:
        raise CommandError(str(exc)) from None
    call_command("collectstatic", interactive=False, verbosity=0)
    return _gunicorn(host=args.host, port=args.port, workers=args.workers)


def _gunicorn(*, host: str, port: int, workers: int) -> int:
    from ketaclinic import serving
    from ketaclinic.wsgi import application

    return serving.run_gunicorn(host=host, port=port, workers=workers, application=application)


# --- manage, seed, token, audit ---------------------------------------------------------------------------------------


def cmd_manage(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ketaclinic manage", *args.args])
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    if args.patients < 1:
        raise CommandError("--patients must be at least 1", code=2)
    setup_django()
    from ketaclinic.demo import seed

    summary = seed.run(patients=args.patients, seed=args.seed)
    print(summary)
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    setup_django()
    from ketaclinic.accounts import services
    from ketaclinic.accounts.models import User

    user = User.objects.filter(username=args.username).first()
    if user is None:
        raise CommandError(f"no user named {args.username!r}")
    if not user.is_active:
        raise CommandError(f"{args.username} is deactivated")
    print(services.create_api_token(by=None, user=user, name=args.name))
    print("Store it now: it is not shown again (only its hash is kept).", file=sys.stderr)
    return 0


def cmd_billing_load_descriptors(args: argparse.Namespace) -> int:
    """Load the clinic's licensed CPT descriptor file (code and descriptor a line, tab- or comma-separated)."""
    setup_django()
    from ketaclinic.accounts.errors import ServiceError
    from ketaclinic.accounts.models import User
    from ketaclinic.billing.services import descriptors

    user = User.objects.filter(username=args.by).first()
    if user is None or not user.is_active:
        raise CommandError(f"no active user named {args.by!r}")
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {path}: {exc}") from None
    try:
        count = descriptors.load_descriptors(by=user, file_name=path.name, text=text)
    except ServiceError as exc:
        raise CommandError(f"{path.name}: {exc.message} Nothing was loaded.") from None
    print(f"Loaded {count} descriptors from {path.name} (the clinic's previous descriptors were replaced).")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    setup_django()
    from ketaclinic.audit import services
    from ketaclinic.audit.models import AuditEvent

    broken = services.verify()
    if broken is not None:
        print(f"audit chain BROKEN at {broken}", file=sys.stderr)
        return 1
    if args.checkpoints and not _checkpoints_hold("audit", Path(args.checkpoints), services.check_checkpoints):
        return 1
    print(f"audit chain intact: {AuditEvent.objects.count()} events verified")
    return 0


def _checkpoints_hold(chain_name: str, path: Path, check: Callable[[list[Any]], list[str]]) -> bool:
    """`verify --checkpoints FILE` (issue 13): every checkpoint of this chain in FILE is signed with the chain key and
    its head is still in the chain; otherwise print each failure and return False."""
    from ketaclinic.audit import checkpoints

    try:
        problems = check(checkpoints.read(path))
    except checkpoints.CheckpointError as exc:
        raise CommandError(str(exc)) from None
    for problem in problems:
        print(f"{chain_name} checkpoint FAILED: {problem}", file=sys.stderr)
    if not problems:
        print(f"{chain_name} checkpoints in {path} hold: no rewrite or truncation since any of them")
    return not problems


def _print_checkpoint(take: Callable[[], Any], append_to: str | None) -> int:
    """`audit checkpoint` / `ledger checkpoint` (issue 13): print the signed head, and append it to a file."""
    from ketaclinic.audit import checkpoints

    try:
        checkpoint = take()
        if append_to:
            checkpoints.append(Path(append_to), checkpoint)
    except checkpoints.CheckpointError as exc:
        raise CommandError(str(exc)) from None
    print(checkpoint.to_line())
    return 0


def cmd_audit_checkpoint(args: argparse.Namespace) -> int:
    setup_django()
    from ketaclinic.audit import services

    return _print_checkpoint(services.take_checkpoint, args.append)


def cmd_ledger_checkpoint(args: argparse.Namespace) -> int:
    setup_django()
    from ketaclinic.ledger.services import checkpoints

    return _print_checkpoint(checkpoints.take_checkpoint, args.append)


def cmd_ledger_verify(args: argparse.Namespace) -> int:
    """CONTRACTS §2: recompute the ledger's hash chain, then its balance invariants; exit 1 naming the first problem."""
    setup_django()
    from ketaclinic.ledger import services

    result = services.verify()
    if result.intact:
        if args.checkpoints:
            from ketaclinic.ledger.services import checkpoints

            if not _checkpoints_hold("ledger", Path(args.checkpoints), checkpoints.check_checkpoints):
                return 1
        print(
            f"ledger intact: {result.entries} entries verified, {result.containers} container balances and every "
            "product's books balance"
        )
        return 0
    if result.chain_break is not None:
        print(f"ledger chain BROKEN at {result.chain_break}", file=sys.stderr)
    for problem in result.problems[:20]:
        print(f"ledger balance problem: {problem}", file=sys.stderr)
    if len(result.problems) > 20:
        print(f"... and {len(result.problems) - 20} more", file=sys.stderr)
    return 1


def cmd_backup(args: argparse.Namespace) -> int:
    setup_django()
    from ketaclinic import backups

    try:
        path = backups.backup(Path(args.path))
    except backups.BackupError as exc:
        raise CommandError(str(exc)) from None
    print(f"backup written to {path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    setup_django()
    from ketaclinic import backups

    try:
        backups.restore(Path(args.path))
    except backups.BackupError as exc:
        raise CommandError(str(exc)) from None
    print(f"restored from {args.path}; audit chain verified")
    return 0


# --- jobs -------------------------------------------------------------------------------------------------------------

#: The jobs a clinic runs on a timer (README "Measurement-based care"), as management command arguments.
SCHEDULED_JOBS: tuple[tuple[str, ...], ...] = (
    ("send_questionnaires",),
    ("escalate_alerts",),
    ("send_reminders",),
    ("purge_tokens",),
    ("run_fhir_exports",),
    ("purge_fhir_exports",),
)
#: The jobs whose messages carry links to the clinic's public site.
LINK_JOBS = frozenset({"send_questionnaires", "send_reminders"})


def run_jobs_once(base_url: str | None) -> bool:
    """Run every scheduled job once; print what each did. True when all succeeded (a failing job does not stop the
    others: each is idempotent and retried on the next round)."""
    from django.core.management import call_command
    from django.db import close_old_connections

    ok = True
    for job in SCHEDULED_JOBS:
        arguments = [*job, "--base-url", base_url] if job[0] in LINK_JOBS and base_url else list(job)
        try:
            call_command(*arguments)
        except Exception as exc:
            print(f"ketaclinic jobs: {job[0]} failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            ok = False
        finally:
            close_old_connections()
    return ok


def cmd_jobs(args: argparse.Namespace) -> int:
    if args.every <= 0:
        raise CommandError("--every must be more than 0 minutes", code=2)
    setup_django()
    import time

    while True:
        ok = run_jobs_once(args.base_url)
        if args.once:
            return 0 if ok else 1
        time.sleep(args.every * 60)


# --- parser -----------------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ketaclinic", description="The software a ketamine therapy clinic runs on.")
    parser.add_argument(
        "--data-dir",
        dest="home",
        metavar="DIR",
        help="data directory to work on (a demo directory brings its own settings); default: the environment's, "
        "else the demo's when one exists",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="run the demo clinic on an embedded SQLite database")
    demo.add_argument("--data-dir", default=os.environ.get("KETACLINIC_DATA_DIR", "demo-data"))
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--no-serve", action="store_true", help="set up and print the logins, then exit")
    demo.add_argument("--reset", action="store_true", help="delete the demo database and start over")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="production server (gunicorn) on the configured database")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=3)
    serve.set_defaults(func=cmd_serve)

    manage = sub.add_parser("manage", help="Django management commands", add_help=False)
    manage.add_argument("args", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)

    seed = sub.add_parser("seed", help="synthetic clinic data at scale, for benchmarks")
    seed.add_argument(
        "--patients", type=int, required=True, help="patients to add (each: a signed plan, ~10 sessions, ~100 scores)"
    )
    seed.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    seed.set_defaults(func=cmd_seed)

    token = sub.add_parser("token", help="API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = token_sub.add_parser("create", help="print a new API token for a user (shown once)")
    create.add_argument("username")
    create.add_argument("--name", default="", help="what the token is for")
    create.set_defaults(func=cmd_token_create)

    audit = sub.add_parser("audit", help="the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    audit_verify = audit_sub.add_parser("verify", help="recompute the hash chain")
    audit_verify.add_argument("--checkpoints", metavar="FILE", help="also check the chain against signed checkpoints")
    audit_verify.set_defaults(func=cmd_audit_verify)
    audit_checkpoint = audit_sub.add_parser("checkpoint", help="print a signed checkpoint of the chain's head")
    audit_checkpoint.add_argument("--append", metavar="FILE", help="also append it to FILE (keep FILE off-site)")
    audit_checkpoint.set_defaults(func=cmd_audit_checkpoint)

    billing = sub.add_parser("billing", help="billing reference data")
    billing_sub = billing.add_subparsers(dest="billing_command", required=True, metavar="ACTION")
    load = billing_sub.add_parser(
        "load-descriptors", help="load the clinic's licensed CPT descriptor file (replaces the previous one)"
    )
    load.add_argument("file", help="a text file: code and descriptor a line, separated by a tab or a comma")
    load.add_argument("--by", required=True, metavar="USERNAME", help="the clinic admin loading it (audited)")
    load.set_defaults(func=cmd_billing_load_descriptors)

    ledger = sub.add_parser("ledger", help="the controlled-substance ledger")
    ledger_sub = ledger.add_subparsers(dest="ledger_command", required=True, metavar="ACTION")
    ledger_verify = ledger_sub.add_parser("verify", help="recompute the hash chain and the balance invariants")
    ledger_verify.add_argument("--checkpoints", metavar="FILE", help="also check the chain against signed checkpoints")
    ledger_verify.set_defaults(func=cmd_ledger_verify)
    ledger_checkpoint = ledger_sub.add_parser("checkpoint", help="print a signed checkpoint of the ledger's head")
    ledger_checkpoint.add_argument("--append", metavar="FILE", help="also append it to FILE (keep FILE off-site)")
    ledger_checkpoint.set_defaults(func=cmd_ledger_checkpoint)

    jobs = sub.add_parser("jobs", help="run the scheduled jobs (questionnaires, alert escalation) on a timer")
    jobs.add_argument("--every", type=float, default=5, metavar="MIN", help="minutes between rounds (default 5)")
    jobs.add_argument("--once", action="store_true", help="run one round and exit (for cron)")
    jobs.add_argument("--base-url", help="public address used in questionnaire links (default: the setting)")
    jobs.set_defaults(func=cmd_jobs)

    backup = sub.add_parser("backup", help="consistent online backup of the database")
    backup.add_argument("path")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="restore a backup into an empty database")
    restore.add_argument("path")
    restore.set_defaults(func=cmd_restore)

    from ketaclinic import pk_cli  # numpy and matplotlib load only when a pk command runs

    pk_cli.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from django.core.exceptions import ImproperlyConfigured

    try:
        if args.command not in ("demo", "pk"):
            use_data_dir(args.home)
        return int(args.func(args))
    except ImproperlyConfigured as exc:
        print(f"ketaclinic: configuration error: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"ketaclinic: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
