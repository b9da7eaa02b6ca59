"""Does the grader score what real implementations do as a careful TA does, and say why?

Each pattern (``tests/real_patterns.py``) is graded as nbgrader grades it,
cells in the notebook's order: each test cell's visible self-check, then the
judge's points (over the wire, in this process), which a failing self-check
does not zero (it costs its hidden twin's points). The TA's points come from
the study in ``docs/real-implementations.md``; each failure's hint must name
its distinctive cause, and a check that cannot judge a case must not pass.
A failing self-check must cost points only through a twin that fails too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder.assignments import REPO_ROOT
from autograder.assignments.a05_petimages_loading.checks import build_pet_tree
from autograder.course import samples
from autograder.judge.runner import check_points
from tests.helpers import (
    CellGrade,
    grade_in_notebook_order,
    set_up,
    twins_failed_with_their_self_check,
)
from tests.real_patterns import A05, PATTERNS, RealPattern

SEED = 30  # the random cases; the TA's points hold for any seed
STUDY = REPO_ROOT / "docs" / "real-implementations.md"

_graded: dict[str, dict[str, CellGrade]] = {}


@pytest.fixture(scope="module")
def small_pet_images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small PetImages-like folder for 05's own run of the loader, which its self-checks read.

    The notebook runs the loader on the course's photos before its test cells;
    the self-checks look only at the result's shape and types, which a small
    folder with the same kinds of files and damage shows as well, in a moment.
    """
    root = tmp_path_factory.mktemp("pets") / "PetImages"
    build_pet_tree(root, np.random.default_rng(0))
    return root


@pytest.fixture
def graded(small_pet_images: Path):
    """Grades a pattern once per test process: each test reads what it needs."""

    def grade(pattern: RealPattern) -> dict[str, CellGrade]:
        if pattern.name not in _graded:
            namespace = set_up(pattern.assignment)
            if pattern.assignment == A05:
                namespace["PETIMAGES"] = str(small_pet_images)
            nb = samples.submission(pattern.assignment, pattern.answers)
            _graded[pattern.name] = grade_in_notebook_order(
                pattern.assignment, nb, pattern.ta_points, SEED, namespace
            )
        return _graded[pattern.name]

    return grade


def each(patterns: list[RealPattern]) -> list[Any]:
    return [pytest.param(p, id=p.name) for p in patterns]


def scores(grades: dict[str, CellGrade]) -> dict[str, float]:
    return {cell: grade.score for cell, grade in grades.items()}


@pytest.mark.parametrize("pattern", each(PATTERNS))
def test_the_grader_scores_a_real_pattern_as_the_ta_does(pattern, graded):
    """Exactly the TA's points, or within one point where the pattern says why."""
    grades = graded(pattern)
    found = scores(grades)
    off = {cell: found[cell] - ta for cell, ta in pattern.ta_points.items()}
    limit = 0 if pattern.exact else 1
    assert all(abs(d) <= limit for d in off.values()), (
        f"TA {pattern.ta_points}, grader {found} "
        f"(self-checks: { {c: g.self_check_error for c, g in grades.items()} })"
    )
    assert twins_failed_with_their_self_check(pattern.assignment, grades)


HINTED = [p for p in PATTERNS if p.hints]


@pytest.mark.parametrize("pattern", each(HINTED))
def test_the_hint_names_the_distinctive_cause(pattern, graded):
    grades = graded(pattern)
    for cell, words in pattern.hints.items():
        hints = [line for line in grades[cell].verdict.report.splitlines() if "힌트" in line]
        assert any(w in line for w in words for line in hints), "\n".join(hints)


UNJUDGEABLE = [p for p in PATTERNS if p.cannot_judge]


@pytest.mark.parametrize("pattern", each(UNJUDGEABLE))
def test_a_check_that_cannot_judge_earns_nothing(pattern, graded):
    passed = {
        check.name
        for grade in graded(pattern).values()
        for check in grade.verdict.checks
        if check.passed and check.points
    }
    assert not passed & pattern.cannot_judge


def test_each_pattern_names_cells_and_points_that_exist():
    assert len({p.name for p in PATTERNS}) == len(PATTERNS)
    for pattern in PATTERNS:
        points = check_points(pattern.assignment)
        assert pattern.ta_points.keys() <= points.keys(), pattern.name
        for cell, ta in pattern.ta_points.items():
            assert 0 <= ta <= sum(points[cell].values()), pattern.name
        checks = {name for cell in points.values() for name in cell}
        assert pattern.cannot_judge <= checks, pattern.name
        assert pattern.hints.keys() <= pattern.ta_points.keys(), pattern.name


def test_every_implementation_of_the_study_is_reproduced_by_a_pattern():
    studied = set(re.findall(r"^\| (S\d\d) \|", STUDY.read_text(), re.MULTILINE))
    reproduced = {row for p in PATTERNS for row in p.study}
    assert len(studied) >= 20
    assert studied == reproduced
