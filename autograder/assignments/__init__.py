"""The course's assignments: one folder each, and the registry of their facts.

Each assignment is one folder of this package, ``a<id>/`` (``a04_mnist_cnn/``),
found by listing the package, never by a hand-written list:

* ``info.py``: its facts as ``ASSIGNMENT``, an :class:`Assignment`: what the
  grader must know without opening a notebook (points, the names the hidden
  checks take from the student's notebook, the data sets it needs, and which
  cells train models, the slow, budgeted part);
* ``checks.py``: its hidden checks, a pytest module written with
  :mod:`autograder.checks.api` (the checks layer: the judge runs it);
* ``mistakes.py``: its catalogued realistic mistakes (:mod:`autograder.mistakes`).

The notebooks themselves live in ``solutions/<id>/`` (the instructor's source)
and ``assignments/<id>/`` (the student release).

The registry and the facts import nothing from the rest of the package, so that
the course, the sandbox, the judge and the checks can all read them; the folders'
checks are imported only by the judge (``make check`` holds both to this).
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


def _course_checkout() -> Path:
    """The course's own folder: the checkout this package lies in (``make`` installs it
    editable), or, for a regular ``pip install`` into site-packages, the folder the
    command runs in, where the instructor keeps the course."""
    here = Path(__file__).resolve().parents[2]  # autograder/assignments/__init__.py
    return here if (here / "nbgrader_config.py").is_file() else Path.cwd()


REPO_ROOT = _course_checkout()
COURSE_ID = "cnn-course"  # CourseDirectory.course_id in nbgrader_config.py


@dataclass(frozen=True)
class Assignment:
    """What the grader knows about one assignment."""

    id: str
    topic: str
    points: int  # the sum of its test cells' points, and of its hidden checks' points
    student_names: tuple[str, ...]  # what the hidden checks take from the notebook
    data: tuple[str, ...] = ()  # data sets (course_data.MANIFEST keys) its notebook loads
    training_cells: tuple[str, ...] = ()  # answer cells (grade ids) that train models
    accuracy_cells: tuple[str, ...] = ()  # check cells that measure a trained model
    # CPU seconds the notebook may compute up to its accuracy cells (one thread, see
    # sandbox.command.ONE_THREAD): counted by the operating system, so a busy grading
    # machine does not move it. None: the notebook trains nothing.
    cpu_budget: int | None = None

    @property
    def trains_models(self) -> bool:
        """Whether grading this assignment trains models (tens of seconds per notebook)."""
        return bool(self.training_cells)


# The training budget of 04, 06 and 09, in CPU seconds. The references of 04 and 06
# spend about 175 and 150 (benchmarks/budget.md): the budget leaves room for a student's
# heavier model, and stops the lecture's CNN as written (about 3,500).
CPU_BUDGET = 360

# An assignment's folder: ``a`` and its id (a Python package name cannot start with a digit).
FOLDER = re.compile(r"a(?P<id>\d\d_[a-z0-9_]+)")


def folder_name(assignment_id: str) -> str:
    """The folder (and package) of an assignment in this package: ``a<id>``."""
    return f"a{assignment_id}"


def discover(path: Iterable[str], package: str) -> dict[str, Assignment]:
    """Every assignment folder of a package, by id, in the order of their numbers.

    ``path`` and ``package`` are the package's ``__path__`` and ``__name__``. Each
    folder's ``info.py`` states its facts as ``ASSIGNMENT``; a folder without them, or
    whose facts carry another id, is refused with a message naming it.
    """
    found: dict[str, Assignment] = {}
    for module in sorted(pkgutil.iter_modules(path), key=lambda m: m.name):
        match = FOLDER.fullmatch(module.name)
        if not (module.ispkg and match):
            continue
        info_name = f"{package}.{module.name}.info"
        if importlib.util.find_spec(info_name) is None:
            raise ImportError(f"assignment folder {module.name}/ has no info.py (its facts)")
        facts = getattr(importlib.import_module(info_name), "ASSIGNMENT", None)
        if not isinstance(facts, Assignment) or facts.id != match["id"]:
            raise ImportError(
                f"{module.name}/info.py: ASSIGNMENT must be the Assignment of id "
                f"{match['id']!r} (the folder's name without its 'a'), found {facts!r}"
            )
        found[facts.id] = facts
    return found


# Last: the folders' info.py import Assignment and CPU_BUDGET from this module as it loads.
REGISTRY: dict[str, Assignment] = discover(__path__, __name__)
IDS: tuple[str, ...] = tuple(REGISTRY)


def get(assignment_id: str) -> Assignment:
    """The registry's entry for an assignment id; KeyError naming the known ids."""
    try:
        return REGISTRY[assignment_id]
    except KeyError:
        raise KeyError(
            f"unknown assignment {assignment_id!r}; the course has {', '.join(IDS)}"
        ) from None


def solution_path(assignment_id: str, root: Path = REPO_ROOT) -> Path:
    """The instructor's notebook of an assignment (nbgrader's source)."""
    return root / "solutions" / assignment_id / f"{assignment_id}.ipynb"


def release_path(assignment_id: str, root: Path = REPO_ROOT) -> Path:
    """The student version of an assignment (nbgrader's release)."""
    return root / "assignments" / assignment_id / f"{assignment_id}.ipynb"


def grade_id_for(check_cell: str) -> str:
    """The nbgrader ``grade_id`` of the notebook test cell that runs check cell ``check_cell``."""
    return f"test_{check_cell}"
