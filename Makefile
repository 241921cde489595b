# The two set-up commands from the README: `make demo` and `make test`.
# Both install everything into .venv first (scripts/setup), once.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench

$(STAMP): pyproject.toml scripts/setup
	scripts/setup $(VENV)
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/newsalign demo

# Lint (ruff: the import rules keep one namespace), format check, every import resolvable by a static
# tool (basedpyright), then the suite.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/basedpyright
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench
