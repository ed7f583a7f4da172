# The two commands a newcomer needs (see README.md):
#   make messages    extract the messages into tracker/translations/messages.pot and update each language's .po
#   make catalogues  compile the .po catalogues into the .mo files the app reads (run/test/serve do it)
#   make run    set up, migrate, seed the ICLEI plan and demo data, serve at http://127.0.0.1:5000
#   make test   set up and run every test (lint, import rules, SQLite, PostgreSQL when reachable, browser)
#   make serve  production: migrate, then gunicorn (gunicorn.conf.py) at http://$HOST:$PORT, default 127.0.0.1:8000
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run serve test lint clean messages catalogues

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

run: $(VENV)/.installed-app catalogues
	TRACKER_ENV=$${TRACKER_ENV:-development} $(BIN)/flask --app tracker db upgrade
	TRACKER_ENV=$${TRACKER_ENV:-development} $(BIN)/flask --app tracker seed iclei
	TRACKER_ENV=$${TRACKER_ENV:-development} $(BIN)/flask --app tracker seed demo
	@echo "Open http://$(HOST):$(PORT) and sign in with one of the demo accounts above."
	TRACKER_ENV=$${TRACKER_ENV:-development} $(BIN)/flask --app tracker run --host $(HOST) --port $(PORT)

# Production (README.md, "Running in production"): SECRET_KEY and DATABASE_URL must be set;
# TOTP_KEYS, RATELIMIT_STORAGE_URI and CACHE_URL should be, so that every worker and host shares them.
serve: $(VENV)/.installed-app catalogues
	@test -n "$$SECRET_KEY" || { echo "make serve: set SECRET_KEY (see README.md, Running in production)" >&2; exit 1; }
	@test -n "$$DATABASE_URL" || { echo "make serve: set DATABASE_URL (see README.md, Running in production)" >&2; exit 1; }
	TRACKER_ENV=production $(BIN)/flask --app tracker db upgrade
	TRACKER_ENV=production RATELIMIT_STORAGE_URI=$${RATELIMIT_STORAGE_URI:-redis://127.0.0.1:6379/0} \
		CACHE_URL=$${CACHE_URL:-redis://127.0.0.1:6379/1} \
		$(BIN)/gunicorn -c gunicorn.conf.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check tracker tests migrations
	$(BIN)/lint-imports

test: lint catalogues
	$(BIN)/pytest

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache

# Translations (README.md, "Translators' guide"). The template is rebuilt from the code and the
# templates; each language's catalogue gains the new messages (marked fuzzy when Babel guesses).
TRANSLATIONS := tracker/translations
BABEL_KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2
messages: $(VENV)/.installed-app
	$(BIN)/pybabel extract --sort-by-file -F babel.cfg $(BABEL_KEYWORDS) --project="Gender Action Plan Tracker" \
		--copyright-holder="Gender Action Plan Tracker" --version=0.1.0 -o $(TRANSLATIONS)/messages.pot .
	@for po in $(TRANSLATIONS)/*/LC_MESSAGES/messages.po; do \
		test -f "$$po" || continue; \
		$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) \
			-l $$(basename $$(dirname $$(dirname $$po))); \
	done

# The .mo files are not in git; the tests and the wheel build compile them the same way.
catalogues: $(VENV)/.installed-app
	$(BIN)/python -c "from tracker.core.catalogues import compile_catalogues; compile_catalogues()"
