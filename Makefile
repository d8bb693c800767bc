# Two commands for a fresh machine: `make run` (the embedded stack) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
STATE ?= $(CURDIR)/.lt_state
# The suite's worker processes (pytest-xdist; each test file stays in one worker). TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2

.PHONY: install run test check demo bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

install: $(STAMP)

# The embedded stack (docs/running.md); e.g. `make run STATE=/tmp/lt RUN_ARGS="--port 3100 --web-port 3101"`.
run: install
	LT_STATE_DIR=$(STATE) $(BIN)/lt run $(RUN_ARGS)

test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

check: install
	DAGSTER_HOME=$$(LT_STATE_DIR=$(STATE) $(BIN)/lt dagster-home) $(BIN)/dg check defs

demo: install
	$(BIN)/lt demo --headless --minutes 30 --seed 7
