# The two set-up commands of the README. Each creates .venv and installs the
# project into it on first use (and again when pyproject.toml changes).
#   make demo   grade sample students end to end (nbgrader, SQLite gradebook)
#   make test   lint, format check and the whole test suite
PYTHON ?= python3
VENV := .venv
# nbgrader starts `alembic` through PATH, and its kernels must import this
# package: everything runs with the environment's bin/ first on PATH.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: demo test sandbox-tools
demo: $(VENV)/.installed sandbox-tools
	cnn-grader demo

test: $(VENV)/.installed sandbox-tools
	ruff check .
	ruff format --check .
	pytest

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

# Grading runs student code in a bubblewrap sandbox (autograder/sandbox.py).
sandbox-tools:
	@command -v bwrap >/dev/null || { echo "grading needs bubblewrap: sudo apt-get install bubblewrap (see the README's security note)"; exit 1; }
