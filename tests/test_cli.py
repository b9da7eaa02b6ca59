"""``cnn-grader`` as the course team meets it: counts that say what was done, and a user's
mistake answered in a few lines (what happened, what to do), a non-zero exit status and
no traceback, through the real ``cnn-grader`` entry point."""

from __future__ import annotations

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
