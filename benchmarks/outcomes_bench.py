"""Speed of the outcomes pages at scale (issue 8): ``make bench`` or ``python benchmarks/outcomes_bench.py``.

For each database (SQLite in a data directory of its own, and PostgreSQL at ``--postgres-url``) it:

1. migrates and seeds (``ketaclinic.demo.seed.run``) up to ``--patients`` patients with outcomes: by default 10,000
   patients, ~100,000 sessions and ~1,000,000 scores; an existing seeded database is reused (``--reseed`` drops it);
2. signs in a prescriber of the seeded clinic with Django's test client (both factors, as the tests do) and requests
   the clinic dashboard (``dashboard:index``), a patient's chart (``patients:chart``) and the patient's trajectory
   (``trajectory:patient``, skipped with a message while that URL does not resolve), ``--runs`` times each after a
   warm-up, for patients picked at random;
3. prints p50 and p95 latency, the number of queries of one request, and the ratio of p95 to the target
   (dashboard p95 < 300 ms, chart p95 < 150 ms): a ratio ≤ 1 meets it.

Each database runs in its own process (Django's settings are per process). The script always exits 0 (a report, not a
gate) unless a page fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGETS_MS = {"dashboard:index": 300.0, "patients:chart": 150.0, "trajectory:patient": 150.0}
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/ketaclinic_bench"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = (len(ordered) - 1) * q
    low, high = int(index), min(int(index) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def _ensure_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _drop_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_one(args: argparse.Namespace) -> dict[str, Any]:
    """Inside the child process: Django is configured for one database."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from ketaclinic.accounts.models import User
    from ketaclinic.demo import seed
    from ketaclinic.patients.models import Patient

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)
    prefix = f"S{args.seed:02d}"
    have = Patient.objects.filter(mrn__startswith=prefix).count()
    seeded_s = 0.0
    if have < args.patients:
        print(f"  seeding {args.patients - have} patients (have {have}) ...", flush=True)
        started = time.perf_counter()
        print("  " + seed.run(patients=args.patients - have, seed=args.seed), flush=True)
        seeded_s = time.perf_counter() - started
        # Fresh planner statistics after a bulk load, as autovacuum (PostgreSQL) or a routine ANALYZE would give.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    from ketaclinic.infusions.models import TreatmentSession
    from ketaclinic.outcomes.models import Measurement

    counts = {
        "patients": Patient.objects.count(),
        "sessions": TreatmentSession.objects.count(),
        "scores": Measurement.objects.count(),
    }
    user = User.objects.get(username=f"seed{args.seed}.prescriber")
    client = Client()
    _sign_in(client, user)
    patient_ids = list(Patient.objects.filter(mrn__startswith=prefix).values_list("pk", flat=True)[:5000])
    rng = random.Random(0)
    results: dict[str, Any] = {"vendor": connection.vendor, "counts": counts, "seed_s": seeded_s, "pages": {}}
    pages: list[tuple[str, Any]] = [("dashboard:index", lambda: reverse("dashboard:index"))]
    pages.append(("patients:chart", lambda: reverse("patients:chart", kwargs={"patient_id": rng.choice(patient_ids)})))
    try:
        reverse("trajectory:patient", kwargs={"patient_id": patient_ids[0]})
        pages.append(
            (
                "trajectory:patient",
                lambda: reverse("trajectory:patient", kwargs={"patient_id": rng.choice(patient_ids)}),
            )
        )
    except NoReverseMatch:
        print("  trajectory:patient does not resolve yet: skipped", flush=True)
    for name, url_of in pages:
        for _ in range(3):  # warm-up
            assert client.get(url_of()).status_code == 200, name
        queries: list[str] = []
        with connection.execute_wrapper(_Counter(queries)):
            response = client.get(url_of())
        assert response.status_code == 200, f"{name}: {response.status_code}"
        times = []
        for _ in range(args.runs):
            url = url_of()
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, f"{name} {url}: {response.status_code}"
        results["pages"][name] = {
            "p50_ms": _percentile(times, 0.5),
            "p95_ms": _percentile(times, 0.95),
            "mean_ms": statistics.fmean(times),
            "queries": len(queries),
            "runs": len(times),
        }
    return results


class _Counter:
    """A database execute wrapper that records every SQL statement of a request."""

    def __init__(self, sink: list[str]) -> None:
        self.sink = sink

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.sink.append(sql)
        return execute(sql, params, many, context)


def _sign_in(client: Any, user: Any) -> None:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    session = client.session
    if user.needs_mfa:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="bench", confirmed=True
        )
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session["kc_signed_in_at"] = session["kc_last_seen"] = time.time()
    session.save()


def _child(database: str, args: argparse.Namespace) -> dict[str, Any] | None:
    env = {**os.environ, "KETACLINIC_ENVIRONMENT": "demo", "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    if database == "sqlite":
        data_dir = Path(args.data_dir) / "sqlite"
        if args.reseed and data_dir.exists():
            for path in data_dir.iterdir():
                path.unlink()
        data_dir.mkdir(parents=True, exist_ok=True)
        env["KETACLINIC_DATA_DIR"] = str(data_dir)
    else:
        try:
            if args.reseed:
                _drop_pg_database(args.postgres_url)
            _ensure_pg_database(args.postgres_url)
        except Exception as error:  # a report: say why PostgreSQL is skipped
            print(f"  PostgreSQL not available at {args.postgres_url}: {error}", flush=True)
            return None
        env["DATABASE_URL"] = args.postgres_url
        env["KETACLINIC_DATA_DIR"] = str(Path(args.data_dir) / "pg")
        Path(env["KETACLINIC_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    command = [sys.executable, __file__, "--child", "--patients", str(args.patients), "--seed", str(args.seed)]
    command += ["--runs", str(args.runs)]
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603  (this script)
    lines = done.stdout.splitlines()
    for line in lines[:-1]:
        print(line)
    if done.returncode != 0 or not lines:
        print(f"  {database}: the benchmark failed (exit {done.returncode})")
        return None
    return json.loads(lines[-1])


def _report(database: str, result: dict[str, Any]) -> None:
    counts = result["counts"]
    print(
        f"{database}: {counts['patients']:,} patients, {counts['sessions']:,} sessions, {counts['scores']:,} scores"
        + (f" (seeded in {result['seed_s']:.0f} s)" if result["seed_s"] else "")
    )
    print(f"  {'page':<20} {'p50 ms':>8} {'p95 ms':>8} {'target':>8} {'p95/target':>11} {'queries':>8}  met")
    for name, page in result["pages"].items():
        target = TARGETS_MS[name]
        ratio = page["p95_ms"] / target
        print(
            f"  {name:<20} {page['p50_ms']:8.1f} {page['p95_ms']:8.1f} {target:8.0f} {ratio:10.2f}× "
            f"{page['queries']:8d}  {'yes' if ratio <= 1 else 'NO'}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=10_000, help="patients to seed (default 10,000)")
    parser.add_argument("--seed", type=int, default=8, help="seed of the synthetic data (default 8)")
    parser.add_argument("--runs", type=int, default=40, help="timed requests per page (default 40)")
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG))
    parser.add_argument(
        "--data-dir", default=str(Path(tempfile.gettempdir()) / "ketaclinic-bench"), help="where the SQLite file lives"
    )
    parser.add_argument("--reseed", action="store_true", help="start from an empty database")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        result = run_one(args)
        print(json.dumps(result))
        return 0
    for database in args.databases:
        print(f"== {database}", flush=True)
        result = _child(database, args)
        if result is not None:
            _report(database, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
