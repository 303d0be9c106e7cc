"""Speed of the plan page's PK preview (issue 16 item 15): ``make bench`` or ``python benchmarks/preview_bench.py``.

Times ``ketaclinic.plans.preview.preview`` — the function the plan form's live panel, the signed version page and
``POST /api/v1/plans/pk-preview`` call — for realistic plans of a 70 kg patient (typical curve, 500-subject
population band, and for racemic routes the comparison of the five routes at equal systemic exposure):

- IV 0.5 mg/kg over 40 min (35 mg), the standard depression infusion;
- esketamine 56 mg and 84 mg (two and three devices, 5 min apart);
- IM 0.5 mg/kg (35 mg).

Two kinds of request, each ``--runs`` times per plan after a warm-up (imports, first figure):

- ``changed``: a PK input changed since the last request (the dose, the weight ...), so nothing of this plan is
  cached: the preview cache (if the preview has one) is cleared before each request;
- ``same``: the form was sent again with the same PK inputs (the prescriber changed a field the preview does not
  read, or the htmx panel re-evaluated): what caching gives.

For each it prints p50 and p95 in ms and p95 ÷ 150 ms (the target; ≤ 1 meets it), and for ``changed`` the p95 of the
CPU time the process used (what the request costs without other jobs competing for the cores) and where the time
goes: simulation (``pk.simulate``, ``pk.simulate_population`` and the band's percentiles), drawing (the chart
functions the preview calls) and the rest (summaries, base64, copies). The stages are timed by wrapping those functions
in this process, so the same script measures older code too (``PYTHONPATH=/path/to/other/checkout``).

Then (unless ``--no-requests``) the same through the whole request the plan page sends on a form change: Django's
test client, signed in as a prescriber, posts the plan form with ``action=preview`` and ``HX-Request`` (what htmx
sends) for a 70 kg patient with a signed eligibility decision, on a fresh SQLite database in a temporary directory
(``KETACLINIC_ENVIRONMENT=demo``; migrating and loading the demo clinic takes ~30–60 s). Its "rest" is the plan's
evaluation, the session, the audit and the template. The 84 mg esketamine plan previews its day-1 dose (56 mg), as
the page does.

It always exits 0 (a report, not a gate).
"""

from __future__ import annotations

import argparse
import atexit
import functools
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

TARGET_MS = 150.0
PATIENT: dict[str, Any] = {"weight_kg": 70.0, "age_years": 45.0, "sex": "female", "height_cm": 168.0}
PLANS: dict[str, dict[str, Any]] = {
    "IV 0.5 mg/kg over 40 min": {"route": "iv", "dose_mg": 35.0, "duration_min": 40.0},
    "esketamine 56 mg": {"route": "intranasal_esketamine", "dose_mg": 56.0, "duration_min": None},
    "esketamine 84 mg": {"route": "intranasal_esketamine", "dose_mg": 84.0, "duration_min": None},
    "IM 0.5 mg/kg": {"route": "im", "dose_mg": 35.0, "duration_min": None},
}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = (len(ordered) - 1) * q
    low, high = int(index), min(int(index) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


class Stages:
    """Seconds spent in wrapped functions, by stage. Only the outermost wrapped call counts, to its own stage: the
    band's percentiles computed inside a chart function are drawing time, not simulation time."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {"simulation": 0.0, "drawing": 0.0}
        self._depth = 0

    def wrap(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._depth += 1
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self.seconds[stage] += time.perf_counter() - started

        return timed

    def reset(self) -> None:
        self._depth = 0
        for stage in self.seconds:
            self.seconds[stage] = 0.0


def _instrument(stages: Stages) -> Any:
    """Wrap the simulation and drawing functions the preview module reaches; returns the preview module."""
    from ketaclinic.domain import pk
    from ketaclinic.domain.pk import results
    from ketaclinic.plans import preview as module

    for name in ("simulate", "simulate_population"):
        setattr(pk, name, stages.wrap("simulation", getattr(pk, name)))
    results.PopulationResult.percentiles = stages.wrap(  # type: ignore[method-assign]
        "simulation", results.PopulationResult.percentiles
    )
    for name in dir(module):
        value = getattr(module, name)
        if callable(value) and (name.startswith("render_") or name in ("_comparison_chart", "_draw_charts")):
            setattr(module, name, stages.wrap("drawing", value))
    return module


FORMS: dict[str, dict[str, str]] = {
    "IV 0.5 mg/kg over 40 min": {
        "protocol_id": "depression_iv",
        "dose_mode": "mg_per_kg",
        "dose_mg_per_kg": "0.5",
        "infusion_duration_min": "40",
        "concentration_mg_per_ml": "10",
        "bag_volume_ml": "100",
    },
    "esketamine 56 mg": {"protocol_id": "esketamine", "dose_mode": "fixed_mg", "fixed_dose_mg": "56"},
    "esketamine 84 mg (day 1 56 mg)": {"protocol_id": "esketamine", "dose_mode": "fixed_mg", "fixed_dose_mg": "84"},
    "IM 0.5 mg/kg": {
        "protocol_id": "depression_im",
        "dose_mode": "mg_per_kg",
        "dose_mg_per_kg": "0.5",
        "concentration_mg_per_ml": "50",
        "syringe_volume_ml": "3",
    },
}


def _clear(module: Any) -> None:
    clear = getattr(module.preview, "cache_clear", None)
    if clear is not None:
        clear()


def _measure(stages: Stages, module: Any, runs: int, label: str, call: Callable[[], Any]) -> dict[str, Any]:
    changed: list[float] = []
    cpu: list[float] = []
    simulation: list[float] = []
    drawing: list[float] = []
    for _ in range(runs):
        _clear(module)
        stages.reset()
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        changed.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        simulation.append(stages.seconds["simulation"])
        drawing.append(stages.seconds["drawing"])
    same: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        same.append(time.perf_counter() - started)
    return {
        "plan": label,
        "changed": [1000 * s for s in changed],
        "cpu": [1000 * s for s in cpu],
        "same": [1000 * s for s in same],
        "simulation": 1000 * statistics.median(simulation),
        "drawing": 1000 * statistics.median(drawing),
        "rest": 1000 * statistics.median(t - a - b for t, a, b in zip(changed, simulation, drawing, strict=True)),
    }


def run_requests(stages: Stages, module: Any, runs: int) -> list[dict[str, Any]]:
    """The plan form's live-panel request through Django's test client (a fresh SQLite database)."""
    import datetime as dt
    import tempfile
    from decimal import Decimal
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))  # tests.intake.factories signs the eligibility decision through the services
    os.environ["KETACLINIC_ENVIRONMENT"] = "demo"
    data_dir = tempfile.mkdtemp(prefix="ketaclinic-preview-bench-")
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    os.environ["KETACLINIC_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from ketaclinic.accounts.models import User
    from ketaclinic.demo import clinic as demo_clinic
    from ketaclinic.patients import services as patients
    from tests.intake.factories import signed_decision

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the demo's alert e-mails
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    demo_clinic.load()
    prescriber = User.objects.get(username="prescriber")
    location = prescriber.locations.order_by("pk").first()
    patient = patients.create_patient(
        by=None,
        location=location,
        primary_clinician=prescriber,
        data={
            "given_name": "Bench",
            "family_name": "Preview",
            "date_of_birth": dt.date(1981, 3, 14),
            "sex": "female",
            "phone": "(217) 555-0199",
            "email": "bench.preview@example.org",
            "address_line1": "1 Test St",
            "city": "Springfield",
            "state": "IL",
            "postal_code": "62701",
            "emergency_contact_name": "Sam Preview",
            "emergency_contact_phone": "(217) 555-0198",
            "emergency_contact_relationship": "spouse",
        },
    )
    patients.record_measurement(by=prescriber, patient=patient, weight_kg=Decimal("70"), height_cm=Decimal("168"))
    signed_decision(patient=patient, prescriber=prescriber, routes=["iv", "im", "intranasal_esketamine"])
    client = Client()
    _sign_in(client, prescriber)
    url = reverse("plans:plan_create", args=[patient.pk])
    print(f"requests: fresh SQLite database, demo clinic and patient ready in {time.perf_counter() - started:.0f} s")
    rows = []
    for label, fields in FORMS.items():
        data = {
            "indication": "treatment_resistant_depression",
            "start_date": timezone.localdate().isoformat(),
            "action": "preview",
            **fields,
        }

        def post(data: dict[str, str] = data, label: str = label) -> None:
            response = client.post(url, data, HTTP_HX_REQUEST="true")
            body = response.content.decode()
            if response.status_code != 200 or "data:image/svg+xml" not in body:
                raise SystemExit(f"{label}: no preview chart in the response ({response.status_code})")

        post()  # warm-up: templates, URLconf, the first evaluation
        rows.append(_measure(stages, module, runs, label, post))
    if os.environ.get("PREVIEW_BENCH_PROFILE"):  # where a cached request's time goes
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(lambda: [post() for _ in range(20)])
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    return rows


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


def run(stages: Stages, module: Any, runs: int) -> list[dict[str, Any]]:
    """The preview function, as the view calls it."""
    module.preview(**PATIENT, **PLANS["IV 0.5 mg/kg over 40 min"])  # warm-up: imports, fonts, first figure
    module.preview(**PATIENT, **PLANS["esketamine 56 mg"])
    return [
        _measure(stages, module, runs, label, lambda plan=plan: module.preview(**PATIENT, **plan))
        for label, plan in PLANS.items()
    ]


def report(heading: str, rows: list[dict[str, Any]]) -> None:
    print(heading)
    print(
        f"{'plan':31} {'request':8} {'p50 ms':>8} {'p95 ms':>8} {'p95/150':>8} {'CPU p95':>8}"
        "   where the time goes (medians, ms)"
    )
    worst = worst_cpu = 0.0
    for row in rows:
        for kind in ("changed", "same"):
            p50, p95 = _percentile(row[kind], 0.5), _percentile(row[kind], 0.95)
            worst = max(worst, p95)
            where, cpu = "", ""
            if kind == "changed":
                cpu_p95 = _percentile(row["cpu"], 0.95)
                worst_cpu = max(worst_cpu, cpu_p95)
                cpu = f"{cpu_p95:8.1f}"
                where = f"simulation {row['simulation']:6.1f}  drawing {row['drawing']:6.1f}  rest {row['rest']:5.1f}"
            name = row["plan"] if kind == "changed" else ""
            print(f"{name:31} {kind:8} {p50:8.1f} {p95:8.1f} {p95 / TARGET_MS:7.2f}× {cpu:>8}   {where}")
    met = "met" if worst <= TARGET_MS else "NOT met"
    print(
        f"target p95 ≤ {TARGET_MS:g} ms for every plan and request: {met} (worst p95 {worst:.1f} ms wall, "
        f"{worst_cpu:.1f} ms CPU of this process)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="requests per plan and kind (default 30)")
    parser.add_argument("--no-requests", action="store_true", help="time the preview function only")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
    try:
        with open("/proc/loadavg") as handle:
            print(f"load average before: {' '.join(handle.read().split()[:3])}")
    except OSError:
        pass
    stages = Stages()
    module = _instrument(stages)
    runs = max(2, args.runs)
    report("preview function (plans.preview.preview, what the views and the API call):", run(stages, module, runs))
    if not args.no_requests:
        rows = run_requests(stages, module, runs)
        report("live-panel request (htmx POST of the plan form, Django test client, SQLite):", rows)
    try:
        with open("/proc/loadavg") as handle:
            print(f"load average after: {' '.join(handle.read().split()[:3])} (on {os.cpu_count()} CPUs)")
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
