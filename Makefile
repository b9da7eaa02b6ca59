# The two set-up commands of the README, and the targets behind them. Each
# creates .venv and installs the project into it on first use (and again
# when pyproject.toml changes).
#   make demo     grade sample students end to end (nbgrader, SQLite gradebook)
#   make test     make check, then the slow tier: real nbgrader, real training
#   make check    lint, format, types, import layers and the in-process tier (minutes)
#   make format   rewrite the code in the project's format
PYTHON ?= python3
VENV := .venv
# nbgrader starts `alembic` through PATH, and its kernels must import this
# package: everything runs with the environment's bin/ first on PATH.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: demo test check format sandbox-tools
demo: $(VENV)/.installed sandbox-tools
	cnn-grader demo --workers 2

test: check
	pytest -m slow

check: $(VENV)/.installed sandbox-tools
	ruff check .
	ruff format --check .
	mypy
	lint-imports
	pytest -m "not slow"

format: $(VENV)/.installed
	ruff check --fix .
	ruff format .

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

# Grading runs student code in a bubblewrap sandbox (autograder/sandbox/).
sandbox-tools:
	@command -v bwrap >/dev/null || { echo "grading needs bubblewrap: sudo apt-get install bubblewrap (see the README's security note)"; exit 1; }
