"""Gives the hidden checks the student's objects, from the runner or from a notebook.

Two ways in, one fixture:

* the grading runner puts a :class:`~autograder.checking.Submission` in the
  config stash before the session starts (``nbgrader autograde``);
* ``pytest autograder/checks/a01_output_size.py --notebook path.ipynb`` runs a
  notebook's answer cells in this process and collects from its namespace.

``--cell NAME`` keeps only the checks of one test cell.
"""

from __future__ import annotations

import pytest

from autograder import notebook
from autograder.checking import Submission

SUBMISSION = pytest.StashKey[Submission]()
CELL = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("autograder")
    group.addoption("--notebook", help="run this notebook's answer cells and check them")
    group.addoption("--cell", help="only the checks of this test cell (its grade_id)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "check(points, cell): a hidden check worth `points` in the test cell `cell`"
    )
    if config.getoption("--cell"):
        config.stash[CELL] = config.getoption("--cell")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    cell = config.stash.get(CELL, None)
    if cell is None:
        return
    selected = [item for item in items if cell_of(item) == cell]
    deselected = [item for item in items if cell_of(item) != cell]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
    items[:] = selected


def cell_of(item: pytest.Item) -> str | None:
    """The test cell a check belongs to, from its ``check`` marker."""
    marker = item.get_closest_marker("check")
    return marker.kwargs.get("cell") if marker else None


@pytest.fixture(scope="module")
def student(request: pytest.FixtureRequest) -> Submission:
    """The student's objects that this module's ``STUDENT_NAMES`` lists (``student.conv2d``)."""
    config = request.config
    if SUBMISSION not in config.stash:
        path = config.getoption("--notebook")
        if not path:
            pytest.fail("no submission: pass --notebook PATH (or grade through the runner)")
        namespace = notebook.run_answer_cells(path)
        config.stash[SUBMISSION] = Submission.collect(namespace, request.module.STUDENT_NAMES)
    return config.stash[SUBMISSION]
