# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

# `make run` records development mode in var/dev.json (`scim-seats dev-config`: a random
# signing key made once per checkout), so the README's commands work from any shell without
# exporting anything. Production runs `scim-seats serve` with SCIM_SECRET_KEY set instead.
# The scratch servers of `conformance` and `bench` run in development mode (a well-known key).
conformance bench bench-peers bench-scaling: export SCIM_DEV ?= 1

.PHONY: run test install install-test bench bench-peers bench-scaling clean lint-imports browser redis conformance

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP) $@

install: $(STAMP)

install-test: $(TEST_STAMP)

run: $(STAMP)
	$(BIN)/scim-seats dev-config
	$(BIN)/scim-seats db upgrade
	$(BIN)/scim-seats demo --slug demo --seats 5
	$(BIN)/scim-seats serve --host 127.0.0.1 --port 8000

# The console's browser tests drive Debian's Chromium: installed here only when missing.
browser:
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

# The test of request limits shared by two servers starts a private redis-server (Debian's),
# installed here only when missing.
redis:
	command -v redis-server >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server)

# The date-sensitive tests first, at leap days, month, year and term ends
# (tests/date_matrix.py), then the whole suite at today's date.
test: $(TEST_STAMP) browser redis
	$(BIN)/lint-imports
	$(BIN)/ruff check app scim seats tests bench conformance
	$(BIN)/mypy
	$(BIN)/python -m tests.date_matrix -n 2 $(PYTEST_ARGS)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# scim2-tester plus the Okta and Entra request flows against a scratch server (conformance/).
conformance: $(TEST_STAMP)
	$(BIN)/python -m conformance.run

bench: $(TEST_STAMP)
	$(BIN)/python bench/scim_bench.py $(BENCH_ARGS)

# scim-seats beside django-scim2 and scim2-server (installed at their pins under bench/.peers/).
bench-peers: $(TEST_STAMP)
	$(BIN)/python bench/peers.py

# One and two `serve` instances, one and two workers, on one PostgreSQL database.
bench-scaling: $(TEST_STAMP)
	$(BIN)/python bench/scaling.py

clean:
	rm -rf $(VENV) var build *.egg-info
