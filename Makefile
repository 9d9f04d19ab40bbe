SHELL := /bin/bash
.DEFAULT_GOAL := help

HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

# pipenv keeps the virtualenv in the project (.venv) and installs from Pipfile.lock only.
export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_VERBOSITY := -1
export PIPENV_IGNORE_VIRTUALENVS := 1
# pipenv itself: the one on PATH, else one installed earlier with `pip install --user`, else one
# in .tools/, a virtualenv of its own (where pip refuses --user installs: PEP 668, Debian 12).
PIPENV := $(shell command -v pipenv 2>/dev/null || ls $(HOME)/.local/bin/pipenv 2>/dev/null || echo .tools/bin/pipenv)
PY := .venv/bin/python
MANAGE := $(PY) manage.py
VAR := var
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/auctioneer

.PHONY: help setup deps start test test-postgres lint reset create-super-user \
	start-background-server stop-background-server start-background-workers stop-background-workers \
	install-crontab uninstall-crontab e2e bench

help: ## list the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-26s %s\n", $$1, $$2}'

.tools/bin/pipenv:
	@python3 -m venv .tools || { echo "python3 -m venv failed: install Python 3.11's venv module (Debian/Ubuntu: apt install python3-venv) or pipenv"; exit 1; }
	.tools/bin/python -m pip install --quiet pipenv

.venv/.synced: Pipfile.lock | $(PIPENV)
	$(PIPENV) sync --dev
	@touch $@

deps: .venv/.synced ## install the locked dependencies into .venv (pipenv sync, never re-locks)

setup: deps ## dependencies, migrations, cache table, OAuth application, a local secret key (idempotent)
	@mkdir -p $(VAR)/log $(VAR)/run && chmod 700 $(VAR)  # the SQLite database holds password hashes
	$(MANAGE) ensure_secret_key
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable
	$(MANAGE) ensure_oauth_app

start: setup ## setup, then server + workers in the foreground on $(HOST):$(PORT) (Ctrl-C stops both)
	@bash scripts/start.sh

test: deps ## the whole suite on SQLite (what CI runs)
	$(PY) -m pytest

test-postgres: deps ## the same suite against PostgreSQL (TEST_DATABASE_URL)
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest

e2e: deps ## server + workers on a free port and a throwaway database, then e2e/tester.py against them
	$(PY) e2e/run_local.py $(E2E_ARGS)

lint: deps ## ruff check, ruff format --check, mypy
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy .

reset: ## delete the local SQLite database and set up again
	rm -f $(VAR)/db.sqlite3 $(VAR)/db.sqlite3-wal $(VAR)/db.sqlite3-shm
	$(MAKE) setup

create-super-user: setup ## create an admin account for /admin/ (asks for the details)
	$(MANAGE) createsuperuser

# gunicorn writes its pid file before it binds the port (and retries a taken port for ~5 s), so
# the server counts as started once its log says it listens under that pid; if it exits first,
# the target fails with the log's end and leaves no pid file.
start-background-server: setup ## gunicorn in the background (pid and log in var/); fails if it cannot listen
	@if [ -f $(VAR)/run/server.pid ] && kill -0 $$(cat $(VAR)/run/server.pid) 2>/dev/null; then \
		echo "server already running (pid $$(cat $(VAR)/run/server.pid))"; \
	else \
		rm -f $(VAR)/run/server.pid; \
		.venv/bin/gunicorn -c auctioneer/gunicorn_conf.py --daemon \
			--pid $(VAR)/run/server.pid --error-logfile $(VAR)/log/server.log \
			--access-logfile $(VAR)/log/access.log; \
		for i in $$(seq 50); do [ -f $(VAR)/run/server.pid ] && break; sleep 0.1; done; \
		pid=$$(cat $(VAR)/run/server.pid 2>/dev/null); up=; \
		for i in $$(seq 300); do \
			[ -n "$$pid" ] && kill -0 $$pid 2>/dev/null || break; \
			grep -qs "Listening at: .* ($$pid)" $(VAR)/log/server.log && { up=1; break; }; sleep 0.1; \
		done; \
		if [ -n "$$up" ]; then \
			echo "server on http://$(HOST):$(PORT)/ (pid $$pid, log $(VAR)/log/server.log)"; \
		else \
			[ -n "$$pid" ] && kill $$pid 2>/dev/null; rm -f $(VAR)/run/server.pid; \
			echo "the server did not start on $(HOST):$(PORT); the end of $(VAR)/log/server.log:" >&2; \
			tail -n 8 $(VAR)/log/server.log >&2; exit 1; \
		fi; \
	fi

stop-background-server: ## stop the background server
	@if [ -f $(VAR)/run/server.pid ]; then \
		kill $$(cat $(VAR)/run/server.pid) 2>/dev/null || true; \
		for i in $$(seq 100); do [ -f $(VAR)/run/server.pid ] || break; sleep 0.1; done; \
		rm -f $(VAR)/run/server.pid; echo "server stopped"; \
	else echo "no server running"; fi

start-background-workers: setup ## run_workers in the background (pid in var/run/workers.pid, log in var/log/workers.log)
	@if [ -f $(VAR)/run/workers.pid ] && kill -0 $$(cat $(VAR)/run/workers.pid) 2>/dev/null; then \
		echo "workers already running (pid $$(cat $(VAR)/run/workers.pid))"; \
	else \
		nohup $(MANAGE) run_workers >> $(VAR)/log/workers.log 2>&1 < /dev/null & \
		echo $$! > $(VAR)/run/workers.pid; \
		echo "workers running (pid $$(cat $(VAR)/run/workers.pid), log $(VAR)/log/workers.log)"; \
	fi

stop-background-workers: ## stop the background workers (SIGTERM: the current transaction finishes first)
	@if [ -f $(VAR)/run/workers.pid ]; then \
		pid=$$(cat $(VAR)/run/workers.pid); kill $$pid 2>/dev/null || true; \
		for i in $$(seq 300); do kill -0 $$pid 2>/dev/null || break; sleep 0.1; done; \
		if kill -0 $$pid 2>/dev/null; then kill -KILL $$pid; echo "workers killed (each settlement is atomic: the next pass finishes the job)"; \
		else echo "workers stopped"; fi; \
		rm -f $(VAR)/run/workers.pid; \
	else echo "no workers running"; fi

install-crontab: deps ## add the close_auctions job (every minute) to your crontab; your other lines stay
	@if ! command -v crontab >/dev/null 2>&1; then \
		echo "install-crontab: this host has no 'crontab' command, so nothing was installed." >&2; \
		echo "  Install cron (Debian/Ubuntu: apt-get install cron) and run it again," >&2; \
		echo "  or settle auctions without cron: make start-background-workers" >&2; \
		exit 1; \
	fi
	@mkdir -p $(VAR)/log
	$(MANAGE) crontab add
	@echo "Your crontab now reads:"; crontab -l
	@pgrep -x cron >/dev/null 2>&1 || pgrep -x crond >/dev/null 2>&1 || \
		echo "note: no cron daemon is running on this host; the job runs once one is (e.g. service cron start)"

uninstall-crontab: deps ## remove the close_auctions job from your crontab; your other lines stay
	@if command -v crontab >/dev/null 2>&1; then $(MANAGE) crontab remove; else echo "this host has no 'crontab' command"; fi

bench: deps ## load benchmarks on SQLite + PostgreSQL (QUICK=1: < 3 min) -> bench/results/latest.json, docs/benchmarks.md
	$(PY) -m bench.run $(if $(QUICK),--quick)
