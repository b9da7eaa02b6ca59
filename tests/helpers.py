"""Small factories shared by the tests."""

from __future__ import annotations

import re
from collections.abc import Iterable

from nbformat import NotebookNode

from autograder import checks, notebook
from autograder.checking import Submission
from autograder.course import ASSIGNMENTS, release_path
from autograder.runner import CheckResult, judge

# Notebooks that train models: their checks are proven through nbgrader only
# (tests/test_grading.py), since running each catalogued mistake here would train again.
TRAINS_MODELS = {"04_mnist_cnn", "06_binary_crossentropy"}


QUICK_ASSIGNMENTS = tuple(a for a in ASSIGNMENTS if a not in TRAINS_MODELS)


def grade_id_of(cell: str) -> str:
    """The grade_id of the notebook test cell that grades check cell ``cell``."""
    return f"test_{cell}"


def judge_notebook(assignment: str, nb: NotebookNode) -> dict[str, list[CheckResult]]:
    """Run a notebook's answer cells here and judge every test cell's checks."""
    namespace = notebook.run_answer_cells(nb, release_path(assignment).parent)
    submission = Submission.collect(namespace, checks.load(assignment).STUDENT_NAMES)
    return {cell: judge(assignment, cell, submission) for cell in checks.check_points(assignment)}


def failed_checks(results: dict[str, list[CheckResult]]) -> set[str]:
    """Names of the checks that did not pass."""
    return {r.name for cell in results.values() for r in cell if not r.passed}


TIER = re.compile(r"test_(?P<model>cnn|mlp|binary)_accuracy_at_least_(?P<tier>\d{4})")
PRINTED_ACCURACY = re.compile(
    r"(?P<model>CNN|MLP|binary) (?:test|hold-out) accuracy: (?P<accuracy>[\d.]+)"
)


def tiers_missed(assignment: str, printed: str) -> set[str]:
    """The accuracy-tier checks that accuracies printed in a graded notebook do not reach."""
    accuracy = {
        m["model"].lower(): float(m["accuracy"]) for m in PRINTED_ACCURACY.finditer(printed)
    }
    return {
        name
        for cell in checks.check_points(assignment).values()
        for name in cell
        if (tier := TIER.fullmatch(name))
        and accuracy.get(tier["model"], 0.0) < int(tier["tier"]) / 1000
    }


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
