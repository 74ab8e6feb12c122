# orderdesk: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/orderdesk
STAMP := $(VENV)/.installed

.PHONY: run test test-postgres test-sqlite setup migrate demo lint fmt check messages bench scaleout soak clean browser-deps

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)
	@$(BIN)/orderdesk compilemessages -v0 --ignore '.venv*' --ignore node_modules

migrate: setup
	$(BIN)/orderdesk migrate --noinput -v0
	$(BIN)/orderdesk createcachetable  # the database cache, when ORDERDESK_CACHE_URL=db://

demo: migrate
	$(BIN)/orderdesk load_demo --if-empty

## make run: set up, migrate, load demo data, serve on 127.0.0.1:$(PORT)
run: demo
	@echo "orderdesk on http://127.0.0.1:$(PORT)/  (demo users: see README; password: demo12345)"
	$(BIN)/orderdesk runserver 127.0.0.1:$(PORT)

## make test: the whole suite on PostgreSQL (when reachable, or required) and on SQLite
test: setup
	$(MAKE) --no-print-directory check
	@if $(BIN)/python -m orderdesk.core.pgcheck "$(PG_URL)"; then \
		$(MAKE) --no-print-directory test-postgres || exit 1; \
	elif [ "$$ORDERDESK_REQUIRE_POSTGRES" = "1" ]; then \
		echo "PostgreSQL is required (ORDERDESK_REQUIRE_POSTGRES=1) but $(PG_URL) is not reachable"; exit 1; \
	else echo "PostgreSQL not reachable: its tests are skipped"; fi
	$(MAKE) --no-print-directory test-sqlite

test-postgres: setup
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -n 2 --dist loadfile $(PYTEST_ARGS)

test-sqlite: setup
	env -u DATABASE_URL ORDERDESK_REQUIRE_POSTGRES=0 $(BIN)/pytest -q -n 2 --dist loadfile $(PYTEST_ARGS)

check: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/orderdesk check
	$(BIN)/orderdesk makemigrations --check --dry-run -v0

lint: check

fmt: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: setup
	cd orderdesk && ../$(BIN)/orderdesk makemessages -l uk -l en --no-obsolete --ignore '*/tests/*' && ../$(BIN)/orderdesk compilemessages

browser-deps:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "could not install chromium"

bench: setup
	$(BIN)/python -m bench $(if $(SCALE),--scale $(SCALE),)

## make scaleout: several gunicorn workers, a streaming replica for reports, SKIP LOCKED job
## workers (docs/scale-out.md; private clusters and databases, minutes)
scaleout: setup
	$(BIN)/python -m bench.scaleout.gunicorn
	$(BIN)/python -m bench.scaleout.replica
	$(BIN)/python -m bench.scaleout.workers

## make soak: crash safety under bounded loopback load (a private PostgreSQL cluster, minutes)
## and longer API fuzzing (FUZZ_EXAMPLES per operation and role, default 40)
FUZZ_EXAMPLES ?= 40
soak: setup
	$(BIN)/python scripts/crash.py --duration 120
	$(BIN)/python scripts/crash.py --duration 60 --sqlite
	ORDERDESK_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q tests/security/test_fuzz.py

clean:
	rm -rf $(VENV) var staticfiles
