# Mendian — two commands for a new machine:
#   make run    set up everything, load the demo chain, serve at http://127.0.0.1:8000
#   make test   set up everything, run the whole suite on SQLite and on PostgreSQL
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 3
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: run test setup setup-dev assets messages browser migrate worker lint test-sqlite test-postgres contract clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

assets: node_modules/.package-lock.json

# Compiled translations (.mo) are built from the committed .po files; msgfmt comes from gettext.
messages: | $(BIN)/python
	@command -v msgfmt >/dev/null || bash scripts/apt-install.sh gettext
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v0

setup: $(VENV)/.runtime assets messages

setup-dev: $(VENV)/.dev assets messages

# Debian's Chromium and a CJK font for the browser tests (Playwright's own download does not work here).
browser:
	@[ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" || bash scripts/apt-install.sh chromium fonts-wqy-microhei

migrate: setup
	$(BIN)/python manage.py migrate --noinput -v0

run: migrate
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py collectstatic --noinput -v0
	@echo ""
	@echo "  Mendian is at http://$(HOST):$(PORT)/   (API docs: http://$(HOST):$(PORT)/api/docs)"
	@echo "  Stop with Ctrl-C. The task worker and the daily scheduler run beside it (logs in var/log/)."
	@echo ""
	HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) bash scripts/serve.sh

# For a separate worker machine (make run already starts one).
worker: migrate
	$(BIN)/python manage.py db_worker

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run -v0
	$(BIN)/python scripts/check_translations.py

test-sqlite: setup-dev browser
	$(BIN)/pytest $(PYTEST_ARGS)

# Runs when PostgreSQL answers; REQUIRE_POSTGRES=1 (CI) makes its absence a failure.
test-postgres: setup-dev browser
	@if $(BIN)/python scripts/db_ready.py "$(TEST_DATABASE_URL)"; then \
		DATABASE_URL="$(TEST_DATABASE_URL)" $(BIN)/pytest $(PYTEST_ARGS); \
	elif [ "$(REQUIRE_POSTGRES)" = "1" ]; then \
		echo "PostgreSQL at $(TEST_DATABASE_URL) does not answer (REQUIRE_POSTGRES=1)"; exit 1; \
	else \
		echo "PostgreSQL at $(TEST_DATABASE_URL) does not answer: PostgreSQL tests skipped"; \
	fi

test: lint test-sqlite test-postgres

contract: setup
	bash ../shared/contract/run.sh

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache
