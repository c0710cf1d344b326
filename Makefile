# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DB ?= data/continuum.sqlite
PORT ?= 8501

.PHONY: run test lint demo bench browser postgres clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

## make run: create the virtualenv, install, build the demo database if missing (or left half-built), start the app.
## The demo is built in a temporary file and moved into place when complete; two builds take turns.
run: $(STAMP)
	$(PY) -m analysis demo --db $(DB) --if-missing
	CONTINUUM_DB=$(DB) $(VENV)/bin/streamlit run app.py --server.port $(PORT)

## make test: install everything (the browser too where possible) and run the whole test suite.
test: $(STAMP) browser postgres
	$(PY) -m ruff check .
	$(PY) -m pytest -q

## Debian's chromium for the real-browser tests; required when CI=true.
browser:
	@if command -v chromium >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 || true; \
	fi; \
	if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$CI" = "true" ]; then echo "chromium is required for the browser tests and could not be installed" >&2; exit 1; fi; \
		echo "chromium is not installed: the browser tests will be skipped (install it with: apt-get install chromium)"; \
	fi

## PostgreSQL's server (Debian's postgresql package) for the PostgreSQL tests: each test session starts a
## throwaway cluster from it (tests/pgserver.py). Installed with apt-get where missing and possible;
## required when CI=true, else the PostgreSQL tests are skipped with the reason.
postgres:
	@pgbin() { d=$$(pg_config --bindir 2>/dev/null); if [ -x "$$d/initdb" ] && [ -x "$$d/postgres" ]; then return 0; fi; \
		ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }; \
	if pgbin; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null 2>&1 || true; \
	fi; \
	if ! pgbin; then \
		if [ "$$CI" = "true" ]; then echo "PostgreSQL's server is required for the PostgreSQL tests and could not be installed" >&2; exit 1; fi; \
		echo "PostgreSQL's server is not installed: the PostgreSQL tests will be skipped (install it with: apt-get install postgresql)"; \
	fi

demo: $(STAMP)
	$(PY) -m analysis demo --db $(DB) --replace

bench: $(STAMP)
	$(PY) -m analysis bench

lint: $(STAMP)
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
