"""Hidden checks, one pytest module per assignment: ``a<assignment id>.py``."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

CHECKS_DIR = Path(__file__).resolve().parent


def module_name(assignment: str) -> str:
    """The check module's name for an assignment id such as ``01_output_size``."""
    return f"a{assignment}"


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


def check_points(assignment: str) -> dict[str, dict[str, float]]:
    """Points of every hidden check of an assignment, by test cell then check name."""
    cells: dict[str, dict[str, float]] = {}
    for name, func in vars(load(assignment)).items():
        for mark in getattr(func, "pytestmark", []):
            if name.startswith("test_") and mark.name == "check":
                cells.setdefault(mark.kwargs["cell"], {})[name] = float(mark.kwargs["points"])
    return cells
