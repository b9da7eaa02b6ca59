"""``cnn-grader`` as the course team meets it: counts that say what was done, and a user's
mistake answered in a few lines (what happened, what to do), a non-zero exit status and
no traceback, through the real ``cnn-grader`` entry point."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from autograder.assignments import REPO_ROOT
from autograder.course.directory import Course

ASSIGNMENT = "03_one_hot"


def fake_feedback(course: Course, student: str, assignment: str = ASSIGNMENT) -> None:
    """A feedback page as ``generate_feedback`` leaves it, beside its submission's secret."""
    page = course.feedback_path(student, assignment)
    page.parent.mkdir(parents=True)
    page.write_text("<html>feedback</html>")
    (page.parent / "timestamp.txt").write_text("2026-11-29 12:00:00.000000 UTC")
    (page.parent / "submission_secret.txt").write_text(f"secret of {student}")


def test_release_feedback_counts_the_pages_nbgrader_released(tmp_path):
    course = Course.create(tmp_path / "course", (ASSIGNMENT,))
    for student in ("ana", "ben", "cho"):
        fake_feedback(course, student)
    assert course.release_feedback(ASSIGNMENT, tmp_path / "exchange") == 3
    assert len(list((tmp_path / "exchange").glob("cnn-course/feedback/*.html"))) == 3


OUTPUTS = [  # what the commands write into the course by default, and what they read
    "grades.csv",
    "grades_canvas.csv",
    "grades_moodle.csv",
    "grades_spring.csv",
    "roster.csv",
    "roster_2026.csv",
    "report/index.html",
    "report/04_mnist_cnn/item_analysis.csv",
    "similarity/03_one_hot/pairs.csv",
    "grading_times.csv",
    "gradebook.db",
    "submitted/ana/03_one_hot/03_one_hot.ipynb",
    "feedback/ana/03_one_hot/03_one_hot.html",
]


def test_every_file_of_grades_identities_or_students_work_is_git_ignored():
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *OUTPUTS],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert sorted(result.stdout.split()) == sorted(OUTPUTS)
