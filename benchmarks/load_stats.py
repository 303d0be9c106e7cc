"""Statistics and the printed report of the load benchmark (benchmarks/load.py)."""

from __future__ import annotations

import json
from typing import Any

SIGN_IN_PREFIX = "sign-in"  # the sign-in steps, reported apart from the work
TARGET_P95_MS = 300  # issue 13: p95 under 300 ms at 2 s mean think time
STEP_LIMIT_P95_MS = 500  # the step load reports the throughput where p95 passes this


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def summarise(samples: list[tuple[float, str, str, float, int, bool]], seconds: float) -> dict[str, Any]:
    by_name: dict[str, list[tuple[float, int, bool]]] = {}
    for _, _, name, rt, status, failed in samples:
        by_name.setdefault(name, []).append((rt, status, failed))
    ops = {}
    for name in sorted(by_name):
        rows = by_name[name]
        times = [rt for rt, _, _ in rows]
        ops[name] = {
            "count": len(rows),
            "rps": round(len(rows) / seconds, 2) if seconds else 0,
            "p50": round(percentile(times, 0.50), 1),
            "p95": round(percentile(times, 0.95), 1),
            "p99": round(percentile(times, 0.99), 1),
            "failures": sum(1 for _, _, failed in rows if failed),
            "4xx": sum(1 for _, status, _ in rows if 400 <= status < 500),
            "5xx": sum(1 for _, status, _ in rows if status >= 500),
            "no_answer": sum(1 for _, status, _ in rows if status == 0),
        }
    work = [rt for _, _, name, rt, _, _ in samples if not name.startswith(SIGN_IN_PREFIX)]
    total = {
        "count": len(samples),
        "rps": round(len(samples) / seconds, 2) if seconds else 0,
        "p50": round(percentile(work, 0.50), 1),
        "p95": round(percentile(work, 0.95), 1),
        "p99": round(percentile(work, 0.99), 1),
        "failures": sum(1 for s in samples if s[5]),
        "4xx": sum(1 for s in samples if 400 <= s[4] < 500),
        "5xx": sum(1 for s in samples if s[4] >= 500),
        "no_answer": sum(1 for s in samples if s[4] == 0),
    }
    return {"seconds": round(seconds, 1), "operations": ops, "all (p-values without sign-in)": total}


def print_table(title: str, summary: dict[str, Any]) -> None:
    print(f"\n{title} ({summary['seconds']} s)")
    print(
        f"  {'operation':<44}{'count':>7}{'rps':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'fail':>6}{'4xx':>6}{'5xx':>6}{'no ans':>7}"
    )
    total = ("ALL (p-values without sign-in)", summary["all (p-values without sign-in)"])
    rows = [*summary["operations"].items(), total]
    for name, row in rows:
        print(
            f"  {name:<44}{row['count']:>7}{row['rps']:>8}{row['p50']:>9}{row['p95']:>9}{row['p99']:>9}"
            f"{row['failures']:>6}{row['4xx']:>6}{row['5xx']:>6}{row['no_answer']:>7}"
        )


def report(result: dict[str, Any]) -> None:
    db = result["database"]
    print_table(
        f"{db}: {result['users']} staff, mean think {result['think_s']} s, {result['workers']} workers", result["main"]
    )
    print_table(f"{db}: the first 30 s after the port opened", result["first_30s"])
    print_table(f"{db}: after every user had signed in (at {result['all_signed_in_at_s']} s)", result["after_sign_in"])
    events = result.get("events", {})
    print(f"\n  machine during the main phase: {result.get('machine')}")
    print(f"  kill -9 of a worker: {events.get('kill')}")
    print(f"  backup during the run: {events.get('backup')}")
    if result.get("steps"):
        print("  step load (mean think time as above; p-values without sign-in):")
        for step in result["steps"]:
            print(
                f"    {step['users']:>4} users  {step['rps']:>7} rps  p50 {step['p50']:>7} ms  p95 {step['p95']:>7} ms"
                f"  p99 {step['p99']:>7} ms  failures {step['failures']}  5xx {step['5xx']}"
            )
        over = next((s for s in result["steps"] if s["p95"] > STEP_LIMIT_P95_MS), None)
        print(
            f"    p95 passes {STEP_LIMIT_P95_MS} ms: "
            + (f"at {over['users']} users, {over['rps']} rps" if over else "not within the stages run")
        )
    check = result["check"]
    print(f"  writes check: {json.dumps(check)}")
    print(f"  audit verify: exit {result['audit_verify']['exit']} — {result['audit_verify']['output']}")
    print(f"  ledger verify: exit {result['ledger_verify']['exit']} — {result['ledger_verify']['output']}")
    total = result["main"]["all (p-values without sign-in)"]
    verdicts = {
        "0 × 5xx (whole run)": result.get("total_5xx", 0) == 0,
        "0 lost or doubled": bool(check.get("ok")),
        "chains intact": result["audit_verify"]["exit"] == 0 and result["ledger_verify"]["exit"] == 0,
        f"p95 < {TARGET_P95_MS} ms (main phase)": total["p95"] < TARGET_P95_MS,
        f"p95 < {TARGET_P95_MS} ms (main phase, after every sign-in)": result["after_sign_in"][
            "all (p-values without sign-in)"
        ]["p95"]
        < TARGET_P95_MS,
        "every staff member signed in": not result.get("sign_in_failures"),
    }
    for name, ok in verdicts.items():
        print(f"  {'met    ' if ok else 'NOT MET'}  {name}")
    result["targets"] = verdicts
