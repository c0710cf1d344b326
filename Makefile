# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DB ?= data/continuum.sqlite
PORT ?= 8501

.PHONY: run test lint demo bench browser clean

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
test: $(STAMP) browser
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

demo: $(STAMP)
	$(PY) -m analysis demo --db $(DB) --replace

bench: $(STAMP)
	$(PY) -m analysis bench

lint: $(STAMP)
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
