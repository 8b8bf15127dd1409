# Two commands for a fresh clone:  `make run` (serve with demo data on SQLite)  and  `make test`.
# Everything else here is what those two need, plus contributor helpers.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask
HOST   ?= 127.0.0.1
PORT   ?= 5000
# pytest-xdist processes: three on two cores, since tests also wait (browsers, worker processes, sockets) and a
# third fills the waits (3 December: SQLite run 900 s with two, 734 s with three); TEST_WORKERS=0 runs in this process
TEST_WORKERS ?= 3
PO     := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO     := $(PO:.po=.mo)

export FLASK_APP := wsgi

.PHONY: run test bench bench-http bench-import bench-events bench-alerts bench-instructions load cluster-test install install-dev translations db demo clean help
.DEFAULT_GOAL := help

help:
	@echo "make run    - install, migrate SQLite under instance/, load demo data once, serve http://$(HOST):$(PORT) with a worker"
	@echo "make test   - install test tools, lint (ruff, bandit) and run the whole test suite (TEST_DATABASE_URL=... for PostgreSQL)"
	@echo "make bench  - build 100,000 synthetic firms and time the directory on SQLite, then PostgreSQL"
	@echo "make bench-http - gunicorn (2 sync workers) against a same-bytes floor under wrk, on the databases make bench built"
	@echo "make bench-import - time a coordinator's import of 5,000 new firms, then their invitations' delivery"
	@echo "make bench-events - schedule a synthetic matching day (300 firms, 1,500 requests) with CP-SAT and the greedy"
	@echo "make bench-alerts - time the saved-search alert run: 10,000 saved searches, 1,000 new requests in a day"
	@echo "make load   - locust against gunicorn for 60 s on SQLite, then PostgreSQL; checks every write (LOAD_ARGS=...)"
	@echo "make cluster-test - two app nodes, workers, private PostgreSQL and Redis under faults; checks (CLUSTER_ARGS=--short ...)"

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/activate
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/activate
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

install: $(VENV)/.runtime-installed
install-dev: $(VENV)/.dev-installed

$(MO): $(PO) $(VENV)/.runtime-installed
	$(PY) -m babel.messages.frontend compile -d translations --statistics

translations: $(MO)

db: install translations
	@mkdir -p instance
	PORTAL_CONFIG=development $(FLASK) db upgrade

demo: db
	PORTAL_CONFIG=development $(FLASK) seed demo

run: demo
	@echo "Serving the Cluster Portal at http://$(HOST):$(PORT), with a background worker (Ctrl+C stops both)"
	PORTAL_CONFIG=development $(PY) -m portal.jobs.devrun $(HOST) $(PORT)

bench: install translations
	$(PY) -m bench.directory $(BENCH_ARGS)

bench-http: install-dev translations
	$(PY) -m bench.http_pages $(BENCH_ARGS)

bench-import: install-dev translations
	$(PY) -m bench.import_members $(BENCH_ARGS)

bench-events: install
	$(PY) -m bench.events $(BENCH_ARGS)

bench-instructions: install-dev translations
	$(PY) -m bench.instructions $(BENCH_ARGS)

bench-alerts: install-dev translations
	$(PY) -m bench.alerts $(BENCH_ARGS)

# The Nu HTML validator and Lighthouse come from npm (package-lock.json); without npm those checks are skipped
# on a laptop and fail in CI.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error && touch $@; \
	else echo "npm not found: HTML validation and Lighthouse will be skipped"; fi

load: install-dev translations
	$(PY) -m bench.load $(LOAD_ARGS)

test: install-dev translations node_modules/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/bandit -q -c pyproject.toml -r portal config.py wsgi.py
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(MO) .pytest_cache node_modules

cluster-test: install-dev translations
	$(PY) -m bench.cluster $(CLUSTER_ARGS)
