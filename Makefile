# The two commands a newcomer needs (see README.md):
#   make run    set up, migrate, seed the ICLEI plan and demo data, serve at http://127.0.0.1:5000
#   make test   set up and run every test (lint, import rules, SQLite, PostgreSQL when reachable, browser)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever the declared dependencies change.
$(VENV)/.installed-app: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-app

run: $(VENV)/.installed-app
	TRACKER_ENV=$${TRACKER_ENV:-development} $(BIN)/flask --app tracker db upgrade
	TRACKER_ENV=$${TRACKER_ENV:-development} $(BIN)/flask --app tracker seed iclei
	TRACKER_ENV=$${TRACKER_ENV:-development} $(BIN)/flask --app tracker seed demo
	@echo "Open http://$(HOST):$(PORT) and sign in with one of the demo accounts above."
	TRACKER_ENV=$${TRACKER_ENV:-development} $(BIN)/flask --app tracker run --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check tracker tests migrations
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
