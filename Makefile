# The two set-up commands of the README, and the targets behind them. Each
# creates .venv and installs the project into it on first use (and again
# when pyproject.toml changes), and installs the Debian packages it needs
# when run as root (or says which to install and stops).
#   make demo     grade sample students end to end (nbgrader, SQLite gradebook)
#   make test     make check, then the slow tier: real nbgrader, real training
#   make check    lint, format, types, import layers, the docs and the in-process tier (minutes)
#   make docs     the documentation site, built strictly into site/ (a warning fails it)
#   make format   rewrite the code in the project's format
#   make test-student  a fresh student environment runs every released notebook (~11 min)
PYTHON ?= python3
VENV := .venv
# nbgrader starts `alembic` through PATH, and its kernels must import this
# package: everything runs with the environment's bin/ first on PATH.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
GRADING_PACKAGES := bwrap:bubblewrap prlimit:util-linux setpriv:util-linux timeout:coreutils
# The browser tests look at pages as a Korean TA sees them: Korean text, not boxes.
TEST_PACKAGES := $(GRADING_PACKAGES) chromium:chromium \
	/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc:fonts-noto-cjk

.PHONY: demo test check docs format test-student
demo: $(VENV)/.installed
	@tools/system-packages.sh $(GRADING_PACKAGES)
	cnn-grader demo --workers 2

test: check
	tools/with-postgres.sh tools/slow-tier.sh

test-student: $(VENV)/.installed
	pytest -m student_setup

check: $(VENV)/.installed docs
	@tools/system-packages.sh $(TEST_PACKAGES)
	ruff check .
	ruff format --check .
	mypy
	lint-imports
	pytest -m "not slow" --numprocesses auto --maxprocesses 4

# Strict: a broken link or anchor, or a page left out of the nav, fails the build. The
# variable quiets Material's notice about its successor, which is no warning of ours.
docs: $(VENV)/.installed
	NO_MKDOCS_2_WARNING=1 mkdocs build --strict --site-dir site

format: $(VENV)/.installed
	ruff check --fix .
	ruff format .

# Grading runs the very versions students install (assignments/requirements.txt).
$(VENV)/.installed: pyproject.toml assignments/requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "this needs Python 3.11 or newer as $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev,docs]' -c assignments/requirements.txt
	touch $@
