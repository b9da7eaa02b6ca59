"""The slow tier's graded courses, shared by the test modules that read them.

Real nbgrader grades, in one run per course, two notebooks at a time as an
instructor would with ``cnn-grader autograde --workers 2``:

* ``graded_course``, with the course's own limits: every assignment's
  reference and untouched stub, one submission whose visible self-check
  fails, the catalogued mistakes that must cost accuracy tiers (only real
  training shows what they score), and the hostile catalogue
  (``tests/hostile``);
* ``limits_course``, with a 30 s cell limit, as nbgrader's own tests
  shorten theirs: the hostile entries that wait out a time limit, beside
  correct submissions.

Everything else about the checks is proven in-process, through the same
judge and wire format (``test_checks.py``).
"""

from __future__ import annotations

import hashlib
import re
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder import assignments, mistakes
from autograder.assignments import IDS, REPO_ROOT, grade_id_for
from autograder.course import samples
from autograder.course.directory import Course
from autograder.course.grading import Outcome, autograde
from autograder.mistakes import Mistake
from source_data import course_data
from tests.helpers import changes_a_trained_model, checks_of, expected_cell_scores
from tests.hostile import CATALOGUE as HOSTILE
from tests.hostile import Hostile
from tests.hostile.base import QUICK_TRAINING


def student_id(mistake: Mistake) -> str:
    """A folder-safe student id for a catalogued mistake."""
    return "mistake-" + re.sub(r"[^a-z0-9]+", "-", mistake.name.lower()).strip("-")


def graded_mistakes(assignment: str) -> list[Mistake]:
    """The catalogued mistakes graded through nbgrader: the trained ones, a self-check zero,
    and one a hidden check catches (its report is what feedback pages show).

    The self-check zero and the hidden failure are trained ones where there are
    such mistakes, to train no more models than needed.
    """
    catalogued = mistakes.for_assignment(assignment)
    trained = [m for m in catalogued if changes_a_trained_model(m)]
    zero = next(m for m in [*trained, *catalogued] if m.zeroes)
    caught = next(m for m in [*trained, *catalogued] if m.fails and not m.zeroes)
    return list({m.name: m for m in [zero, caught, *trained]}.values())


def quick_trainings(mistake: Mistake) -> dict[str, str]:
    """The training cells of models the mistake leaves alone, and their quick versions.

    A mistake in the CNN changes nothing in the MLP: the MLP is trained for a
    moment, and its accuracy cell is expected to score zero
    (:func:`graded_answers`, :func:`expected_scores_of`). The model the
    mistake changes is trained for real, as a student would.
    """
    quick = {}
    for cell, (code, accuracy) in QUICK_TRAINING.get(mistake.assignment, {}).items():
        measured = checks_of(mistake.assignment, (accuracy,)) if accuracy else set()
        if cell not in mistake.answers and not mistake.fails & measured:
            quick[cell] = code
    return quick


def graded_answers(mistake: Mistake) -> dict[str, str]:
    """The answer cells a graded mistake is submitted with."""
    return {**quick_trainings(mistake), **mistake.answers}


def expected_scores_of(mistake: Mistake) -> dict[str, float]:
    """nbgrader's score per test cell for a graded mistake (quickly trained models score zero)."""
    quick = QUICK_TRAINING.get(mistake.assignment, {})
    unmeasured = {
        grade_id_for(quick[cell][1]) for cell in quick_trainings(mistake) if quick[cell][1]
    }
    return expected_cell_scores(mistake.assignment, mistake.fails, mistake.zeroes | unmeasured)


def caught_by_a_hidden_check(assignment: str) -> Mistake:
    """The graded mistake whose self-check passes and a hidden check fails."""
    return next(m for m in graded_mistakes(assignment) if m.fails and not m.zeroes)


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
    """A shared course after grading and feedback, and what was true before grading."""

    course: Course
    outcomes: list[Outcome]
    seconds: float
    server: LoopbackServer
    before: dict[str, tuple[str, int, int]]  # the course's own files: digest, mode, owner
    left_behind: list[Path]  # grading's scratch folders still there after grading


# The short limits of the limits course, appended to its nbgrader_config.py.
SHORT_LIMITS = """
c.Execute.timeout = 30
c.SandboxedExecute.training_timeout = 30
c.SandboxedExecute.interrupt_grace = 5
c.SandboxedExecute.iopub_timeout = 4
"""


def course_files(course: Course) -> dict[str, tuple[str, int, int]]:
    """Digest, mode and owner of every file of the course no student's grading may change.

    The configuration, the instructor's and the released notebooks, and every
    reference submission; the repository's own configuration and solutions too.
    """
    roots = [
        (course.root, ["nbgrader_config.py", "solutions", "assignments", "submitted/reference"]),
        (REPO_ROOT, ["nbgrader_config.py", "solutions", "assignments"]),
    ]
    found = {}
    for root, names in roots:
        for name in names:
            top = root / name
            paths = [top, *top.rglob("*")] if top.is_dir() else [top] if top.exists() else []
            for path in paths:
                info = path.lstat()
                digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
                found[str(path)] = (digest, info.st_mode, info.st_uid)
    return found


def grade_course(
    root: Path, entries: list[Hostile], assignments_graded: tuple[str, ...], extra_config: str = ""
) -> Iterator[GradedCourse]:
    """Submit and grade a course: references, stubs, graded mistakes, ``entries``."""
    for name in {data for a in assignments_graded for data in assignments.get(a).data}:
        course_data.dataset_path(name)  # fail here, clearly, rather than in every notebook
    server = LoopbackServer()
    course = Course.create(root, assignments_graded)
    with (course.root / "nbgrader_config.py").open("a") as config:
        config.write(extra_config)
    for assignment in assignments_graded:
        course.generate(assignment)
        if not (extra_config and assignments.get(assignment).trains_models):  # no time to train
            course.submit("reference", assignment, samples.submission(assignment))
        if not extra_config:
            course.submit("stub", assignment, samples.stub(assignment))
            for mistake in graded_mistakes(assignment):
                answers = samples.submission(assignment, graded_answers(mistake))
                course.submit(student_id(mistake), assignment, answers)
    for entry in entries:
        course.submit(entry.name, entry.assignment, entry.build(entry, server.port), entry.filename)
        if entry.arrange is not None:
            entry.arrange(course.root / "submitted" / entry.name / entry.assignment)
    before = course_files(course)
    scratch = set(Path(tempfile.gettempdir()).glob("cnn-*"))
    started = time.monotonic()
    outcomes = autograde(course, assignments_graded, workers=2)
    seconds = time.monotonic() - started
    print(f"\n{root.name}: graded {len(outcomes)} notebooks in {seconds:.0f} s with 2 workers")
    for assignment in assignments_graded:
        course.generate_feedback(assignment)
    left = {p for p in Path(tempfile.gettempdir()).glob("cnn-*") if p.is_dir()} - scratch
    yield GradedCourse(course, outcomes, seconds, server, before, sorted(left))
    server.close()


@pytest.fixture(scope="session")
def graded_course(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GradedCourse]:
    """The course graded with its own limits: references, stubs, mistakes, most attacks."""
    entries = [e for e in HOSTILE if not e.times_out]
    yield from grade_course(tmp_path_factory.mktemp("graded") / "course", entries, IDS)


@pytest.fixture(scope="session")
def limits_course(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GradedCourse]:
    """The course graded with short limits: the attacks that wait one out, and references."""
    entries = [e for e in HOSTILE if e.times_out]
    graded = tuple(a for a in IDS if any(e.assignment == a for e in entries))
    root = tmp_path_factory.mktemp("limits") / "course"
    yield from grade_course(root, entries, graded, SHORT_LIMITS)


@pytest.fixture
def course_of(request: pytest.FixtureRequest):
    """The graded course an entry of the hostile catalogue was graded in."""

    def course(entry: Hostile) -> GradedCourse:
        return request.getfixturevalue("limits_course" if entry.times_out else "graded_course")

    return course
