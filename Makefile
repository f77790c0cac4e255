# EU Ukraine-loan tracker. `make` or `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run test lint format typecheck migrations-check messages check clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed (PYTHON=$(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: $(BIN)/python requirements.txt
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@

run: $(VENV)/.runtime ## Set up (virtualenv, install, migrate, seed the dataset on the first start, figures) and serve on 127.0.0.1:$(PORT)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_dataset
	@# Exchange rates need the ECB site; offline, the figures are built without USD totals.
	-$(BIN)/python manage.py fetch_rates --no-refresh
	$(BIN)/python manage.py refresh_figures
	@echo "Admin: http://127.0.0.1:$(PORT)/admin/  (first user: $(BIN)/python manage.py createsuperuser)"
	@if [ -n "$$REDIS_URL" ]; then \
	  echo "REDIS_URL is set: web, Celery worker and beat under honcho (Procfile)"; \
	  PORT=$(PORT) $(BIN)/honcho start -f Procfile; \
	else \
	  $(BIN)/python manage.py runserver 127.0.0.1:$(PORT); \
	fi

test: $(VENV)/.dev ## Set up and run the whole test suite (SQLite unless DATABASE_URL is set)
	$(BIN)/pytest

lint: $(VENV)/.dev ## ruff lint and format check, and the direction of imports (import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.dev ## Reformat the code and fix what ruff can
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(VENV)/.dev ## mypy with django-stubs and djangorestframework-stubs
	$(BIN)/mypy

migrations-check: $(VENV)/.dev ## Fail if a model change has no migration
	$(BIN)/python manage.py makemigrations --check --dry-run

# Each app with a catalogue (<app>/locale/) is processed from its own directory, as Django documents
# for an app's messages; the compiled .mo files are committed (a machine without gettext runs the site).
LOCALE_APPS := $(patsubst %/locale/,%,$(wildcard */locale/))

messages: $(VENV)/.dev ## Update every app's Ukrainian catalogue (<app>/locale/uk/) from the code and templates, and compile it (needs GNU gettext)
	@for app in $(LOCALE_APPS); do \
	  echo "$$app:"; \
	  (cd $$app && ../$(BIN)/python ../manage.py makemessages --locale=uk --no-obsolete && \
	   ../$(BIN)/python ../manage.py compilemessages --locale=uk) || exit 1; \
	done

check: lint typecheck migrations-check test ## Everything CI runs

clean: ## Remove the virtualenv, caches and the local SQLite database
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache db.sqlite3 staticfiles

# ---------------------------------------------------------------- benchmark at scale (docs/BENCHMARKS.md)
.PHONY: bench synthetic-data

bench: $(VENV)/.dev ## Benchmark at 1M payments: PostgreSQL, Redis, gunicorn, nginx as docs/DEPLOY.md, wrk (BENCH_ARGS="--markdown FILE" …)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

synthetic-data: $(VENV)/.runtime ## Replace the synthetic benchmark data in DATABASE_URL (refused on real data)
	$(BIN)/python manage.py generate_synthetic_data $(SYNTHETIC_ARGS)

# ---------------------------------------------------------------- Lighthouse (docs/BENCHMARKS.md, "Lighthouse")
.PHONY: lighthouse

lighthouse: $(VENV)/.dev ## Lighthouse (pinned in package.json, npm ci) with Debian's chromium on /, an embed, a release page (LIGHTHOUSE_ARGS=…)
	@[ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
	$(BIN)/python -m bench.lighthouse $(LIGHTHOUSE_ARGS)
