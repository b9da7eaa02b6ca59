"""Gives the hidden checks the student's objects, from the runner or from a notebook.

Two ways in, one fixture:

* the grading runner puts a :class:`~autograder.checks.api.Submission` in the
  config stash before the session starts (``nbgrader autograde``);
* ``pytest -c autograder/checks/pytest.ini autograder/assignments/a01_output_size/checks.py
  --notebook path.ipynb`` runs a notebook's answer cells in this process and
  collects from its namespace.

It is a pytest plugin, loaded by name (``-p`` in ``pytest.ini``): the check
modules lie in the assignment folders, not below this one.

``--cell NAME`` keeps only the checks of one test cell.

Checks that draw random cases take them from the ``rng`` fixture: a stream
of its own per check, from the grading's ``seed``, which is fresh at every
grading (so a list of one grading's cases is worthless at the next) and
named in the report, so that ``--seed N`` replays the very same cases.
"""

from __future__ import annotations

import secrets
import zlib

import numpy as np
import pytest

from autograder import assignments
from autograder.checks import assignment_of
from autograder.checks.api import Submission

SUBMISSION = pytest.StashKey[Submission]()
CELL = pytest.StashKey[str]()
SEED = pytest.StashKey[int]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("autograder")
    group.addoption("--notebook", help="run this notebook's answer cells and check them")
    group.addoption("--cell", help="only the checks of this test cell (its grade_id)")
    group.addoption("--seed", type=int, help="the random cases' seed a report names (replay)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "check(points, cell): a hidden check worth `points` in the test cell `cell`"
    )
    if config.getoption("--cell"):
        config.stash[CELL] = config.getoption("--cell")
    if config.getoption("--seed") is not None:
        config.stash[SEED] = config.getoption("--seed")


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
    """The student's objects the module's assignment lists in the registry (``student.conv2d``)."""
    config = request.config
    if SUBMISSION not in config.stash:
        path = config.getoption("--notebook")
        if not path:
            pytest.fail("no submission: pass --notebook PATH (or grade through the runner)")
        from autograder import notebooks  # only here: the judge never reads a notebook

        namespace = notebooks.run_answer_cells(path)
        names = assignments.get(assignment_of(request.module)).student_names
        sources = notebooks.student_sources(notebooks.read(path))
        config.stash[SUBMISSION] = Submission.collect(namespace, names, sources)
    return config.stash[SUBMISSION]


def fresh_seed() -> int:
    """A seed no one can guess before grading."""
    return secrets.randbits(32)


@pytest.fixture(scope="session")
def seed(request: pytest.FixtureRequest) -> int:
    """This grading's seed of the random cases (fresh, unless the runner or --seed set it)."""
    return request.config.stash.setdefault(SEED, fresh_seed())


@pytest.fixture
def rng(seed: int, request: pytest.FixtureRequest) -> np.random.Generator:
    """The random cases of one check: its own stream, from the grading's seed and its name."""
    return np.random.default_rng([seed, zlib.crc32(request.node.name.encode())])
