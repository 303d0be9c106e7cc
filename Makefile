# ketaclinic — the two set-up commands are `make demo` and `make test` (README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/ketaclinic
DEMO_DIR ?= demo-data
# The two database passes each run on pytest-xdist workers: one per core of the 2-core reference machine (a worker
# has its own test database, suffixed _gw0, _gw1, …, its own live server and its own Chromium). PYTEST_WORKERS=0
# runs a pass in one process, as before.
PYTEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -p no:cacheprovider

# Let Python keep compiled bytecode (__pycache__, ignored by git) even where the environment says not to
# (PYTHONDONTWRITEBYTECODE): otherwise every pytest process, every xdist worker and every `ketaclinic` subprocess the
# suite starts compiles ketaclinic and re-rewrites the tests' and plugins' assertions from source again.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: demo test check test-domain test-sqlite test-postgres test-browser-deps bench load clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed-run

## demo: install, create the demo clinic in $(DEMO_DIR)/ (SQLite), print the logins and serve on :8000
demo: $(VENV)/.installed-run
	$(BIN)/ketaclinic demo --data-dir $(DEMO_DIR)

## test: install the test tools, then lint, types, migrations, deploy checks, and the suite on SQLite and PostgreSQL.
## The checks, the domain suite and the browser's install are each one process (mypy, pytest with coverage, apt) and
## need nothing from each other: they run side by side (-j3), each target's output printed whole when it ends (-O).
test: $(VENV)/.installed-dev
	$(MAKE) --no-print-directory -j3 --output-sync=target check test-domain test-browser-deps
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

## check: ruff (lint + format), mypy, import-linter (domain purity, app layers), the architecture map, migrations up to date,
## `check --deploy` with production settings
check: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy ketaclinic
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_architecture_map.py
	KETACLINIC_ENVIRONMENT=test KETACLINIC_DATA_DIR=$$(mktemp -d) $(BIN)/python -m django makemigrations --check --dry-run --settings=ketaclinic.settings
	KETACLINIC_SECRET_KEY=check-deploy-$$(date +%s)-0123456789abcdefghijklmnopqrstuvwxyz \
	  KETACLINIC_CHAIN_KEY=check-deploy-chain-$$(date +%s)-0123456789abcdefghijklmnopqrstuvwxyz \
	  KETACLINIC_ALLOWED_HOSTS=clinic.example.org DATABASE_URL=$(PG_URL) \
	  $(BIN)/python -m django check --deploy --fail-level WARNING --settings=ketaclinic.settings

## test-domain: the pure domain layer, with 100 % branch coverage outside pk/ enforced
test-domain: $(VENV)/.installed-dev
	$(PYTEST) tests/domain --ignore=tests/domain/pk \
	  --cov=ketaclinic/domain --cov-branch --cov-report=term-missing:skip-covered --cov-fail-under=100 -q
	$(PYTEST) tests/domain/pk -q

## test-sqlite: the Django suite (including browser tests) on SQLite, except the deep API fuzz (marker deep_fuzz, 30
## examples per operation, run in process): it runs in the PostgreSQL pass, whose stricter types (integer ranges, NUL
## characters in text) find more, and SQLite is still fuzzed over HTTP by the live fuzz (tests/api/test_api_fuzz_live.py).
## SQLITE_DEEP_FUZZ=1 runs it here too.
SQLITE_MARKERS := $(if $(SQLITE_DEEP_FUZZ),,-m "not deep_fuzz")
test-sqlite: $(VENV)/.installed-dev
	$(PYTEST) tests --ignore=tests/domain -q -n $(PYTEST_WORKERS) --maxschedchunk=2 $(SQLITE_MARKERS)

## test-postgres: the same suite on PostgreSQL (required in CI; skipped loudly elsewhere when unreachable), except the
## browser journeys: they click through pages whose database work the rest of the suite already runs on PostgreSQL
## (row locks, concurrency with real threads, the API fuzz, every service and view), and they were a quarter of each
## pass. They run once, in the SQLite pass. PG_BROWSER=1 runs them here too.
PG_MARKERS := $(if $(PG_BROWSER),,-m "not browser")
test-postgres: $(VENV)/.installed-dev
	@status=0; scripts/ensure-postgres.sh "$(PG_URL)" || status=$$?; \
	if [ $$status -eq 0 ]; then \
	  DATABASE_URL=$(PG_URL) $(PYTEST) tests --ignore=tests/domain -q -n $(PYTEST_WORKERS) --maxschedchunk=2 $(PG_MARKERS); \
	elif [ $$status -eq 2 ]; then \
	  exit 1; \
	else \
	  echo "!!! PostgreSQL is not reachable at $(PG_URL): the PostgreSQL run was SKIPPED (in CI this fails) !!!"; \
	fi

test-browser-deps:
	@scripts/ensure-chromium.sh
	@scripts/ensure-pdf-tools.sh

## bench: performance benchmarks (print ratios; not part of the test run)
## OUTCOMES_BENCH_ARGS: e.g. "--patients 1000 --databases sqlite" for a quick run (default: 10,000 patients, both DBs)
OUTCOMES_BENCH_ARGS ?=
## SCHEDULE_BENCH_ARGS: e.g. "--years 0.3 --locations 3 --databases sqlite" for a quick run (default: 10 × 12 × 2 years)
SCHEDULE_BENCH_ARGS ?=
## FHIR_BENCH_ARGS: e.g. "--patients 1000 --databases sqlite" (default: the outcomes benchmark's 10,000 patients, both DBs)
FHIR_BENCH_ARGS ?=
bench: $(VENV)/.installed-dev
	@echo "== benchmarks/pk_bench.py"; $(BIN)/python benchmarks/pk_bench.py
	@echo "== benchmarks/preview_bench.py"; $(BIN)/python benchmarks/preview_bench.py
	@echo "== benchmarks/outcomes_bench.py"; $(BIN)/python benchmarks/outcomes_bench.py $(OUTCOMES_BENCH_ARGS)
	@echo "== benchmarks/schedule_bench.py"; $(BIN)/python benchmarks/schedule_bench.py $(SCHEDULE_BENCH_ARGS)
	@echo "== benchmarks/fhir_bench.py"; $(BIN)/python benchmarks/fhir_bench.py $(FHIR_BENCH_ARGS)

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	@touch $@ $(VENV)/.installed-dev $(VENV)/.installed-run

## load: load benchmark with locust against `ketaclinic serve` on SQLite and PostgreSQL (benchmarks/README.md)
## LOAD_ARGS: e.g. "--quick --databases sqlite" (default: 40 staff, 90 s per database, then the step load)
LOAD_ARGS ?=
load: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/load.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage test-artifacts
