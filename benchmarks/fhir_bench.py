"""Speed of the FHIR server at scale (issue 20 "Speed"): ``python benchmarks/fhir_bench.py``.

For each database (SQLite in a data directory of its own, PostgreSQL at ``--postgres-url``) it:

1. migrates and seeds exactly as ``outcomes_bench.py`` does (``ketaclinic.demo.seed.run``: 10,000 patients,
   ~100,000 sessions, ~1,000,000 scores by default; an existing seeded database is reused);
2. kicks off a full system ``GET /fhir/r4/$export`` (``Prefer: respond-async``) as the seeded prescriber, who sees all
   of the seeded locations, through Django's test client; then runs the export in a fresh process of its own
   (``run_fhir_exports``'s code, ``exporter.run_pending``) and measures that process's wall time and peak resident
   set size (``getrusage``: interpreter, Django and the export together); polls the status URL for the manifest,
   checks each file's line count against it and validates a sample of lines of every file with the R4B models;
3. times ``--runs`` searches ``Observation?patient=<id>&code=http://loinc.org|44261-6`` (a patient's PHQ-9 totals)
   for patients picked at random, after a warm-up, and prints p50/p95 and the queries of one request.

Targets: the export ≤ 60 s with peak RSS ≤ 300 MB; the search p95 ≤ 100 ms. Each database runs in its own process;
the script always exits 0 (a report, not a gate) unless a request fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from outcomes_bench import _drop_pg_database, _ensure_pg_database, _percentile  # noqa: E402

EXPORT_TARGET_S = 60.0
RSS_TARGET_MB = 300.0
SEARCH_TARGET_MS = 100.0
PHQ9_TOTAL = "http://loinc.org|44261-6"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/ketaclinic_bench"
SAMPLE_LINES = 300


def _setup() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
    django.setup()


def export_worker() -> dict[str, Any]:
    """The exporting process: nothing but Django and the export job (what ``ketaclinic jobs`` runs). Each written
    file is reported on stderr as it ends (seconds since the start, process, file, resources, its own seconds)."""
    _setup()
    import logging

    from django.conf import settings

    parts = logging.getLogger("ketaclinic.fhir.export_files")
    parts.setLevel(logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("    %(relativeCreated)8.0f ms  pid %(process)d  %(message)s"))
    parts.addHandler(handler)
    parts.propagate = False

    from ketaclinic.fhir import exporter

    started = time.perf_counter()
    jobs = exporter.run_pending()
    wall = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF)
    forked = resource.getrusage(resource.RUSAGE_CHILDREN)  # the writer processes (KETACLINIC_FHIR_EXPORT_PROCESSES)
    return {
        "wall_s": wall,
        # CPU time of the export's processes: what a shared machine's load does not change.
        "cpu_s": own.ru_utime + own.ru_stime + forked.ru_utime + forked.ru_stime,
        "peak_rss_mb": own.ru_maxrss / 1024,
        "peak_child_rss_mb": forked.ru_maxrss / 1024,
        "processes": settings.KETACLINIC_FHIR_EXPORT_PROCESSES,
        "jobs": [str(job.id) for job in jobs],
    }


def run_one(args: argparse.Namespace) -> dict[str, Any]:
    _setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from ketaclinic.accounts import services as accounts
    from ketaclinic.accounts.models import User
    from ketaclinic.demo import seed
    from ketaclinic.fhir.models import ExportJob
    from ketaclinic.infusions.models import TreatmentSession
    from ketaclinic.outcomes.models import Measurement
    from ketaclinic.patients.models import Patient

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)
    prefix = f"S{args.seed:02d}"
    have = Patient.objects.filter(mrn__startswith=prefix).count()
    if have < args.patients:
        print(f"  seeding {args.patients - have} patients (have {have}) ...", flush=True)
        print("  " + seed.run(patients=args.patients - have, seed=args.seed), flush=True)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    counts = {
        "patients": Patient.objects.count(),
        "sessions": TreatmentSession.objects.count(),
        "scores": Measurement.objects.count(),
    }
    user = User.objects.get(username=f"seed{args.seed}.prescriber")
    token = accounts.create_api_token(by=None, user=user, name="fhir bench")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    client = Client()
    results: dict[str, Any] = {"vendor": connection.vendor, "counts": counts}

    if not args.no_export:
        ExportJob.objects.filter(status__in=ExportJob.ACTIVE).update(status=ExportJob.Status.CANCELLED)
        kicked = client.get("/fhir/r4/$export", HTTP_PREFER="respond-async", **auth)
        assert kicked.status_code == 202, kicked.content[:300]
        status_url = kicked["Content-Location"].removeprefix("http://testserver")
        worker = subprocess.run(  # noqa: S603 (this script)
            [sys.executable, __file__, "--export-worker"], stdout=subprocess.PIPE, text=True, check=True
        )
        measured = json.loads(worker.stdout.splitlines()[-1])
        manifest = client.get(status_url, **auth)
        assert manifest.status_code == 200, manifest.content[:300]
        body = manifest.json()
        results["export"] = {**measured, "files": _check_files(body, client, auth), "file_count": len(body["output"])}
        client.delete(status_url, **auth)  # the files are large: gone as soon as they are measured

    patient_ids = list(Patient.objects.filter(mrn__startswith=prefix).values_list("pk", flat=True)[:5000])
    rng = random.Random(0)

    def url() -> str:
        return f"/fhir/r4/Observation?patient={rng.choice(patient_ids)}&code={PHQ9_TOTAL}"

    for _ in range(3):
        assert client.get(url(), **auth).status_code == 200
    queries: list[str] = []
    with connection.execute_wrapper(lambda execute, sql, *rest: (queries.append(sql), execute(sql, *rest))[1]):
        first = client.get(url(), **auth)
    assert first.status_code == 200 and first.json()["total"] > 0, first.content[:300]
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        response = client.get(url(), **auth)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    results["search"] = {
        "p50_ms": _percentile(times, 0.5),
        "p95_ms": _percentile(times, 0.95),
        "mean_ms": statistics.fmean(times),
        "queries": len(queries),
        "runs": len(times),
        "entries": len(first.json().get("entry", [])),
    }
    return results


def _check_files(manifest: dict[str, Any], client: Any, auth: dict[str, str]) -> dict[str, int]:
    """Every file's line count is the manifest's; a sample of lines of each validates against the R4B models."""
    from fhir.resources.R4B import get_fhir_model_class

    counts = {}
    for entry in manifest["output"]:
        response = client.get(entry["url"].removeprefix("http://testserver"), **auth)
        assert response.status_code == 200, entry
        lines = 0
        for chunk in response.streaming_content:
            lines += chunk.count(b"\n")
        assert lines == entry["count"], (entry, lines)
        counts[entry["type"]] = counts.get(entry["type"], 0) + lines  # a large type comes in several files
        _validate_sample(client, auth, entry["url"], get_fhir_model_class)
    assert not manifest["error"], manifest["error"]
    return counts


def _validate_sample(client: Any, auth: dict[str, str], url: str, model_of: Any) -> None:
    response = client.get(url.removeprefix("http://testserver"), **auth)
    buffer = b""
    seen = 0
    for chunk in response.streaming_content:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            item = json.loads(line)
            model_of(item["resourceType"]).model_validate(item)
            seen += 1
            if seen >= SAMPLE_LINES:
                response.close()
                return


def _child(database: str, args: argparse.Namespace) -> dict[str, Any] | None:
    env = {
        **os.environ,
        "KETACLINIC_ENVIRONMENT": "demo",
        "PYTHONPATH": str(ROOT),
        "KETACLINIC_FHIR_EXPORT_START": "jobs",
    }
    env.pop("DATABASE_URL", None)
    if database == "sqlite":
        data_dir = Path(args.data_dir) / "sqlite"
        data_dir.mkdir(parents=True, exist_ok=True)
        env["KETACLINIC_DATA_DIR"] = str(data_dir)
    else:
        try:
            if args.reseed:
                _drop_pg_database(args.postgres_url)
            _ensure_pg_database(args.postgres_url)
        except Exception as error:
            print(f"  PostgreSQL not available at {args.postgres_url}: {error}", flush=True)
            return None
        env["DATABASE_URL"] = args.postgres_url
        env["KETACLINIC_DATA_DIR"] = str(Path(args.data_dir) / "pg")
        Path(env["KETACLINIC_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    command = [sys.executable, __file__, "--child", "--patients", str(args.patients), "--seed", str(args.seed)]
    command += ["--runs", str(args.runs)] + (["--no-export"] if args.no_export else [])
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603
    lines = done.stdout.splitlines()
    for line in lines[:-1]:
        print(line)
    if done.returncode != 0 or not lines:
        print(f"  {database}: the benchmark failed (exit {done.returncode})")
        return None
    return dict(json.loads(lines[-1]))


def _report(database: str, result: dict[str, Any]) -> None:
    counts = result["counts"]
    print(f"{database}: {counts['patients']:,} patients, {counts['sessions']:,} sessions, {counts['scores']:,} scores")
    export = result.get("export")
    if export:
        total = sum(export["files"].values())
        rate = total / export["wall_s"]
        print(
            f"  $export: {total:,} resources in {export['wall_s']:.1f} s, CPU {export.get('cpu_s', 0):.1f} s"
            f" ({rate:,.0f}/s; target {EXPORT_TARGET_S:.0f} s:"
            f" {'yes' if export['wall_s'] <= EXPORT_TARGET_S else 'NO'})"
        )
        peak = max(export["peak_rss_mb"], export["peak_child_rss_mb"])
        print(
            f"  peak RSS: {export['peak_rss_mb']:.0f} MB (the job's process), {export['peak_child_rss_mb']:.0f} MB (the"
            f" largest of its {export['processes']} writer processes; target {RSS_TARGET_MB:.0f} MB each:"
            f" {'yes' if peak <= RSS_TARGET_MB else 'NO'})"
        )
        print(
            f"    in {export.get('file_count', len(export['files']))} files: "
            + ", ".join(f"{name} {count:,}" for name, count in export["files"].items())
        )
    search = result["search"]
    print(
        f"  Observation?patient=&code=: p50 {search['p50_ms']:.1f} ms, p95 {search['p95_ms']:.1f} ms (target "
        f"{SEARCH_TARGET_MS:.0f} ms: {'yes' if search['p95_ms'] <= SEARCH_TARGET_MS else 'NO'}), "
        f"{search['queries']} queries, {search['entries']} entries a page, {search['runs']} runs"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=10_000, help="patients to seed (default 10,000)")
    parser.add_argument("--seed", type=int, default=8, help="seed of the synthetic data (default 8, as outcomes_bench)")
    parser.add_argument("--runs", type=int, default=100, help="timed searches (default 100)")
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG))
    parser.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "ketaclinic-bench"))
    parser.add_argument("--reseed", action="store_true", help="PostgreSQL: start from an empty database")
    parser.add_argument("--no-export", action="store_true", help="only the search")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--export-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.export_worker:
        print(json.dumps(export_worker()))
        return 0
    if args.child:
        print(json.dumps(run_one(args)))
        return 0
    for database in args.databases:
        print(f"== {database}", flush=True)
        result = _child(database, args)
        if result is not None:
            _report(database, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
