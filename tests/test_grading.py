"""Does nbgrader score submissions as the checks intend? Real nbgrader, real kernels, real training.

All read the session's graded course (``tests/conftest.py``): the grading
demo's students (references, untouched stubs, typical mistakes), then one
self-check failure per assignment and the mistakes that must cost accuracy
tiers, graded with ``nbgrader autograde`` in the sandbox, judged from
outside, with feedback generated.
"""

from __future__ import annotations

import re

import pytest

from autograder import assignments, checks, mistakes, notebooks
from autograder.assignments import IDS, grade_id_for, release_path
from autograder.course import students
from tests.conftest import (
    STUB,
    caught_by_a_hidden_check,
    demo_mistakes_lost,
    expected_scores_of,
    graded_assignments,
    graded_mistakes,
    skip_without_data,
    student_id,
)
from tests.helpers import changes_a_trained_model, expected_cell_scores

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("assignment", IDS)
def test_reference_scores_full_marks_and_stub_zero(graded_course, assignment):
    skip_without_data(assignment)
    scores = graded_course.course.cell_scores(assignment)
    full = expected_cell_scores(assignment)
    assert scores["reference"] == full
    assert scores[STUB] == dict.fromkeys(full, 0.0)


def test_the_demo_grades_every_assignment_releases_feedback_and_reports(graded_course):
    # `make demo` runs this very command: `cnn-grader demo --workers 2`.
    printed, root, graded = (
        graded_course.demo_output,
        graded_course.course.root,
        graded_assignments(),
    )
    for assignment in set(IDS) - set(graded):  # without its data, in one line
        assert printed.count(f"skipping {assignment}: ") == 1
    for assignment in graded:
        scores = graded_course.course.cell_scores(assignment)["typical-mistakes"]
        assert 0 < sum(scores.values()) < sum(expected_cell_scores(assignment).values())
        lost = demo_mistakes_lost(assignment)
        assert {cell: scores[cell] for cell in lost} == lost, assignment
        trained = assignments.get(assignment).accuracy_cells
        if any(m.demo and changes_a_trained_model(m) for m in mistakes.for_assignment(assignment)):
            assert {grade_id_for(cell) for cell in trained} & set(lost), assignment
    full = sum(sum(expected_cell_scores(a).values()) for a in graded)
    assert "typical-mistakes" in printed and f"{full:g} / {full:g}" in printed  # references
    assert "grades.csv" in printed and "report:" in printed and "failures so far 0" in printed
    assert (root / "grades.csv").read_text().count("typical-mistakes") == len(graded)
    assert (root / "report" / "index.html").exists()
    assert len(list((root / "exchange").rglob("*.html"))) == 3 * len(graded)  # released


@pytest.mark.parametrize("assignment", IDS)
def test_each_mistake_loses_exactly_the_points_of_its_checks(graded_course, assignment):
    skip_without_data(assignment)
    scores = graded_course.course.cell_scores(assignment)
    for mistake in graded_mistakes(assignment):
        assert scores[student_id(mistake)] == expected_scores_of(mistake), mistake.name


PICTURE_DATA = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+")


@pytest.mark.parametrize("assignment", IDS)
def test_feedback_shows_the_report_but_no_check_internals(graded_course, assignment):
    skip_without_data(assignment)
    course = graded_course.course
    caught = course.feedback_path(student_id(caught_by_a_hidden_check(assignment)), assignment)
    pages = [caught.read_text(), course.feedback_path(STUB, assignment).read_text()]
    assert "expected 기대" in pages[0] and "found    결과" in pages[0]
    internals = ("SEED", "keras_values", "reference_conv2d", "to_categorical(", "def test_")
    # What the released notebook says itself (04's self-check hints name to_categorical) is
    # no leak; a picture's base64 may spell anything.
    released = "\n".join(c.source for c in notebooks.read(release_path(assignment)).cells)
    for page in pages:
        text = PICTURE_DATA.sub("", page)
        for internal in (*internals, "LECTURE_OUTPUT", "expect("):
            assert internal in released or internal not in text, internal


@pytest.mark.parametrize("assignment", IDS)
def test_model_feedback_shows_pictures_under_its_accuracy_cells(graded_course, assignment):
    skip_without_data(assignment)
    figures = getattr(checks.load(assignment), "FEEDBACK_FIGURES", {})
    if not figures:
        pytest.skip(f"{assignment} trains no model")
    course = graded_course.course
    nb = notebooks.read(course.graded_path("reference", assignment))
    pictures = {
        notebooks.grade_id_of(cell)
        for cell in notebooks.test_cells(nb)
        if any("image/png" in output.get("data", {}) for output in cell.outputs)
    }
    assert pictures == {grade_id_for(cell) for cell in figures}
    images = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    page = course.feedback_path("reference", assignment).read_text()
    assert page.count("data:image/png;base64,") >= images


def test_every_graded_mistake_has_an_id_of_its_own_the_course_accepts():
    ids = [student_id(m) for a in IDS for m in graded_mistakes(a)]
    assert all(students.is_safe_student_id(i) for i in ids) and len(set(ids)) == len(ids)
