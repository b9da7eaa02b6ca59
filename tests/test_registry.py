"""Do the registry, the notebooks, the checks and the catalogue agree about each assignment?"""

from __future__ import annotations

import ast

import pytest

from autograder import assignments, mistakes, notebooks
from autograder.assignments import IDS, grade_id_for, solution_path
from autograder.judge.runner import check_points
from autograder.notebooks import SELF_CHECK_HELPER, SELF_CHECK_HELPER_ID
from autograder.sandbox.execute import GRADE_CALL
from tests.helpers import checks_of


@pytest.mark.parametrize("assignment", IDS)
def test_each_test_cell_is_worth_the_points_of_its_checks(assignment):
    """A test cell's points must equal its checks' points, or nbgrader's partial credit lies."""
    points = check_points(assignment)
    graded = {}
    for cell in notebooks.test_cells(notebooks.read(solution_path(assignment))):
        call = GRADE_CALL.search(cell.source)
        assert call and call["assignment"] == assignment, cell.source
        assert notebooks.grade_id_of(cell) == grade_id_for(call["cell"])
        graded[call["cell"]] = notebooks.nbgrader_meta(cell)["points"]
    assert graded == {cell: sum(p.values()) for cell, p in points.items()}
    assert sum(graded.values()) == assignments.get(assignment).points


@pytest.mark.parametrize("assignment", IDS)
def test_registry_names_cells_the_notebook_has(assignment):
    registry = assignments.get(assignment)
    nb = notebooks.read(solution_path(assignment))
    answer_cells = {notebooks.grade_id_of(c) for c in nb.cells if notebooks.grade_id_of(c)}
    assert set(registry.training_cells) <= answer_cells
    assert set(registry.accuracy_cells) <= set(check_points(assignment))
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert all(name in source for name in registry.student_names)


def test_hidden_part_of_a_test_cell_is_only_a_call_into_the_package():
    for assignment in IDS:
        for cell in notebooks.test_cells(notebooks.read(solution_path(assignment))):
            hidden = cell.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")
            lines = [line for line in hidden[0].strip().splitlines() if line.strip()]
            assert lines[0] == "from autograder import grade"
            assert GRADE_CALL.fullmatch(lines[1]) and len(lines) == 2


@pytest.mark.parametrize("assignment", IDS)
def test_each_notebook_says_how_a_cell_is_scored_and_its_self_checks_report_as_the_grader(
    assignment,
):
    """The opening cell says how a cell is scored; a locked cell before the first answer
    defines the self-checks' helper, the same in every notebook; every visible assertion
    says what was expected, what was found and a hint through it."""
    nb = notebooks.read(solution_path(assignment))
    assert "How a cell is scored" in nb.cells[0].source and "채점" in nb.cells[0].source
    ids = [notebooks.grade_id_of(cell) for cell in nb.cells]
    helper = nb.cells[ids.index(SELF_CHECK_HELPER_ID)]
    assert helper.source == SELF_CHECK_HELPER.rstrip("\n") and ids.count(SELF_CHECK_HELPER_ID) == 1
    assert notebooks.nbgrader_meta(helper)["locked"]
    first_answer = next(
        i for i, c in enumerate(nb.cells) if notebooks.nbgrader_meta(c).get("solution")
    )
    assert ids.index(SELF_CHECK_HELPER_ID) < first_answer
    for cell in notebooks.test_cells(nb):
        visible = ast.parse(cell.source.split("### BEGIN HIDDEN TESTS")[0])
        for node in ast.walk(visible):
            if isinstance(node, ast.Assert):
                message = node.msg
                assert isinstance(message, ast.Call), ast.unparse(node)
                assert ast.unparse(message.func) == "self_check_failed", ast.unparse(node)
                assert {k.arg for k in message.keywords} == {"expected", "found", "hint"}


@pytest.mark.parametrize("assignment", IDS)
def test_every_check_is_failed_by_some_realistic_mistake(assignment):
    caught = set().union(*(m.fails for m in mistakes.for_assignment(assignment)))
    assert checks_of(assignment) - caught == set(), "checks no mistake in the catalogue fails"
    assert len(mistakes.for_assignment(assignment)) >= 5


def test_every_mistake_names_checks_and_cells_that_exist():
    for mistake in mistakes.CATALOGUE:
        assert mistake.fails <= checks_of(mistake.assignment), mistake.name
        cells = {grade_id_for(cell) for cell in check_points(mistake.assignment)}
        assert mistake.self_check_fails <= cells, mistake.name
