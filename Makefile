# Two commands for a newcomer: `make run` and `make test`. Everything else is a step they call.
# Python 3.13: pyenv reads .python-version, so `python3` here is 3.13; PYTHON=... overrides it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup install db messages check-messages lint bench load backup restore clean screenshots \
	cluster cluster-stop bench-cluster

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 13) else "Python 3.13 or newer is needed (found " + sys.version.split()[0] + "); install it or run make PYTHON=/path/to/python3.13")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[dev]"
	@touch $@

install: $(VENV)/.installed

# Migrate, then load the OECD sectors and the demo data. Safe to repeat: what was entered is kept.
# One summary line per step (each command's -v 2 lists every record).
db: install
	@$(PY) manage.py migrate --noinput --verbosity 0 && echo "database: migrations applied"
	@$(PY) manage.py load_sectors
	@$(PY) manage.py load_demo

setup: db

# HOST=0.0.0.0 PORT=8080 make run  serves elsewhere than http://127.0.0.1:8000/.
run: setup
	@echo ""
	@echo "Platforma: http://$(HOST):$(PORT)/   (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "Development accounts: partner@aimf.example / platforma-partner (partner of AIMF),"
	@echo "                      staff@platforma.example / platforma-staff (staff)."
	@echo "E-mails (password reset, invitations) are written below, in this terminal (web.1 lines);"
	@echo "worker.1 lines are the background worker (the admin's import). Ctrl-C stops both."
	@echo ""
	@HOST=$(HOST) $(VENV)/bin/honcho start --port $(PORT)

# pytest-xdist workers, each with its own test database, each given whole test files (--dist loadfile),
# so data made once for a module's tests (the demo data, the small directory: SHARED_DATA in
# tests/conftest.py) is made once, not again each time the module's tests come back to a worker. On the two
# cores of CI: three on SQLite (a worker often waits on the browser or a server it started; 7m09s against
# 8m15s with two), two on PostgreSQL (DATABASE_URL set: its server needs the cores too; 11m36s against 13m01s
# and 13m23s with three). TEST_WORKERS=... overrides it. Each worker keeps pytest-django's order within a
# file: tests in a transaction first, then the transactional ones (which empty the database: the fixtures
# that need the sectors reload them), then those sharing data.
TEST_WORKERS ?= $(if $(DATABASE_URL),2,3)
test: install
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

# Translation workflow: regenerate the French catalogue from the code, translate, compile, commit both.
messages: install
	$(PY) manage.py makemessages --locale fr --no-obsolete --add-location file --ignore '.venv/*' --ignore 'staticfiles/*'
	$(PY) manage.py compilemessages --locale fr --ignore '.venv/*'

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) staticfiles

# Backups (README "Backups"): a complete copy in ./backups/; restore asks before replacing the database.
backup: install
	$(PY) manage.py backup_db

restore: install
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backups/platforma-....dump"; exit 2; }
	$(PY) manage.py restore_db "$(FILE)"

# Load test: gunicorn (DEBUG off) on 127.0.0.1, many concurrent connections, errors must be 0.
# make load SECONDS=60 CONCURRENCY=50
SECONDS ?= 30
CONCURRENCY ?= 20
load: db
	$(PY) scripts/load.py --seconds $(SECONDS) --concurrency $(CONCURRENCY)

# Performance figures on the configured database (DATABASE_URL): server time per scenario, SQL queries,
# export memory, gunicorn throughput with wrk. Not part of `make test`. See README "Performance".
bench: install
	$(PY) scripts/bench.py

# README pictures: search page, a profile and its print view, desktop and phone, into docs/screenshots/.
screenshots: db
	$(PY) scripts/screenshots.py

# A local cluster on 127.0.0.1 (README "A local cluster"): nginx with its cache, two gunicorn app servers, the
# running PostgreSQL and a streaming replica of it, the running Redis. DATABASE_URL=... serves another database.
cluster: install
	scripts/cluster.sh start

cluster-stop:
	scripts/cluster.sh stop

# Requests/s and p95 through nginx with and without its cache and against one app server; starts the cluster.
BENCH_SECONDS ?= 15
bench-cluster: install
	$(PY) scripts/bench_cluster.py --seconds $(BENCH_SECONDS)
