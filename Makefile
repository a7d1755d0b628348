# The README's two commands are `make demo` and `make test`; both set everything up first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
ALLPA := $(VENV)/bin/allpa
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup setup-test demo test lint typecheck pytest bench sample db-up db-down clean

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

## Start the private PostGIS, load the bundled sample, analyse it and serve the API until Ctrl-C;
## the private PostGIS stops with it (`make db-up` keeps one running).
demo: setup
	@trap '$(ALLPA) db down' EXIT; \
	$(ALLPA) db up && $(ALLPA) sample && $(ALLPA) analyze && \
	$(ALLPA) serve --host $(HOST) --port $(PORT)

## ruff + mypy + the whole pytest suite against a real private PostGIS and headless Chromium.
## The private PostGIS is left as it was found: stopped again if the tests had to start it.
## `make pytest PYTEST_ARGS=tests/layers` runs part of the suite the same way.
test: setup-test lint typecheck pytest

lint:
	$(VENV)/bin/ruff check geo layers api tests benchmarks

typecheck:
	$(VENV)/bin/mypy

pytest:
	@if $(ALLPA) db status 2>/dev/null | grep -q 'running: True'; then \
	  $(VENV)/bin/pytest -q $(PYTEST_ARGS); \
	else \
	  trap '$(ALLPA) db down' EXIT; $(VENV)/bin/pytest -q $(PYTEST_ARGS); \
	fi

bench: setup
	$(PY) -m benchmarks.run_all

sample:
	$(PY) -m geo.samplegen
	$(PY) -m geo.rastersample

db-up: setup
	$(ALLPA) db up

db-down:
	@if [ -x $(ALLPA) ]; then $(ALLPA) db down; fi

clean:
	-$(ALLPA) db down
	rm -rf var .venv
