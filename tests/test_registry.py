"""Do the registry, the notebooks, the checks and the catalogue agree about each assignment?"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from autograder import assignments, mistakes, notebooks
from autograder.assignments import IDS, REPO_ROOT, grade_id_for, release_path, solution_path
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


@pytest.mark.parametrize("assignment", [a for a in IDS if assignments.get(a).data])
def test_a_notebook_that_loads_data_does_it_in_its_locked_set_up_cell(assignment):
    """The set-up cell gets the long time limit; loading data elsewhere would not."""
    code = [c for c in notebooks.read(solution_path(assignment)).cells if c.cell_type == "code"]
    assert notebooks.grade_id_of(code[0]) == notebooks.SETUP_CELL_ID
    assert notebooks.nbgrader_meta(code[0]).get("locked")
    assert "from course_data import" in code[0].source


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


# What an assignment's folder in the grader holds (autograder/assignments/a<id>/).
FOLDER_FILES = ("__init__.py", "info.py", "checks.py", "mistakes.py")


def ids_by_place(root: Path) -> dict[str, set[str]]:
    """The assignment ids each place of a course checkout holds: a folder each."""

    def folders(place: Path) -> set[str]:
        return {p.name for p in place.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))}

    return {
        "solutions/": folders(root / "solutions"),
        "assignments/": folders(root / "assignments"),
        "autograder/assignments/": {
            name.removeprefix("a") for name in folders(root / "autograder" / "assignments")
        },
    }


def disagreements(root: Path, registry: set[str]) -> list[str]:
    """Each id a place holds that the registry lacks, and each it lacks, in words."""
    found = []
    for place, ids in ids_by_place(root).items():
        found += [f"{place} has {odd}, which the registry lacks" for odd in sorted(ids - registry)]
        found += [
            f"{place} lacks {gone}, which the registry has" for gone in sorted(registry - ids)
        ]
    return found


def test_every_place_holds_the_registrys_assignments_and_no_other():
    assert disagreements(REPO_ROOT, set(IDS)) == []


def test_the_course_is_the_checkout_the_registry_lies_in_wherever_it_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert assignments._course_checkout() == Path(__file__).resolve().parents[1]


def test_a_stray_or_missing_assignment_is_named_with_its_place(tmp_path):
    for place in ("solutions/01_a", "solutions/03_stray", "assignments/01_a", "assignments/02_b"):
        (tmp_path / place).mkdir(parents=True)
    for folder in ("a01_a", "a02_b", "__pycache__"):
        (tmp_path / "autograder" / "assignments" / folder).mkdir(parents=True)
    assert disagreements(tmp_path, {"01_a", "02_b"}) == [
        "solutions/ has 03_stray, which the registry lacks",
        "solutions/ lacks 02_b, which the registry has",
    ]


@pytest.mark.parametrize("assignment", IDS)
def test_each_assignment_is_one_folder_with_its_notebooks(assignment):
    folder = Path(assignments.__file__).parent / assignments.folder_name(assignment)
    assert [name for name in FOLDER_FILES if not (folder / name).is_file()] == []
    assert solution_path(assignment).is_file() and release_path(assignment).is_file()
    module = importlib.import_module(f"{assignments.__name__}.{folder.name}.mistakes")
    assert {m.assignment for m in module.MISTAKES} == {assignment}, "a mistake of another id"


def test_a_folder_whose_facts_are_missing_or_of_another_id_is_refused(tmp_path, monkeypatch):
    package = tmp_path / "course_under_test"
    (package / "a10_extra").mkdir(parents=True)
    for init in (package / "__init__.py", package / "a10_extra" / "__init__.py"):
        init.write_text("")
    monkeypatch.syspath_prepend(tmp_path)
    with pytest.raises(ImportError, match=r"a10_extra/ has no info\.py"):
        assignments.discover([str(package)], package.name)
    (package / "a10_extra" / "info.py").write_text(
        "from autograder.assignments import Assignment\n"
        "ASSIGNMENT = Assignment('11_other', 'a topic', 1, ('f',))\n"
    )
    with pytest.raises(ImportError, match=r"a10_extra/info\.py.*'10_extra'.*11_other"):
        assignments.discover([str(package)], package.name)
