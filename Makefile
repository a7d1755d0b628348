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

## Start the private PostGIS, load the bundled sample, analyse it and serve the API until Ctrl-C.
demo: setup
	$(ALLPA) db up
	$(ALLPA) sample
	$(ALLPA) analyze
	$(ALLPA) serve --host $(HOST) --port $(PORT)

## ruff + mypy + the whole pytest suite against a real private PostGIS and headless Chromium.
test: setup-test lint typecheck pytest

lint:
	$(VENV)/bin/ruff check geo layers api tests benchmarks

typecheck:
	$(VENV)/bin/mypy

pytest:
	$(VENV)/bin/pytest -q

bench: setup
	$(PY) -m benchmarks.run_all

sample:
	$(PY) -m geo.samplegen
	$(PY) -m geo.rastersample

db-up: setup
	$(ALLPA) db up

db-down:
	$(ALLPA) db down

clean:
	-$(ALLPA) db down
	rm -rf var .venv
