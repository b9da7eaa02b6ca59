"""The hostile catalogue (tests/hostile.py) graded with correct submissions, in one run.

One real ``autograde`` run, two notebooks at a time, through the sandbox and
the intake, like an instructor's: every hostile submission must get its
expected score and a reason in its feedback, every correct one full marks,
the gradebook one consistent grade per submission, and nothing may reach
the loopback server the test starts or the course's files.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder import samples
from autograder.course import ASSIGNMENTS as COURSE_ASSIGNMENTS
from autograder.course import REPO_ROOT, Course
from autograder.grading import Outcome, autograde
from autograder.sandbox import LIMITS
from tests.helpers import expected_cell_scores
from tests.hostile import ALL, CATALOGUE, Hostile

pytestmark = pytest.mark.slow

ASSIGNMENTS = tuple(sorted({entry.assignment for entry in CATALOGUE}))


class LoopbackServer:
    """A TCP server on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.socket.close()


@dataclass
class Run:
    course: Course
    outcomes: list[Outcome]
    seconds: float
    server: LoopbackServer


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    server = LoopbackServer()
    course = Course.create(tmp_path_factory.mktemp("hostile") / "course", ASSIGNMENTS)
    for assignment in ASSIGNMENTS:
        course.generate(assignment)
        course.submit("correct", assignment, samples.submission(assignment))
    for entry in CATALOGUE:
        course.submit(entry.name, entry.assignment, entry.build(entry, server.port), entry.filename)
    started = time.monotonic()
    outcomes = autograde(course, ASSIGNMENTS, workers=2)
    seconds = time.monotonic() - started
    print(f"\ngraded {len(outcomes)} notebooks in {seconds:.0f} s with 2 workers")
    for assignment in ASSIGNMENTS:
        course.generate_feedback(assignment)
    yield Run(course, outcomes, seconds, server)
    server.close()


def test_catalogue_covers_every_assignment_with_at_least_25_submissions():
    assert len(CATALOGUE) >= 25
    assert len({entry.name for entry in CATALOGUE}) == len(CATALOGUE)
    assert all(entry.reason for entry in CATALOGUE)  # each must show the student why
    assert set(ASSIGNMENTS) == set(COURSE_ASSIGNMENTS)


def test_every_submission_gets_exactly_one_grade(run: Run):
    assert [o for o in run.outcomes if not o.ok] == []
    with run.course.gradebook() as gradebook:
        graded = [
            (assignment, submission.student_id)
            for assignment in ASSIGNMENTS
            for submission in gradebook.assignment_submissions(assignment)
        ]
    expected = [(a, "correct") for a in ASSIGNMENTS] + [(e.assignment, e.name) for e in CATALOGUE]
    assert sorted(graded) == sorted(expected)  # one each: nothing lost, nothing twice
    for assignment in ASSIGNMENTS:
        scores = run.course.cell_scores(assignment).values()
        assert all(score is not None for cells in scores for score in cells.values())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_correct_submissions_score_full_marks(run: Run, assignment: str):
    assert run.course.cell_scores(assignment)["correct"] == expected_cell_scores(assignment)


@pytest.mark.parametrize("entry", CATALOGUE, ids=[entry.name for entry in CATALOGUE])
def test_hostile_submission_gets_its_score_and_a_reason(run: Run, entry: Hostile):
    cells = expected_cell_scores(entry.assignment)
    lost = set(cells) if entry.lost == ALL else entry.lost
    expected = expected_cell_scores(entry.assignment, entry.fails, lost)
    assert run.course.cell_scores(entry.assignment)[entry.name] == expected
    feedback = run.course.feedback_path(entry.name, entry.assignment).read_text()
    assert entry.reason in feedback


def test_nothing_reaches_the_network_or_the_course_files(run: Run):
    assert run.server.connections == 0
    root = run.course.root
    assert not list(root.rglob("release_me.txt")) and not list(REPO_ROOT.glob("release_me.txt"))
    with sqlite3.connect(root / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert b"hacked" not in (root / "gradebook.db").read_bytes()


def test_enormous_output_is_cut_down_in_the_feedback(run: Run):
    page = run.course.feedback_path("enormous_output", "03_one_hot")
    assert page.stat().st_size < 2_000_000


def test_no_notebook_outlives_the_wall_clock_limit(run: Run):
    # The limit is the operating system's (timeout in the sandbox), so this
    # bound holds on any machine; the catalogue's measured time is in the README.
    slowest = max(outcome.seconds for outcome in run.outcomes)
    assert slowest < LIMITS.wall_seconds + 300
    assert Path(run.course.root / "grading_times.csv").exists()
