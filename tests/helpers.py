"""Small factories shared by the tests."""

from __future__ import annotations

import re
from collections.abc import Iterable

from nbformat import NotebookNode

from autograder import checks, notebook
from autograder.checking import Submission
from autograder.runner import CheckResult, judge

GRADE_CALL = re.compile(r'grade\("(?P<assignment>[^"]+)", "(?P<cell>[^"]+)", globals\(\)\)')


def grade_id_of(cell: str) -> str:
    """The grade_id of the notebook test cell that grades check cell ``cell``."""
    return f"test_{cell}"


def judge_notebook(assignment: str, nb: NotebookNode) -> dict[str, list[CheckResult]]:
    """Run a notebook's answer cells here and judge every test cell's checks."""
    namespace = notebook.run_answer_cells(nb)
    submission = Submission.collect(namespace, checks.load(assignment).STUDENT_NAMES)
    return {cell: judge(assignment, cell, submission) for cell in checks.check_points(assignment)}


def failed_checks(results: dict[str, list[CheckResult]]) -> set[str]:
    """Names of the checks that did not pass."""
    return {r.name for cell in results.values() for r in cell if not r.passed}


def expected_cell_scores(
    assignment: str, fails: Iterable[str] = (), zeroes: Iterable[str] = ()
) -> dict[str, float]:
    """nbgrader's score per test cell when these checks fail and these cells' self-checks fail."""
    fails, zeroes = set(fails), set(zeroes)
    return {
        grade_id_of(cell): 0.0
        if grade_id_of(cell) in zeroes
        else sum(p for name, p in points.items() if name not in fails)
        for cell, points in checks.check_points(assignment).items()
    }
