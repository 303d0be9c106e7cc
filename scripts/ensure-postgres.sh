#!/usr/bin/env bash
# Succeeds when the PostgreSQL server in DATABASE_URL ($1) answers; tries to start a local cluster first.
# In CI (CI=true) an unreachable server is an error, so CI can never pass by skipping PostgreSQL.
set -u
url="$1"
reachable() { .venv/bin/python - "$url" <<'PY'
import sys
import psycopg
url = sys.argv[1].rsplit("/", 1)[0] + "/postgres"
try:
    psycopg.connect(url, connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL check: {exc}", file=sys.stderr)
    raise SystemExit(1)
PY
}
if reachable 2>/dev/null; then exit 0; fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true; done
  sleep 2
fi
if reachable; then exit 0; fi
if [ "${CI:-}" = "true" ]; then
  echo "ERROR: PostgreSQL is required in CI and is not reachable at $url" >&2
  exit 2
fi
exit 1
