"""The hostile catalogue (tests/hostile), graded beside correct submissions in one run per course.

The session's graded courses (``tests/conftest.py``) hold every hostile
submission next to each assignment's reference, graded by one real
``autograde`` run each, two notebooks at a time, through the intake and the
sandbox: every hostile submission must get its expected score and a reason
in its feedback, every correct one full marks and a verdict from the judge,
the gradebook one consistent grade per submission; no course file may
change, nothing may reach the loopback server the test starts, nothing large
may be left behind, and no feedback page may run a script.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest

from autograder import notebooks
from autograder.assignments import IDS, REPO_ROOT
from autograder.course.grading import autograde
from autograder.sandbox.command import LIMITS
from autograder.verdicts import METADATA_KEY
from tests.conftest import GradedCourse, course_files, graded_assignments, skip_without_data
from tests.helpers import expected_cell_scores
from tests.hostile import ALL, CATALOGUE, Hostile
from tests.hostile.feedback_pages import TAG

pytestmark = pytest.mark.slow


@pytest.fixture(params=["graded_course", "limits_course", "spending_course"])
def each_course(request: pytest.FixtureRequest) -> GradedCourse:
    return request.getfixturevalue(request.param)


def test_catalogue_covers_every_assignment_with_a_reason_for_each_entry():
    assert len({entry.name for entry in CATALOGUE}) == len(CATALOGUE)
    assert all(entry.reason for entry in CATALOGUE)  # each must show the student why
    assert {entry.assignment for entry in CATALOGUE} == set(IDS)


def test_every_submission_gets_exactly_one_grade(each_course):
    course = each_course.course
    assert [o for o in each_course.outcomes if not o.ok] == []
    assignments = tuple({o.assignment for o in each_course.outcomes})
    with course.gradebook() as gradebook:
        graded = sorted(
            (assignment, submission.student_id)
            for assignment in assignments
            for submission in gradebook.assignment_submissions(assignment)
        )
    assert sorted({(o.assignment, o.student) for o in each_course.outcomes}) == graded
    assert len(graded) == len(each_course.outcomes)  # nothing lost, nothing twice
    for assignment in assignments:
        scores = course.cell_scores(assignment).values()
        assert all(score is not None for cells in scores for score in cells.values())


@pytest.mark.parametrize("entry", CATALOGUE, ids=[entry.name for entry in CATALOGUE])
def test_hostile_submission_gets_its_score_and_a_reason(course_of, entry: Hostile):
    skip_without_data(entry.assignment)
    course = course_of(entry).course
    cells = expected_cell_scores(entry.assignment)
    lost = set(cells) if entry.lost == ALL else entry.lost
    expected = expected_cell_scores(entry.assignment, entry.fails, lost)
    assert course.cell_scores(entry.assignment)[entry.name] == expected
    feedback = course.feedback_path(entry.name, entry.assignment).read_text()
    assert entry.reason in feedback
    assert not entry.absent or entry.absent not in feedback


def test_correct_submissions_beside_them_are_judged_in_the_sandbox_for_full_marks(each_course):
    course = each_course.course
    for assignment in {o.assignment for o in each_course.outcomes if o.student == "reference"}:
        assert course.cell_scores(assignment)["reference"] == expected_cell_scores(assignment)
        graded = notebooks.read(course.graded_path("reference", assignment))
        assert all(METADATA_KEY in cell.metadata for cell in notebooks.test_cells(graded))


def test_no_course_file_changes_and_nothing_reaches_the_network(each_course):
    assert course_files(each_course.course) == each_course.before
    assert each_course.server.connections == 0
    root = each_course.course.root
    assert not list(root.rglob("release_me.txt")) and not list(REPO_ROOT.glob("release_me.txt"))
    with sqlite3.connect(root / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert b"hacked" not in (root / "gradebook.db").read_bytes()


def test_grading_leaves_nothing_large_behind(each_course):
    large = [
        path
        for path in each_course.course.root.rglob("*")
        if path.is_file() and path.stat().st_size > 10 * 2**20 and path.name != "gradebook.db"
        and "submitted" not in path.parts  # what students handed in stays as it was
    ]  # fmt: skip
    assert large == []
    assert each_course.left_behind == []


@pytest.mark.parametrize(
    ("student", "assignment"),
    [("enormous_output", "03_one_hot"), ("an_error_of_five_megabytes", "03_one_hot")],
)
def test_huge_outputs_and_errors_are_cut_down_in_the_feedback(graded_course, student, assignment):
    page = graded_course.course.feedback_path(student, assignment)
    assert page.stat().st_size < 2_000_000


def test_a_killed_or_broken_class_resumes_with_nothing_left_to_grade(graded_course):
    course = graded_course.course
    assert autograde(course, graded_assignments(), resume=True, out=lambda line: None) == []


def test_no_notebook_outlives_the_wall_clock_limit(each_course):
    # The limit is the operating system's (timeout in the sandbox), so this
    # bound holds on any machine; the catalogue's measured time is in benchmarks/ci.md.
    slowest = max(outcome.seconds for outcome in each_course.outcomes)
    assert slowest < LIMITS.wall_seconds + 300
    assert Path(each_course.course.root / "grading_times.csv").exists()


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def headless(page: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Open a page in headless Chromium, as a TA would, and let it run for three seconds."""
    assert CHROMIUM, "the browser tests need Debian's chromium (the README's set-up installs it)"
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--virtual-time-budget=3000", *extra,
             page.as_uri()],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip


def test_the_feedback_page_runs_no_script_of_the_students(graded_course, tmp_path):
    course = graded_course.course
    page = course.feedback_path("scripts_in_the_feedback", "03_one_hot")
    dom = headless(page, "--dump-dom").stdout
    assert "[one_hot] 5 / 5" in dom  # the judge's report shows
    assert "data-pwned" not in dom  # no script ran, no handler fired
    assert TAG not in dom and "<script>document" not in dom
    assert graded_course.server.connections == 0  # nothing was fetched from the page
    headless(page, f"--screenshot={tmp_path / 'scripts.png'}", "--window-size=1200,1600")
    assert (tmp_path / "scripts.png").stat().st_size > 10_000


def test_the_feedback_page_still_shows_the_judges_pictures(graded_course, tmp_path):
    page = graded_course.course.feedback_path("reference", "06_binary_crossentropy")
    dom = headless(page, "--dump-dom").stdout
    assert "data:image/png;base64," in dom and "[binary_accuracy] 3 / 3" in dom
    shot = tmp_path / "pictures.png"
    headless(page, f"--screenshot={shot}", "--window-size=1200,6000")
    assert shot.stat().st_size > 50_000
