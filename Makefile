# The two commands: `make run` (the site on embedded defaults) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 5000
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
# apt needs root; use sudo when we are not root and it exists.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run test lint format install system-deps bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed")'
	$(PYTHON) -m venv $(VENV) || { $(SUDO) apt-get update && $(SUDO) apt-get install -y python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,postgres]'
	@touch $@

install: $(VENV)/.installed

# Development mode: debug on, a random SECRET_KEY kept in instance/.
run: export FLASK_DEBUG = 1
run: install
	$(FLASK) init-db
	$(FLASK) seed-demo --if-empty
	@# Offered once, at a terminal: a simulated week of readers for the dashboard.
	$(FLASK) simulate-traffic --offer
	@echo "Serving on http://127.0.0.1:$(PORT)  (SQLite + embedded Redis in ./instance)"
	$(FLASK) run --port $(PORT)

# Debian packages the tests drive: Chromium for the browser tests.
system-deps:
	@command -v chromium >/dev/null && fc-list :lang=zh 2>/dev/null | grep -q . || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy engagement

# The whole suite on one Redis (and PostgreSQL when TEST_DATABASE_URL is set),
# then every Redis-touching test again on a throwaway 3-master Redis Cluster.
test: install system-deps lint
	$(BIN)/pytest
	$(BIN)/pytest --redis-cluster

# Benchmarks print tables; wrk drives the load on loopback.
bench: install
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python bench/run_all.py

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Stops the embedded Redis first (its data stays in instance/); a failure shows.
clean:
	@if [ -x $(BIN)/flask ]; then $(FLASK) embedded-redis stop; fi
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
