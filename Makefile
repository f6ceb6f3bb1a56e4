# CivicGrid — two commands do everything: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
PG_URL ?= $(or $(TEST_DATABASE_URL),postgres://postgres@127.0.0.1:5432/civicgrid)
# Two workers: the suite takes about half as long on a 2-core machine (CI included).
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: demo test venv migrate lint test-sqlite test-postgres vendor messages bench clean help

help:
	@echo "make demo   - install, migrate, load the demo county and serve on http://127.0.0.1:8000"
	@echo "make test   - ruff, then the whole suite on SQLite and on PostgreSQL"
	@echo "make vendor - refresh static/vendor (Leaflet, ECharts, htmx) from the npm registry"
	@echo "make messages - extract and compile translations (zh-hans, en)"
	@echo "make bench  - run the benchmarks under bench/"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

migrate: venv
	DEBUG=True $(PY) manage.py migrate --noinput

demo: migrate
	DEBUG=True $(PY) manage.py load_demo
	@echo
	@echo "CivicGrid demo: http://127.0.0.1:8000/   (sign in with a login above; Ctrl-C stops it)"
	DEBUG=True $(PY) manage.py runserver 127.0.0.1:8000

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

test: lint
	@$(MAKE) --no-print-directory test-sqlite
	@$(MAKE) --no-print-directory test-postgres

test-sqlite: venv
	@echo "== Test suite on SQLite =="
	@scripts/check-browser.sh
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test-postgres: venv
	@if $(PY) scripts/pg_reachable.py "$(PG_URL)"; then \
		echo "== Test suite on PostgreSQL ($(PG_URL)) =="; \
		DATABASE_URL="$(PG_URL)" $(VENV)/bin/pytest $(PYTEST_ARGS); \
	elif [ "$$CI" = "true" ]; then \
		echo "!! PostgreSQL is not reachable at $(PG_URL) and CI=true: refusing to skip it." >&2; exit 1; \
	else \
		echo; echo "!!!!!!!! PostgreSQL is not reachable at $(PG_URL): SKIPPED the PostgreSQL run !!!!!!!!"; echo; \
	fi

vendor:
	scripts/vendor.sh

messages: venv
	cd civicgrid && DEBUG=True ../$(PY) ../manage.py makemessages -l zh_Hans -l en --no-obsolete --no-location
	DEBUG=True $(PY) manage.py compilemessages --ignore .venv

bench: venv
	$(PY) bench/bench_locate.py
	$(PY) bench/bench_intake.py
	$(PY) bench/bench_addresses.py

clean:
	rm -rf var/test*.sqlite3 var/screenshots
