# messpace — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/messpace
REDIS_URL ?= redis://127.0.0.1:6379/0
PYTEST_WORKERS ?= 2

.PHONY: demo test install lint typecheck pytest messages clean bench

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 introuvable : installez-le ou lancez 'make PYTHON=python3 ...'"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## demo: embedded mode (SQLite in var/, tasks inline), demo data, server on 127.0.0.1:$(PORT)
demo: install
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py compilemessages --ignore=.venv -v 0 || true
	DEBUG=true $(BIN)/python manage.py seed_demo --base-url http://127.0.0.1:$(PORT)
	@echo ""
	@echo "  messpace tourne sur http://127.0.0.1:$(PORT)/  (Ctrl+C pour arrêter)"
	@echo ""
	DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## test: lint, types and the whole suite on PostgreSQL and Redis, browser tests included
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL $(BIN)/mypy .
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Chromium est absent : installez-le avec 'apt-get install -y chromium'. Les tests navigateur vont échouer."; \
	fi
	DATABASE_URL=$(DATABASE_URL) REDIS_URL=$(REDIS_URL) \
	  $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL $(BIN)/mypy .

## messages: extract and compile translations (needs GNU gettext)
messages: install
	DEBUG=true $(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=var --ignore=tests --ignore=bench --no-obsolete
	DEBUG=true $(BIN)/python manage.py compilemessages --ignore=.venv

## bench: page benchmarks on PostgreSQL (prints figures, ratio last)
bench: install
	DATABASE_URL=$(DATABASE_URL) REDIS_URL=$(REDIS_URL) SECRET_KEY=bench-secret \
	  $(BIN)/python bench/pages.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
