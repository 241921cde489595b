# The two set-up commands from the README: `make demo` and `make test`.
# Both install everything into .venv first (scripts/setup), once.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo check test bench

$(STAMP): pyproject.toml scripts/setup
	scripts/setup $(VENV)
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/newsalign demo

# Test workers for `make test` (pytest-xdist): tests sharing a server or a lake stay on one worker
# (`xdist_group` markers, --dist loadgroup).
WORKERS ?= auto

# The edit-loop tier: parsers, pipelines in-process, SQL views and audits, the CLI through CliRunner.
# No servers, subprocess crawls, browsers, training runs or tests over 1.5 s (those are marked `slow`).
check: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -n $(WORKERS) --dist loadgroup -q

# What CI runs: lint (ruff: the import rules keep one namespace), format check, then every test, among them
# every import resolvable by a static tool (basedpyright: tests/test_layers.py runs it beside the others).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup

bench: $(STAMP)
	$(BIN)/python -m bench
