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

It always exits 0 (a report, not a gate).
"""

from __future__ import annotations

import argparse
import functools
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
    """Seconds spent in wrapped functions, by stage; nested calls of the same stage count once."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {"simulation": 0.0, "drawing": 0.0}
        self._depth: dict[str, int] = {"simulation": 0, "drawing": 0}

    def wrap(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._depth[stage] += 1
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self._depth[stage] -= 1
                if self._depth[stage] == 0:
                    self.seconds[stage] += time.perf_counter() - started

        return timed

    def reset(self) -> None:
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


def _clear(module: Any) -> None:
    clear = getattr(module.preview, "cache_clear", None)
    if clear is not None:
        clear()


def run(runs: int) -> list[dict[str, Any]]:
    stages = Stages()
    module = _instrument(stages)
    module.preview(**PATIENT, **PLANS["IV 0.5 mg/kg over 40 min"])  # warm-up: imports, fonts, first figure
    module.preview(**PATIENT, **PLANS["esketamine 56 mg"])
    rows = []
    for label, plan in PLANS.items():
        changed: list[float] = []
        cpu: list[float] = []
        simulation: list[float] = []
        drawing: list[float] = []
        for _ in range(runs):
            _clear(module)
            stages.reset()
            started, started_cpu = time.perf_counter(), time.process_time()
            module.preview(**PATIENT, **plan)
            changed.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            simulation.append(stages.seconds["simulation"])
            drawing.append(stages.seconds["drawing"])
        same: list[float] = []
        for _ in range(runs):
            started = time.perf_counter()
            module.preview(**PATIENT, **plan)
            same.append(time.perf_counter() - started)
        rows.append(
            {
                "plan": label,
                "changed": [1000 * s for s in changed],
                "cpu": [1000 * s for s in cpu],
                "same": [1000 * s for s in same],
                "simulation": 1000 * statistics.median(simulation),
                "drawing": 1000 * statistics.median(drawing),
                "rest": 1000
                * statistics.median(t - a - b for t, a, b in zip(changed, simulation, drawing, strict=True)),
            }
        )
    return rows


def report(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'plan':27} {'request':8} {'p50 ms':>8} {'p95 ms':>8} {'p95/150':>8} {'CPU p95':>8}"
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
            print(f"{name:27} {kind:8} {p50:8.1f} {p95:8.1f} {p95 / TARGET_MS:7.2f}× {cpu:>8}   {where}")
    met = "met" if worst <= TARGET_MS else "NOT met"
    print(
        f"target p95 ≤ {TARGET_MS:g} ms for every plan and request: {met} (worst p95 {worst:.1f} ms wall, "
        f"{worst_cpu:.1f} ms CPU of this process)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="requests per plan and kind (default 30)")
    args = parser.parse_args(argv)
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaclinic.settings")
    try:
        with open("/proc/loadavg") as handle:
            print(f"load average before: {' '.join(handle.read().split()[:3])}")
    except OSError:
        pass
    report(run(max(2, args.runs)))
    try:
        with open("/proc/loadavg") as handle:
            print(f"load average after: {' '.join(handle.read().split()[:3])} (on {os.cpu_count()} CPUs)")
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
