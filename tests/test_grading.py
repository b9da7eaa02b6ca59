"""Does nbgrader score submissions as the checks intend? Real nbgrader, real kernels.

Each test builds a scratch course directory, generates the student version,
submits notebooks built from the released stub, and runs ``nbgrader
autograde`` (and ``generate_feedback``) exactly as an instructor would.
"""

from __future__ import annotations

import re

import pytest

from autograder import checks, mistakes, notebook, samples
from autograder.course import ASSIGNMENTS, Course, release_path
from autograder.demo import NEEDS_DATA, run_demo
from autograder.grading import autograde
from source_data import course_data
from tests.helpers import expected_cell_scores, grade_id_of, tiers_missed

pytestmark = pytest.mark.slow


def student_id(mistake: mistakes.Mistake) -> str:
    """A folder-safe student id for a mistake."""
    return "mistake-" + re.sub(r"[^a-z0-9]+", "-", mistake.name.lower()).strip("-")


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded(request, tmp_path_factory):
    """One assignment autograded for the reference, the stub and every catalogued mistake."""
    assignment = request.param
    if assignment in NEEDS_DATA:  # fail here, clearly, rather than in every notebook
        course_data.dataset_path(NEEDS_DATA[assignment])
    course = Course.create(tmp_path_factory.mktemp(assignment), (assignment,))
    course.generate(assignment)
    course.submit("reference", assignment, samples.submission(assignment))
    course.submit("stub", assignment, samples.stub(assignment))
    for mistake in mistakes.for_assignment(assignment):
        course.submit(
            student_id(mistake), assignment, samples.submission(assignment, mistake.answers)
        )
    # Two notebooks at a time (cnn-grader autograde --workers 2): halves the wait on two
    # cores; test_workflow.py proves the grades equal those of one-at-a-time grading.
    outcomes = autograde(course, (assignment,), workers=2, out=lambda line: None)
    assert all(o.ok for o in outcomes), [o.log for o in outcomes if not o.ok]
    course.generate_feedback(assignment)
    return assignment, course


def test_reference_scores_full_marks_and_stub_zero(graded):
    assignment, course = graded
    scores = course.cell_scores(assignment)
    full = expected_cell_scores(assignment)
    assert scores["reference"] == full
    assert scores["stub"] == dict.fromkeys(full, 0.0)


def test_each_mistake_loses_exactly_the_points_of_its_checks(graded):
    assignment, course = graded
    scores = course.cell_scores(assignment)
    for mistake in mistakes.for_assignment(assignment):
        fails = set(mistake.fails)
        if mistake.accuracy_decides:
            graded = notebook.read(course.graded_path(student_id(mistake), assignment))
            fails |= tiers_missed(assignment, notebook.printed_text(graded))
        expected = expected_cell_scores(assignment, fails, mistake.zeroes)
        assert scores[student_id(mistake)] == expected, mistake.name


def test_feedback_shows_the_report_but_no_check_internals(graded):
    assignment, course = graded
    mistake = next(m for m in mistakes.for_assignment(assignment) if not m.zeroes)
    page = course.feedback_path(student_id(mistake), assignment).read_text()
    assert "expected 기대" in page and "found    결과" in page
    for internal in (
        "20261123",
        "SEED",
        "keras_conv_size",
        "tf_conv2d",
        "to_categorical()(",
        "def test_",
        "LECTURE_OUTPUT",
        "expect(",
    ):
        assert internal not in page, internal


def test_model_feedback_shows_pictures_under_its_accuracy_cells(graded):
    assignment, course = graded
    figures = getattr(checks.load(assignment), "FEEDBACK_FIGURES", {})
    if not figures:
        pytest.skip(f"{assignment} trains no model")
    nb = notebook.read(course.graded_path("reference", assignment))
    pictures = {
        notebook.nbgrader_meta(cell)["grade_id"]
        for cell in notebook.test_cells(nb)
        if any("image/png" in output.get("data", {}) for output in cell.outputs)
    }
    assert pictures == {grade_id_of(cell) for cell in figures}
    images = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    page = course.feedback_path("reference", assignment).read_text()
    assert page.count("data:image/png;base64,") >= images


def test_committed_student_versions_match_what_nbgrader_generates(tmp_path):
    """assignments/ must never drift from solutions/: run `cnn-grader generate` after edits."""
    course = Course.create(tmp_path / "course")
    for assignment in ASSIGNMENTS:
        generated = course.generate(assignment).parent
        committed = release_path(assignment).parent
        names = sorted(p.name for p in generated.iterdir())
        assert names == sorted(p.name for p in committed.iterdir()), assignment
        for name in names:
            same = (generated / name).read_bytes() == (committed / name).read_bytes()
            assert same, f"{assignment}/{name}: run `cnn-grader generate {assignment}`"


def test_demo_grades_reference_full_stub_zero_and_mistakes_in_between(tmp_path, capsys):
    rows = run_demo(tmp_path / "demo", ("03_one_hot",))
    score = {row["student_id"]: float(row["score"]) for row in rows}
    assert score["reference"] == float(rows[0]["max_score"]) == 7.0
    assert score["untouched-stub"] == 0.0
    assert 0.0 < score["typical-mistakes"] < 7.0
    out = capsys.readouterr().out
    assert "typical-mistakes" in out and "grades.csv" in out and "report:" in out
    assert (tmp_path / "demo" / "report" / "index.html").exists()
    assert len(list((tmp_path / "demo" / "exchange").rglob("*.html"))) == 3  # released
