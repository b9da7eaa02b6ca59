"""Hidden checks, one pytest module per assignment: ``a<assignment id>.py``.

A check module is an ordinary pytest module written with :mod:`.api`; which
checks it has, their points and their titles are read from pytest's own
collection (:func:`autograder.judge.runner.collect_checks`).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

CHECKS_DIR = Path(__file__).resolve().parent
PYTEST_INI = CHECKS_DIR / "pytest.ini"


def module_name(assignment: str) -> str:
    """The check module's name for an assignment id such as ``01_output_size``."""
    return f"a{assignment}"


def assignment_of(module: ModuleType) -> str:
    """The assignment id a check module checks (``a01_output_size`` -> ``01_output_size``)."""
    return module.__name__.rsplit(".", 1)[-1].removeprefix("a")


def check_module_path(assignment: str) -> Path:
    """The file of an assignment's check module; KeyError for an unknown assignment."""
    path = CHECKS_DIR / f"{module_name(assignment)}.py"
    if not path.is_file():
        raise KeyError(f"no hidden checks for assignment {assignment!r}")
    return path


def load(assignment: str) -> ModuleType:
    """Import an assignment's check module."""
    check_module_path(assignment)
    return importlib.import_module(f"{__name__}.{module_name(assignment)}")
