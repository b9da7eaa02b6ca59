"""What the hidden checks share; the checks themselves are in each assignment's folder.

An assignment's check module is ``autograder/assignments/a<id>/checks.py``, an
ordinary pytest module written with :mod:`.api`; which checks it has, their
points and their titles are read from pytest's own collection
(:func:`autograder.judge.runner.collect_checks`). This package holds the
helpers they share and the pytest plugin (:mod:`.plugin`) and settings
(``pytest.ini``) they run with.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from autograder import assignments

CHECKS_DIR = Path(__file__).resolve().parent
PYTEST_INI = CHECKS_DIR / "pytest.ini"
ASSIGNMENTS_DIR = Path(assignments.__file__).resolve().parent  # the assignment folders
CHECK_MODULE = "checks"  # an assignment folder's module of hidden checks


def module_name(assignment: str) -> str:
    """The check module's name for an assignment id such as ``01_output_size``."""
    return f"{assignments.__name__}.{assignments.folder_name(assignment)}.{CHECK_MODULE}"


def assignment_of(module: ModuleType) -> str:
    """The assignment id a check module checks
    (``autograder.assignments.a01_output_size.checks`` -> ``01_output_size``)."""
    return module.__name__.split(".")[-2].removeprefix("a")


def check_module_path(assignment: str) -> Path:
    """The file of an assignment's check module; KeyError for an unknown assignment."""
    path = ASSIGNMENTS_DIR / assignments.folder_name(assignment) / f"{CHECK_MODULE}.py"
    if not path.is_file():
        raise KeyError(f"no hidden checks for assignment {assignment!r}")
    return path


def load(assignment: str) -> ModuleType:
    """Import an assignment's check module."""
    check_module_path(assignment)
    return importlib.import_module(module_name(assignment))
