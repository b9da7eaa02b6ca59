"""The hostile catalogue (tests/hostile.py), graded beside correct submissions in one run.

The session's graded course (``tests/conftest.py``) holds every hostile
submission next to each assignment's reference, graded by one real
``autograde`` run, two notebooks at a time, through the intake and the
sandbox: every hostile submission must get its expected score and a reason
in its feedback, every correct one full marks, the gradebook one consistent
grade per submission, and nothing may reach the loopback server the test
starts or the course's files.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from autograder.assignments import IDS, REPO_ROOT
from autograder.sandbox.command import LIMITS
from tests.helpers import expected_cell_scores
from tests.hostile import ALL, CATALOGUE, Hostile

pytestmark = pytest.mark.slow


def test_catalogue_covers_every_assignment_with_a_reason_for_each_entry():
    assert len({entry.name for entry in CATALOGUE}) == len(CATALOGUE)
    assert all(entry.reason for entry in CATALOGUE)  # each must show the student why
    assert {entry.assignment for entry in CATALOGUE} == set(IDS)


def test_every_submission_gets_exactly_one_grade(graded_course):
    course = graded_course.course
    assert [o for o in graded_course.outcomes if not o.ok] == []
    with course.gradebook() as gradebook:
        graded = sorted(
            (assignment, submission.student_id)
            for assignment in IDS
            for submission in gradebook.assignment_submissions(assignment)
        )
    assert sorted({(o.assignment, o.student) for o in graded_course.outcomes}) == graded
    assert len(graded) == len(graded_course.outcomes)  # nothing lost, nothing twice
    for assignment in IDS:
        scores = course.cell_scores(assignment).values()
        assert all(score is not None for cells in scores for score in cells.values())


@pytest.mark.parametrize("entry", CATALOGUE, ids=[entry.name for entry in CATALOGUE])
def test_hostile_submission_gets_its_score_and_a_reason(graded_course, entry: Hostile):
    course = graded_course.course
    cells = expected_cell_scores(entry.assignment)
    lost = set(cells) if entry.lost == ALL else entry.lost
    expected = expected_cell_scores(entry.assignment, entry.fails, lost)
    assert course.cell_scores(entry.assignment)[entry.name] == expected
    feedback = course.feedback_path(entry.name, entry.assignment).read_text()
    assert entry.reason in feedback


def test_nothing_reaches_the_network_or_the_course_files(graded_course):
    assert graded_course.server.connections == 0
    root = graded_course.course.root
    assert not list(root.rglob("release_me.txt")) and not list(REPO_ROOT.glob("release_me.txt"))
    with sqlite3.connect(root / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert b"hacked" not in (root / "gradebook.db").read_bytes()


def test_enormous_output_is_cut_down_in_the_feedback(graded_course):
    page = graded_course.course.feedback_path("enormous_output", "03_one_hot")
    assert page.stat().st_size < 2_000_000


def test_no_notebook_outlives_the_wall_clock_limit(graded_course):
    # The limit is the operating system's (timeout in the sandbox), so this
    # bound holds on any machine; the catalogue's measured time is in the README.
    slowest = max(outcome.seconds for outcome in graded_course.outcomes)
    assert slowest < LIMITS.wall_seconds + 300
    assert Path(graded_course.course.root / "grading_times.csv").exists()
