# The two commands a newcomer needs (see README.md):
#   make run    set up, migrate, seed the ICLEI plan and demo data, serve at http://127.0.0.1:5000
#   make test   set up and run every test (lint, import rules, SQLite, PostgreSQL when reachable, browser)
#   make serve  production: migrate, then gunicorn (gunicorn.conf.py) at http://$HOST:$PORT, default 127.0.0.1:8000
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run serve test lint clean

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

# Production (README.md, "Running in production"): SECRET_KEY and DATABASE_URL must be set;
# TOTP_KEYS, RATELIMIT_STORAGE_URI and CACHE_URL should be, so that every worker and host shares them.
serve: $(VENV)/.installed-app
	@test -n "$$SECRET_KEY" || { echo "make serve: set SECRET_KEY (see README.md, Running in production)" >&2; exit 1; }
	@test -n "$$DATABASE_URL" || { echo "make serve: set DATABASE_URL (see README.md, Running in production)" >&2; exit 1; }
	TRACKER_ENV=production $(BIN)/flask --app tracker db upgrade
	TRACKER_ENV=production RATELIMIT_STORAGE_URI=$${RATELIMIT_STORAGE_URI:-redis://127.0.0.1:6379/0} \
		CACHE_URL=$${CACHE_URL:-redis://127.0.0.1:6379/1} \
		$(BIN)/gunicorn -c gunicorn.conf.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check tracker tests migrations
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
