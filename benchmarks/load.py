"""Load benchmark (issue 13): simulated staff against ``ketaclinic serve`` on SQLite and PostgreSQL, with locust.

    python benchmarks/load.py [--databases sqlite postgres] [--users 40] [--duration 90] [--quick] [--no-step]

Per database: a fresh database (a new data directory; for PostgreSQL the database ``ketaclinic_load``, dropped and
created), migrated, the demo clinic loaded, and the benchmark's staff, patients, chairs and ledger stock created
through the services (benchmarks/load_world.py). Then ``ketaclinic serve --workers 3`` on a free port of 127.0.0.1,
and the load starts the moment the port opens (the first 30 s are reported on their own):

- every simulated member of staff signs in with their own account (password, then a current TOTP code from their
  own device) and, with a mean think time of 2 s, searches patients, opens charts, the floor board and its htmx
  polls, the dashboards, records vitals at their own chair through the form and through the API (bearer token,
  ``Idempotency-Key``), and records ledger administrations through the API (``Idempotency-Key``); 15 % of writes are
  sent a second time with the same key (or the same form token), and a write whose answer is lost (connection
  error, 5xx, 409 "still running") is retried with the same key, as a client should;
- mid-run a gunicorn worker is killed with SIGKILL, and ``ketaclinic backup`` runs while the load goes on;
- afterwards (optional) a step load runs 10, 20, 30, 40, 60, … users (``--steps``), each step measured after its
  new users have signed in, until the p95 passes 500 ms, and reports the throughput there;
- then the server stops, every write a client saw succeed is compared with the database (nothing lost, nothing
  doubled; benchmark rows that no client saw succeed are counted separately), and ``ketaclinic audit verify`` and
  ``ketaclinic ledger verify`` run.

Traffic goes only to 127.0.0.1; every phase is bounded in time, every loop in count. It prints a report and writes
it as JSON to ``--out`` (default ``$TMPDIR/ketaclinic-load/results.json``); it exits 0 (a report, not a gate) unless
the set-up fails.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import gevent
from load_server import (
    environment,
    free_port,
    fresh_postgres,
    postgres_reachable,
    server_cpu_seconds,
    stop_server,
    wait_for_port,
    worker_pids,
)
from load_stats import SIGN_IN_PREFIX, STEP_LIMIT_P95_MS, report, summarise
from locust import HttpUser, between, task
from locust.clients import HttpSession
from locust.env import Environment
from requests.cookies import RequestsCookieJar

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
KETACLINIC = str(BIN / "ketaclinic")
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/ketaclinic_load"
RETRY_SHARE = 0.15  # writes sent again with the same key
LOST_ANSWER_RETRIES = 3  # a write whose answer was lost is retried at most this often, with the same key
SIGN_IN_ATTEMPTS = 3
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- shared state of the run (one locust process, gevent greenlets) -------------------------------------------------


class Run:
    world: dict[str, Any] = {}
    accounts: list[dict[str, Any]] = []  # free accounts: a stopped user gives its account back
    writes: list[dict[str, Any]] = []
    samples: list[tuple[float, str, str, float, int, bool]] = []
    sign_in_failures: list[str] = []
    signed_in_at: list[float] = []
    phase = "main"
    t0 = 0.0


def on_request(
    request_type: str,
    name: str,
    response_time: float,
    response_length: int,
    response: Any = None,
    exception: Any = None,
    **_: Any,
) -> None:
    status = int(getattr(response, "status_code", 0) or 0) if response is not None else 0
    Run.samples.append(
        (time.monotonic() - Run.t0, Run.phase, name, float(response_time), status, exception is not None)
    )


def totp(key_hex: str, at: float) -> str:
    """RFC 6238 as django-otp's TOTPDevice computes it (SHA-1, 30 s, 6 digits, t0 = 0)."""
    counter = int(at // 30)
    digest = hmac.new(bytes.fromhex(key_hex), counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


class PlainHttpCookies(RequestsCookieJar):
    """Production cookies are Secure; the benchmark speaks plain HTTP to 127.0.0.1 where a TLS proxy would sit in
    front, so the client keeps them as plain cookies and sends them anyway (the server is unchanged)."""

    def set_cookie(self, cookie: Any, *args: Any, **kwargs: Any) -> Any:
        cookie.secure = False
        return super().set_cookie(cookie, *args, **kwargs)


class Staff(HttpUser):
    wait_time = between(1, 3)  # mean 2 s; --think changes it

    def on_start(self) -> None:
        self.ready = False  # a user who could not sign in stays idle (and is reported)
        self.account = Run.accounts.pop(0) if Run.accounts else None
        if self.account is None:
            Run.sign_in_failures.append("(no free account)")
            return
        self.client.cookies = PlainHttpCookies()
        self.api = HttpSession(base_url=self.host, request_event=self.environment.events.request, user=self)
        self.api.headers["Authorization"] = f"Bearer {self.account['token']}"
        self.location = self.account["location_id"]
        self.session_id = self.account["session_id"]
        if "vials" not in self.account:  # the account's stock, in 0.01 mL, kept with the account when it is reused
            self.account["vials"] = [
                {"id": c["id"], "balance": round(float(c["balance_ml"]) * 100)} for c in self.account["containers"]
            ]
        self.containers = self.account["vials"]
        charts = [p["pk"] for p in Run.world["demo_patients"] if p["location_id"] == self.location]
        self.charts = [*charts, self.account["patient_id"]]
        self.ready = self.sign_in()
        if self.ready:
            Run.signed_in_at.append(time.monotonic() - Run.t0)
        else:
            Run.sign_in_failures.append(self.account["username"])

    def on_stop(self) -> None:
        if getattr(self, "account", None) is not None:
            Run.accounts.append(self.account)
            self.account = None

    # --- sign-in: password, then the second factor -------------------------------------------------------------------

    def sign_in(self) -> bool:
        """The whole flow again (bounded) when a step got no answer or a 5xx, e.g. from the worker killed mid-run."""
        for _ in range(SIGN_IN_ATTEMPTS):
            outcome = self._sign_in_once()
            if outcome != "again":
                return outcome == "ok"
            self.client.cookies.clear()
            gevent.sleep(1)
        return False

    def _sign_in_once(self) -> str:
        def again(status: int) -> bool:
            return status == 0 or status >= 500

        page = self.client.get("/accounts/login/", name=f"{SIGN_IN_PREFIX}: page")
        match = CSRF.search(page.text or "")
        if match is None:
            return "again" if again(page.status_code) else "failed"
        with self.client.post(
            "/accounts/login/",
            data={
                "csrfmiddlewaretoken": match.group(1),
                "username": self.account["username"],
                "password": self.account["password"],
            },
            name=f"{SIGN_IN_PREFIX}: password",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302 or "verify" not in answer.headers.get("Location", ""):
                answer.failure(f"password step: {answer.status_code}")
                return "again" if again(answer.status_code) else "failed"
        for _ in range(SIGN_IN_ATTEMPTS):
            page = self.client.get("/accounts/login/verify/", name=f"{SIGN_IN_PREFIX}: code page")
            match = CSRF.search(page.text or "")
            if match is None:
                return "again" if again(page.status_code) else "failed"
            with self.client.post(
                "/accounts/login/verify/",
                data={"csrfmiddlewaretoken": match.group(1), "code": totp(self.account["totp_key_hex"], time.time())},
                name=f"{SIGN_IN_PREFIX}: code",
                allow_redirects=False,
                catch_response=True,
            ) as answer:
                if answer.status_code == 302:
                    return "ok"
                answer.failure(f"code step: {answer.status_code}")
                if again(answer.status_code):
                    return "again"
            gevent.sleep(30 - time.time() % 30 + 0.5)  # that window's code was used or late: wait for the next
        return "failed"

    # --- reads ----------------------------------------------------------------------------------------------------

    @task(3)
    def search(self) -> None:
        if not self.ready:
            return
        term = secrets.choice(Run.world["search_terms"])
        self.client.get(f"/patients/?q={term}", name="patient search")

    @task(3)
    def chart(self) -> None:
        if not self.ready:
            return
        self.client.get(f"/patients/{secrets.choice(self.charts)}/", name="patient chart")

    @task(1)
    def board(self) -> None:
        if not self.ready:
            return
        self.client.get(f"/sessions/board/?location={self.location}", name="floor board")

    @task(4)
    def board_poll(self) -> None:
        if not self.ready:
            return
        self.client.get(
            f"/sessions/board/chairs/?location={self.location}",
            name="floor board poll",
            headers={"HX-Request": "true", "KC-Background": "1"},
        )

    @task(1)
    def dashboards(self) -> None:
        if not self.ready:
            return
        self.client.get("/staff/", name="staff dashboard")
        if self.account["role"] == "prescriber":
            self.client.get("/outcomes/dashboard/", name="outcomes dashboard")

    # --- writes ---------------------------------------------------------------------------------------------------

    @task(2)
    def vitals_form(self) -> None:
        if not self.ready:
            return
        page = self.client.get(f"/sessions/{self.session_id}/", name="chair page")
        form = re.search(rf'action="/sessions/{self.session_id}/vitals/".*?</form>', page.text or "", flags=re.DOTALL)
        if form is None:
            return
        fields = dict(re.findall(r'name="(csrfmiddlewaretoken|version|token)" value="([^"]*)"', form.group(0)))
        if not {"csrfmiddlewaretoken", "version", "token"} <= fields.keys():
            return
        data = {**fields, **_vital_values(), "moaas": "5"}
        sends = 2 if secrets.randbelow(100) < RETRY_SHARE * 100 else 1
        confirmed = False
        for attempt in range(sends + LOST_ANSWER_RETRIES):
            with self.client.post(
                f"/sessions/{self.session_id}/vitals/",
                data=data,
                name="vitals (form)" if attempt == 0 else "vitals (form, resent)",
                allow_redirects=False,
                catch_response=True,
            ) as answer:
                if answer.status_code == 302:
                    confirmed = True
                    answer.success()
                else:
                    answer.failure(f"{answer.status_code}")
                    if answer.status_code and answer.status_code < 500 and answer.status_code != 409:
                        break  # a refusal: nothing was written, nothing to retry
            if confirmed and attempt + 1 >= sends:
                break
        if confirmed:
            Run.writes.append(
                {"kind": "vitals_form", "key": fields["token"], "session_id": self.session_id, "retried": sends > 1}
            )

    @task(2)
    def vitals_api(self) -> None:
        if not self.ready:
            return
        body = {**{k: int(v) for k, v in _vital_values().items()}, "moaas": 5}
        self._api_write("vitals_api", f"/api/v1/sessions/{self.session_id}/vitals", body, "vitals (API)", ("id",))

    @task(2)
    def ledger_administration(self) -> None:
        if not self.ready:
            return
        container = next((c for c in self.containers if c["balance"] >= 5), None)
        if container is None:
            return
        body = {
            "container_id": container["id"],
            "patient_id": self.account["patient_id"],
            "quantity_ml": "0.05",
            "session_reference": f"load benchmark, chair {self.session_id}",
        }
        if self._api_write(
            "ledger_admin",
            "/api/v1/ledger/administrations",
            body,
            "ledger administration (API)",
            ("entry", "id"),
            container_id=container["id"],
        ):
            container["balance"] -= 5

    def _api_write(
        self, kind: str, path: str, body: dict[str, Any], name: str, id_path: tuple[str, ...], **extra: Any
    ) -> bool:
        key = str(uuid.uuid4())
        sends = 2 if secrets.randbelow(100) < RETRY_SHARE * 100 else 1
        ids: list[int] = []
        for attempt in range(sends + LOST_ANSWER_RETRIES):
            self.api.cookies.clear()  # a bearer-token client: no session cookie
            with self.api.post(
                path,
                json=body,
                headers={"Idempotency-Key": key},
                name=name if attempt == 0 else f"{name}, same key again",
                catch_response=True,
            ) as answer:
                if answer.status_code in (200, 201):
                    try:
                        value: Any = answer.json()
                        for part in id_path:
                            value = value[part]
                        ids.append(int(value))
                        answer.success()
                    except (ValueError, KeyError, TypeError):
                        answer.failure("no id in the answer")
                else:
                    answer.failure(f"{answer.status_code}: {(answer.text or '')[:120]}")
                    if answer.status_code and answer.status_code < 500 and answer.status_code != 409:
                        break  # refused (4xx): nothing was written
                    gevent.sleep(0.5)
            if ids and attempt + 1 >= sends:
                break
        if ids:
            Run.writes.append(
                {
                    "kind": kind,
                    "key": key,
                    "id": ids[0],
                    "retried": len(ids) > 1,
                    "retry_mismatch": len(set(ids)) > 1,
                    **extra,
                }
            )
        return bool(ids)


def _vital_values() -> dict[str, str]:
    return {
        "systolic_mmhg": str(112 + secrets.randbelow(20)),
        "diastolic_mmhg": str(70 + secrets.randbelow(12)),
        "heart_rate_per_min": str(64 + secrets.randbelow(20)),
        "spo2_percent": str(96 + secrets.randbelow(4)),
        "respiratory_rate_per_min": str(12 + secrets.randbelow(6)),
    }


# --- one database -----------------------------------------------------------------------------------------------------


def run_database(database: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    data_dir = work / database
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    env = environment(database, data_dir, args.postgres_url)
    if database == "postgres":
        fresh_postgres(args.postgres_url)
    accounts = max(args.users, max(args.steps) if args.step else 0)
    print(f"\n=== {database}: setting up ({accounts} staff accounts, each with a chair) …", flush=True)
    world_file = data_dir / "world.json"
    setup_env = {**env, "KETACLINIC_ENVIRONMENT": "demo"}  # the demo loader's witness signatures are demo-only
    with (data_dir / "setup.log").open("w") as setup_log:
        done = subprocess.run(  # noqa: S603
            [
                sys.executable,
                str(REPO / "benchmarks" / "load_world.py"),
                "setup",
                str(world_file),
                "--accounts",
                str(accounts),
            ],
            env=setup_env,
            stdout=setup_log,
            stderr=subprocess.STDOUT,
            timeout=900,
        )
    tail = (data_dir / "setup.log").read_text(errors="replace").strip().splitlines()[-15:]
    if done.returncode != 0:
        raise SystemExit("set-up failed:\n" + "\n".join(tail))
    print(tail[-1] if tail else "", flush=True)
    Run.world = json.loads(world_file.read_text())
    Run.accounts = list(Run.world["accounts"])
    Run.writes, Run.samples, Run.sign_in_failures, Run.signed_in_at = [], [], [], []
    port = free_port()
    log = (data_dir / "server.log").open("wb")
    server = subprocess.Popen(  # noqa: S603
        [KETACLINIC, "serve", "--workers", str(args.workers), "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    result: dict[str, Any] = {
        "database": database,
        "users": args.users,
        "think_s": args.think,
        "workers": args.workers,
        "setup_s": Run.world["setup_seconds"],
    }
    try:
        launched = time.monotonic()
        if not wait_for_port(port, server, timeout=120):
            raise SystemExit(f"the server did not open port {port}: see {data_dir / 'server.log'}")
        result["server_start_s"] = round(time.monotonic() - launched, 1)
        Staff.wait_time = between(max(0.0, args.think - 1), args.think + 1)
        env_locust = Environment(user_classes=[Staff], host=f"http://127.0.0.1:{port}", stop_timeout=20)
        env_locust.events.request.add_listener(on_request)
        runner = env_locust.create_local_runner()
        Run.t0, Run.phase = time.monotonic(), "main"
        cpu_start, own_start, load_start = server_cpu_seconds(server.pid), os.times(), os.getloadavg()
        runner.start(args.users, spawn_rate=args.users)  # all at once: the first 30 s include every sign-in
        events: dict[str, Any] = {}

        def kill_worker() -> None:
            pids = worker_pids(server.pid)
            if not pids:
                events["kill"] = "no worker found"
                return
            os.kill(pids[0], signal.SIGKILL)
            at = round(time.monotonic() - Run.t0, 1)
            gevent.sleep(5)
            events["kill"] = {"at_s": at, "pid": pids[0], "workers_5s_later": len(worker_pids(server.pid))}

        def backup() -> None:
            target = data_dir / ("backup.sqlite3" if database == "sqlite" else "backup.dump")
            started = time.monotonic()
            at = round(started - Run.t0, 1)
            done = subprocess.run(  # noqa: S603
                [KETACLINIC, "backup", str(target)], env=env, capture_output=True, text=True, timeout=300
            )
            info: dict[str, Any] = {
                "at_s": at,
                "exit": done.returncode,
                "seconds": round(time.monotonic() - started, 1),
                "bytes": target.stat().st_size if target.exists() else 0,
                "output": (done.stdout + done.stderr).strip()[-300:],
            }
            if database == "sqlite" and target.exists():
                with sqlite3.connect(target) as db:
                    info["integrity_check"] = db.execute("PRAGMA integrity_check").fetchone()[0]
            events["backup"] = info

        gevent.spawn_later(args.duration * 0.4, kill_worker)
        gevent.spawn_later(args.duration * 0.6, backup)
        gevent.sleep(args.duration)
        main_end = time.monotonic() - Run.t0
        main = [s for s in Run.samples if s[1] == "main"]
        result["main"] = summarise(main, main_end)
        cpu = server_cpu_seconds(server.pid) - cpu_start
        own_end = os.times()
        result["machine"] = {
            "server_cpu_s": round(cpu, 1),
            "server_cpu_ms_per_request": round(1000 * cpu / max(1, len(main)), 1),
            "generator_cpu_s": round(own_end.user + own_end.system - own_start.user - own_start.system, 1),
            "load_average_1min_start_end": [round(load_start[0], 1), round(os.getloadavg()[0], 1)],
            "cores": os.cpu_count(),
        }
        result["first_30s"] = summarise([s for s in main if s[0] <= 30], min(30.0, main_end))
        all_in = max(Run.signed_in_at[: args.users], default=main_end)
        result["all_signed_in_at_s"] = round(all_in, 1)
        result["after_sign_in"] = summarise([s for s in main if s[0] > all_in], max(0.1, main_end - all_in))
        result["events"] = events
        steps: list[dict[str, Any]] = []
        if args.step:
            for users in args.steps:
                Run.phase = f"step {users}"
                runner.start(users, spawn_rate=max(10, abs(users - runner.user_count)))
                gevent.sleep(args.settle)  # new users sign in (Argon2) first: not measured
                start = time.monotonic() - Run.t0
                gevent.sleep(args.step_seconds)
                seconds = time.monotonic() - Run.t0 - start
                summary = summarise([s for s in Run.samples if s[1] == Run.phase and s[0] >= start], seconds)
                total = summary["all (p-values without sign-in)"]
                steps.append(
                    {
                        "users": users,
                        "rps": total["rps"],
                        "p50": total["p50"],
                        "p95": total["p95"],
                        "p99": total["p99"],
                        "failures": total["failures"],
                        "5xx": total["5xx"],
                    }
                )
                print(f"  step {users} users: {total['rps']} rps, p95 {total['p95']} ms", flush=True)
                if total["p95"] > STEP_LIMIT_P95_MS:
                    break
        result["steps"] = steps
        Run.phase = "stopping"
        runner.quit()
        gevent.sleep(0.5)
        result["sign_in_failures"] = Run.sign_in_failures
        result["total_5xx"] = sum(1 for s in Run.samples if s[4] >= 500)
    finally:
        stop_server(server)
        log.close()
    writes_file = data_dir / "writes.json"
    writes_file.write_text(json.dumps(Run.writes))
    check_file = data_dir / "check.json"
    subprocess.run(  # noqa: S603
        [sys.executable, str(REPO / "benchmarks" / "load_world.py"), "check", str(writes_file), str(check_file)],
        env=env,
        timeout=300,
        capture_output=True,
    )
    result["check"] = json.loads(check_file.read_text()) if check_file.exists() else {"error": "check failed"}
    for name, command in (("audit_verify", ["audit", "verify"]), ("ledger_verify", ["ledger", "verify"])):
        done = subprocess.run([KETACLINIC, *command], env=env, capture_output=True, text=True, timeout=600)  # noqa: S603
        result[name] = {"exit": done.returncode, "output": (done.stdout + done.stderr).strip()[-400:]}
    result["server_log_5xx_lines"] = sum(
        1 for line in (data_dir / "server.log").read_text(errors="replace").splitlines() if re.search(r'" 5\d\d ', line)
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", nargs="+", choices=("sqlite", "postgres"), default=["sqlite", "postgres"])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--think", type=float, default=2.0, help="mean think time in seconds (uniform ±1 s)")
    parser.add_argument("--duration", type=float, default=90, help="seconds of the main phase")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--no-step", dest="step", action="store_false", help="skip the step load")
    parser.add_argument(
        "--steps", type=int, nargs="+", default=[10, 20, 30, 40, 60, 80, 100, 120], help="users per step"
    )
    parser.add_argument("--step-seconds", type=float, default=20, help="measured seconds per step")
    parser.add_argument("--settle", type=float, default=8, help="seconds after a step starts before measuring")
    parser.add_argument("--quick", action="store_true", help="30 s main phase, 10 s steps")
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "ketaclinic-load")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.quick:
        args.duration, args.step_seconds, args.settle = 30, 10, 5
    for bound, name in ((args.duration, "--duration"), (args.step_seconds, "--step-seconds")):
        if not 5 <= bound <= 1800:
            parser.error(f"{name} must be between 5 and 1800 seconds")
    if not 1 <= args.users <= 500 or any(not 1 <= n <= 500 for n in args.steps):
        parser.error("users must be between 1 and 500")
    args.work_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for database in args.databases:
        if database == "postgres" and not postgres_reachable(args.postgres_url):
            print(f"\n!!! PostgreSQL is not reachable at {args.postgres_url}: the PostgreSQL run was SKIPPED !!!")
            results.append({"database": database, "skipped": "PostgreSQL not reachable"})
            continue
        result = run_database(database, args, args.work_dir)
        report(result)
        results.append(result)
    out = args.out or args.work_dir / "results.json"
    out.write_text(json.dumps(results, indent=1))
    print(f"\nresults written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
