# planadmin: the README's commands. Needs only Python 3.11 and pip; uv is bootstrapped into .tools/.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
# Installed packages are compiled to bytecode once, at install: a machine with PYTHONDONTWRITEBYTECODE set (as this
# one is) otherwise compiles prefect's and polars' sources again in every process, about 1 s of each cold start.
export UV_COMPILE_BYTECODE := 1
export PREFECT_HOME := $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
DEMO_DB ?= planadmin.duckdb
DEMO_LETTERS ?= demo-letters

.PHONY: setup demo test soak bench bench-large bench-nights bench-serve lock clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python "$(PYTHON)"
	$(VENV)/bin/python -m compileall -q pipelines schemas
	touch $@

setup: $(VENV)/.synced  ## create .venv with the planadmin command

demo: setup  ## the shipped demo's two nights into a fresh $(DEMO_DB), its RMD letters, a report and a projection chart into $(DEMO_LETTERS)/
	rm -rf $(DEMO_DB) $(DEMO_DB).wal $(DEMO_LETTERS)
	$(VENV)/bin/planadmin profile check --plans fixtures/demo/PLANS --plan initech --kind payroll --as-of 2026-01-15 \
	  --rows 2 fixtures/demo/INBOX/initech/payroll/initech_payroll_2025-08-08.csv
	$(VENV)/bin/planadmin run --inbox fixtures/demo/INBOX --plans fixtures/demo/PLANS --db $(DEMO_DB) --as-of 2026-01-15
	$(VENV)/bin/planadmin run --inbox fixtures/demo/INBOX-2026-01-31 --plans fixtures/demo/PLANS --db $(DEMO_DB) --as-of 2026-01-31
	for plan in acme globex; do for year in 2025 2026; do \
	  $(VENV)/bin/planadmin notices rmd --plan $$plan --year $$year --out $(DEMO_LETTERS)/$$plan-$$year \
	    --db $(DEMO_DB) --plans fixtures/demo/PLANS || exit 1; done; done
	$(VENV)/bin/planadmin report missing_payrolls --db $(DEMO_DB) --format table
	$(VENV)/bin/planadmin report match_window --db $(DEMO_DB) --format csv --out $(DEMO_LETTERS)/match_window.csv
	$(VENV)/bin/planadmin project --plan acme --employee A00002 --db $(DEMO_DB) --plans fixtures/demo/PLANS \
	  --chart $(DEMO_LETTERS)/projection-acme-A00002.svg

test: setup  ## the whole test suite (soak and large benchmarks excluded)
	$(VENV)/bin/python -m pytest

soak: setup  ## long modes: 200 random kills of a real run (PLANADMIN_SOAK_KILLS to change)
	$(VENV)/bin/python -m pytest -m soak

bench: setup  ## planadmin vs the CSV read floor and a DuckDB-SQL peer, 100,000 employees (not part of make test)
	$(VENV)/bin/python benchmarks/harness.py --employees 100000 --json benchmarks/results-100k.json

bench-large: setup  ## the same at 1,000,000 employees, each figure measured once (26M rows a year; about 25 minutes)
	$(VENV)/bin/python benchmarks/harness.py --employees 1000000 --repeats 1 --no-one-file-year --json benchmarks/results-1m.json

bench-nights: setup  ## a year of nights for 50,000 employees, timed night by night
	$(VENV)/bin/python benchmarks/bench_nightly.py --employees 50000 --nights 26

bench-serve: setup  ## a scheduled night with nothing new under `planadmin serve`, on the demo's database
	$(VENV)/bin/python benchmarks/serve_night.py --nights 5 --json benchmarks/results-serve.json

lock: $(UV)  ## re-resolve uv.lock after changing pyproject.toml
	$(UV) lock

clean:
	rm -rf $(VENV) .tools .prefect .pytest_cache .hypothesis $(DEMO_DB) $(DEMO_DB).wal reports .planadmin-staging
