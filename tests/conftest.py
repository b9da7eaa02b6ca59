"""The slow tier's one graded course, shared by the test modules that read it.

Real nbgrader grades, in one run, two notebooks at a time as an instructor
would with ``cnn-grader autograde --workers 2``: every assignment's
reference and untouched stub, one submission whose visible self-check fails,
the catalogued mistakes that change a trained model (only real training
shows what they score), and the hostile catalogue (``tests/hostile.py``).
Everything else about the checks is proven in-process, through the same
judge and wire format (``test_checks.py``).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from autograder import assignments, mistakes
from autograder.assignments import IDS
from autograder.course import samples
from autograder.course.directory import Course
from autograder.course.grading import Outcome, autograde
from autograder.mistakes import Mistake
from source_data import course_data
from tests.helpers import changes_a_trained_model
from tests.hostile import CATALOGUE as HOSTILE


def student_id(mistake: Mistake) -> str:
    """A folder-safe student id for a catalogued mistake."""
    return "mistake-" + re.sub(r"[^a-z0-9]+", "-", mistake.name.lower()).strip("-")


def graded_mistakes(assignment: str) -> list[Mistake]:
    """The catalogued mistakes graded through nbgrader: the trained ones, a self-check zero.

    The self-check zero is one of the trained ones where there is such a
    mistake, to train no more models than needed.
    """
    trained = [m for m in mistakes.for_assignment(assignment) if changes_a_trained_model(m)]
    zeroes = [m for m in trained if m.zeroes] or [
        next(m for m in mistakes.for_assignment(assignment) if m.zeroes)
    ]
    return list({m.name: m for m in [*zeroes[:1], *trained]}.values())


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
class GradedCourse:
    """The shared course after grading and feedback."""

    course: Course
    outcomes: list[Outcome]
    seconds: float
    server: LoopbackServer


@pytest.fixture(scope="session")
def graded_course(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GradedCourse]:
    for name in {data for a in IDS for data in assignments.get(a).data}:
        course_data.dataset_path(name)  # fail here, clearly, rather than in every notebook
    server = LoopbackServer()
    course = Course.create(tmp_path_factory.mktemp("graded") / "course")
    for assignment in IDS:
        course.generate(assignment)
        course.submit("reference", assignment, samples.submission(assignment))
        course.submit("stub", assignment, samples.stub(assignment))
        for mistake in graded_mistakes(assignment):
            answers = samples.submission(assignment, mistake.answers)
            course.submit(student_id(mistake), assignment, answers)
    for entry in HOSTILE:
        course.submit(entry.name, entry.assignment, entry.build(entry, server.port), entry.filename)
    started = time.monotonic()
    outcomes = autograde(course, IDS, workers=2)
    seconds = time.monotonic() - started
    print(f"\ngraded {len(outcomes)} notebooks in {seconds:.0f} s with 2 workers")
    for assignment in IDS:
        course.generate_feedback(assignment)
    yield GradedCourse(course, outcomes, seconds, server)
    server.close()
