"""Speed of the calendar at a chain's scale (issue 17): ``make bench`` or ``python benchmarks/schedule_bench.py``.

For each database (SQLite in a data directory of its own, and PostgreSQL at ``--postgres-url`` if reachable) it:

1. migrates and loads the demo clinic, then grows it to ``--locations`` locations × ``--chairs`` chairs, each open
   Monday–Friday 08:00–18:00 with three nurses rostered every open day, and bulk-seeds ``--years`` of bookings (half
   in the past, half ahead): every chair offers five 85-minute IV slots a day (09:00, 10:30, 12:00, 13:30, 15:00
   local), ``--fill`` of them taken by synthetic patients (200 per location). The seed is written with
   ``bulk_create`` (a load, not a booking path: the booking service is measured, not used to seed);
2. measures, ``--runs`` times after a warm-up:
   - ``series``: ``scheduling.services.series.propose`` — finding the slots for a demo patient's 6-session IV series
     over 3 weeks at Main Street (the proposal the series page and ``POST /api/v1/schedule/series`` compute);
   - ``slots``: ``scheduling.services.slots.free_slots`` — every free IV slot of Main Street over 3 weeks;
   - ``day view``: ``GET /schedule/`` for Main Street on a busy day, through Django's test client as front desk;
   - ``week view``: ``GET /schedule/week/`` for Main Street's week of that day, the same way (no target of its own:
     reported beside the day view);
3. prints p50 and p95 in ms, the queries of one call, and the ratio of p95 to the 100 ms target (≤ 1 meets it).

Each database runs in its own process. Always exits 0 (a report, not a gate) unless a page fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from outcomes_bench import _Counter, _drop_pg_database, _ensure_pg_database, _percentile, _sign_in

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 100.0
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/ketaclinic_schedule_bench"
SLOT_STARTS = [dt.time(9), dt.time(10, 30), dt.time(12), dt.time(13, 30), dt.time(15)]
SEED_MARK = "BENCH-SEED"


def _grow(args: argparse.Namespace) -> dict[str, int]:
    """Locations, chairs, hours, roster and years of appointments, bulk-written."""
    from zoneinfo import ZoneInfo

    from django.db import transaction
    from django.utils import timezone

    from ketaclinic.accounts import services as accounts
    from ketaclinic.accounts.models import Clinic, Location, User
    from ketaclinic.patients.models import Patient
    from ketaclinic.scheduling.models import Appointment, Chair, OpeningHours, RosterShift

    clinic = Clinic.objects.get()
    zone = ZoneInfo(clinic.timezone)
    admin = User.objects.get(username="admin")
    locations = list(Location.objects.order_by("pk"))
    for n in range(len(locations), args.locations):
        locations.append(
            accounts.create_location(by=None, clinic=clinic, name=f"Branch {n + 1}", address=f"{n} Bench Rd", phone="")
        )
    full = {"has_infusion_pump": True, "has_monitor": True, "has_pulse_oximeter": True, "is_recliner": True}
    rng = random.Random(17)
    today = timezone.now().astimezone(zone).date()
    first = today - dt.timedelta(days=int(365 * args.years / 2))
    days = [first + dt.timedelta(days=n) for n in range(int(365 * args.years))]
    with transaction.atomic():
        for index, location in enumerate(locations):
            have = Chair.objects.filter(location=location, kind="chair").count()
            Chair.objects.bulk_create(
                Chair(location=location, label=f"Bench chair {n + 1}", **full) for n in range(have, args.chairs)
            )
            if location.name.startswith("Branch"):
                OpeningHours.objects.bulk_create(
                    OpeningHours(location=location, weekday=d, opens_at=dt.time(8), closes_at=dt.time(18))
                    for d in range(5)
                )
            else:  # the demo's locations keep their hours; weekdays widened to 08–18 like the branches
                OpeningHours.objects.filter(location=location, weekday__lt=5).update(
                    opens_at=dt.time(8), closes_at=dt.time(18)
                )
            nurses = User.objects.bulk_create(
                User(
                    username=f"bench.nurse{index}.{k}",
                    role="nurse",
                    clinic=clinic,
                    first_name="Bench",
                    last_name=f"N{k}",
                )
                for k in range(3)
            )
            for nurse in nurses:
                nurse.locations.add(location)
            RosterShift.objects.filter(location=location).delete()
            RosterShift.objects.bulk_create(
                RosterShift(
                    user=nurse,
                    location=location,
                    role="nurse",
                    starts_at=dt.datetime.combine(day, dt.time(7, 30), tzinfo=zone),
                    ends_at=dt.datetime.combine(day, dt.time(18, 30), tzinfo=zone),
                    created_by=admin,
                )
                for day in days
                if day.weekday() < 5
                for nurse in nurses
            )
            patients = Patient.objects.bulk_create(
                Patient(
                    mrn=f"BS{index:02d}{n:05d}",
                    given_name=f"Bench{n}",
                    family_name=f"Loc{index}",
                    date_of_birth=dt.date(1980, 1, 1),
                    sex="female",
                    location=location,
                )
                for n in range(200)
            )
    chairs_by_location = {
        loc.pk: list(Chair.objects.filter(location=loc, kind="chair", is_active=True)) for loc in locations
    }
    total = 0
    for location in locations:
        patients = list(Patient.objects.filter(location=location, mrn__startswith="BS").values_list("pk", flat=True))
        batch: list[Any] = []
        for day in days:
            if day.weekday() >= 5 or (today <= day < today + dt.timedelta(days=28) and location == locations[0]):
                continue  # Main Street's next four weeks stay as the demo booked them (the series is proposed there)
            for chair in chairs_by_location[location.pk]:
                for start in SLOT_STARTS:
                    if rng.random() >= args.fill:
                        continue
                    starts = dt.datetime.combine(day, start, tzinfo=zone)
                    status = (
                        rng.choices(["completed", "cancelled", "no_show"], [90, 7, 3])[0] if day < today else "booked"
                    )
                    batch.append(
                        Appointment(
                            patient_id=rng.choice(patients),
                            kind="infusion_iv",
                            location=location,
                            chair=chair,
                            starts_at=starts,
                            ends_at=starts + dt.timedelta(minutes=85),
                            status=status,
                            duration_basis=SEED_MARK,
                            created_by=admin,
                        )
                    )
            if len(batch) >= 5000:
                Appointment.objects.bulk_create(batch)
                total += len(batch)
                batch = []
        Appointment.objects.bulk_create(batch)
        total += len(batch)
    return {"locations": len(locations), "appointments": total}


def _time(runs: int, call: Callable[[], Any]) -> dict[str, float | int]:
    from django.db import connection

    for _ in range(3):
        call()
    queries: list[str] = []
    with connection.execute_wrapper(_Counter(queries)):
        call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": _percentile(times, 0.5), "p95_ms": _percentile(times, 0.95), "queries": len(queries)}


def run_one(args: argparse.Namespace) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
    django.setup()
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from ketaclinic.accounts.models import Location, User
    from ketaclinic.demo import clinic as demo
    from ketaclinic.plans.models import PlanVersion
    from ketaclinic.scheduling import services
    from ketaclinic.scheduling.models import Appointment
    from ketaclinic.scheduling.services import series, slots

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)
    seeded_s = 0.0
    if not Appointment.objects.filter(duration_basis=SEED_MARK).exists():
        started = time.perf_counter()
        if not demo.is_loaded():
            demo.load()
        print("  seeding ...", flush=True)
        grown = _grow(args)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        seeded_s = time.perf_counter() - started
        print(f"  seeded {grown['appointments']:,} appointments at {grown['locations']} locations", flush=True)
    desk = User.objects.get(username="frontdesk")
    main = Location.objects.get(name="Main Street")
    zone = ZoneInfo(main.clinic.timezone)
    tomorrow = timezone.now().astimezone(zone).date() + dt.timedelta(days=1)
    version = (
        PlanVersion.objects.filter(status="signed", plan__patient__location=main, orders__status="open")
        .distinct()
        .order_by("pk")
        .first()
    )
    assert version is not None, "no signed IV plan at Main Street"
    for appointment in Appointment.objects.filter(order__plan_version=version, status="booked"):
        services.cancel(by=desk, appointment=appointment, reason="Benchmark: the series is proposed afresh")
    order = version.orders.filter(status="open").order_by("session_number").first()
    busy = tomorrow + dt.timedelta(days=(7 - tomorrow.weekday()) % 7 + 35)  # a Monday five weeks on, fully seeded
    client = Client()
    _sign_in(client, desk)
    day_url = f"{reverse('schedule:day')}?location={main.pk}&date={busy:%Y-%m-%d}"

    def day_view() -> None:
        response = client.get(day_url)
        assert response.status_code == 200, response.status_code

    week_url = f"{reverse('schedule:week')}?location={main.pk}&week={busy:%Y-%m-%d}"

    def week_view() -> None:
        response = client.get(week_url)
        assert response.status_code == 200, response.status_code

    def propose() -> None:
        placed = series.propose(by=desk, version=version, location=main, start_date=tomorrow)
        assert len(placed) == 6, len(placed)

    def free() -> None:
        slots.free_slots(
            location=main,
            kind="infusion_iv",
            date_from=tomorrow,
            date_to=tomorrow + dt.timedelta(days=20),
            patient=version.plan.patient,
            order=order,
        )

    counts = {"appointments": Appointment.objects.count(), "locations": Location.objects.count()}
    pages = {"series (6 IV, 3 weeks)": propose, "slots (3 weeks)": free, "day view": day_view, "week view": week_view}
    return {
        "vendor": connection.vendor,
        "counts": counts,
        "seed_s": seeded_s,
        "pages": {name: _time(args.runs, call) for name, call in pages.items()},
    }


def _child(database: str, args: argparse.Namespace) -> dict[str, Any] | None:
    env = {**os.environ, "KETACLINIC_ENVIRONMENT": "demo", "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    if database == "sqlite":
        data_dir = Path(args.data_dir) / "sqlite"
        if args.reseed and data_dir.exists():
            for path in data_dir.iterdir():
                if path.is_file():
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
    command = [sys.executable, __file__, "--child", "--runs", str(args.runs), "--years", str(args.years)]
    command += ["--locations", str(args.locations), "--chairs", str(args.chairs), "--fill", str(args.fill)]
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
        f"{database}: {counts['appointments']:,} appointments at {counts['locations']} locations"
        + (f" (seeded in {result['seed_s']:.0f} s)" if result["seed_s"] else "")
    )
    print(f"  {'measure':<24} {'p50 ms':>8} {'p95 ms':>8} {'target':>8} {'p95/target':>11} {'queries':>8}  met")
    for name, page in result["pages"].items():
        ratio = page["p95_ms"] / TARGET_MS
        print(
            f"  {name:<24} {page['p50_ms']:8.1f} {page['p95_ms']:8.1f} {TARGET_MS:8.0f} {ratio:10.2f}× "
            f"{page['queries']:8d}  {'yes' if ratio <= 1 else 'NO'}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--locations", type=int, default=10)
    parser.add_argument("--chairs", type=int, default=12)
    parser.add_argument("--years", type=float, default=2.0, help="years of bookings, half past, half ahead")
    parser.add_argument("--fill", type=float, default=0.7, help="share of the seeded slots taken (default 0.7)")
    parser.add_argument("--runs", type=int, default=30, help="timed calls per measure (default 30)")
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--postgres-url", default=os.environ.get("SCHEDULE_BENCH_DATABASE_URL", DEFAULT_PG))
    parser.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "ketaclinic-schedule-bench"))
    parser.add_argument("--reseed", action="store_true", help="start from an empty database")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
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
