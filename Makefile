# DPS Portal: `make run` serves the portal, `make test` runs every test.
PYTHON ?= python3
PORT ?= 8000
# The portal's public URL (Overview endpoints, connection strings) follows PORT unless set.
DPS_PUBLIC_URL ?= http://127.0.0.1:$(PORT)
# The device endpoint's address (its port: DPS_DEVICE_PORT, blank for 443 when bindable, else 8443).
DPS_DEVICE_BIND ?= 127.0.0.1
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
# pip's failures must stop the install (its output is filtered of one harmless warning).
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

.PHONY: install run test test-fast lint bench browser clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip 2>&1 | { grep -v '^WARNING: Location' || true; }
	$(PIP) install -q -e '.[test]' 2>&1 | { grep -v '^WARNING: Location' || true; }
	$(PY) -m dps_portal.check_install
	touch $(STAMP)

# The portal on 127.0.0.1:PORT and the device endpoint (HTTPS, gunicorn) on DPS_DEVICE_BIND:DPS_DEVICE_PORT
# (443 when it may be bound, else 8443), one foreground command (dps_portal/devserver.py).
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py ensure_admin
	@echo "Portal: $(DPS_PUBLIC_URL)/ (service connection string: DPS_PUBLIC_URL=$(DPS_PUBLIC_URL) $(PY) manage.py connection_string)"
	DPS_DEVELOPMENT=1 DPS_PUBLIC_URL=$(DPS_PUBLIC_URL) DPS_DEVICE_BIND=$(DPS_DEVICE_BIND) $(PY) -m dps_portal.devserver 127.0.0.1:$(PORT)

# Chromium comes from Debian's packages: Playwright cannot download its own browser here.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
		(apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "Chromium is missing: run 'sudo apt-get install -y chromium'" >&2; exit 1; fi

# Tests run in one pytest-xdist worker per core (TEST_WORKERS=1 for one process); fixed-port listeners
# take per-worker loopback addresses (tests/loopback.py).
TEST_WORKERS ?= auto
PYTEST := $(VENV)/bin/pytest -q -n $(TEST_WORKERS) --dist loadgroup

test: install browser
	$(PYTEST)

test-fast: install
	$(PYTEST) -m "not e2e"

# ruff, then the import contracts of pyproject.toml [tool.importlinter] (the layers; domain modules import no ORM or HTTP).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache --no-logo

# The list benchmark on SQLite, then the bulk and the device registration benchmarks on PostgreSQL:
# DATABASE_URL's server when it is a PostgreSQL URL, else a throwaway one (.ci/with-postgres).
bench: install
	$(PY) manage.py bench_enrollment_list
	case "$${DATABASE_URL:-}" in postgres*) $(PY) manage.py bench_bulk ;; *) .ci/with-postgres $(PY) manage.py bench_bulk ;; esac
	case "$${DATABASE_URL:-}" in postgres*) $(PY) manage.py bench_device_registrations ;; *) .ci/with-postgres $(PY) manage.py bench_device_registrations ;; esac

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
