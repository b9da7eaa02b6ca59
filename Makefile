# The two set-up commands of the README. Each creates .venv and installs the
# project into it on first use (and again when pyproject.toml changes).
#   make demo   grade sample students end to end (nbgrader, SQLite gradebook)
#   make test   lint, format check and the whole test suite
PYTHON ?= python3
VENV := .venv
# nbgrader starts `alembic` through PATH, and its kernels must import this
# package: everything runs with the environment's bin/ first on PATH.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: demo test
demo: $(VENV)/.installed
	cnn-grader demo

test: $(VENV)/.installed
	ruff check .
	ruff format --check .
	pytest

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@
