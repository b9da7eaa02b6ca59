"""The slow tier's graded courses, shared by the test modules that read them.

Real nbgrader grades them two notebooks at a time, as an instructor would
with ``cnn-grader autograde --workers 2``:

* ``graded_course``, with the course's own limits, starts as the grading demo
  (``cnn-grader demo --workers 2``, what ``make demo`` runs: every
  assignment's reference, untouched stub and typical mistakes, trained for
  real). Then, as when late submissions come in, one submission per
  assignment whose visible self-check fails, the catalogued mistakes that
  must cost accuracy tiers (only real training shows what they score) and
  the hostile catalogue (``tests/hostile``) are submitted and graded with
  ``--resume``: the references are trained once for the demo and the tests;
* ``limits_course``, with a 45 s cell limit, as nbgrader's own tests
  shorten theirs: the hostile entries that wait out a time limit, beside
  correct submissions, graded three at a time as they mostly wait, in a
  thread beside the budget tests (which compute on one core);
* ``spending_course``, with a training budget of a few CPU seconds
  (``SPENDING_BUDGET``): the hostile entries whose spending decides a tier,
  beside their honest twins.

``make test`` runs the slow tier in two processes side by side
(``tools/slow-tier.sh``): the tests that read ``graded_course``, marked
``demo_course`` here, in one; the other courses and tests in the other.

Everything else about the checks is proven in-process, through the same
judge and wire format (``test_checks.py``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from autograder import assignments, cgroups, mistakes
from autograder.assignments import IDS, REPO_ROOT, grade_id_for
from autograder.course import samples
from autograder.course.cli import main
from autograder.course.demo import SAMPLE_STUDENTS, missing_data
from autograder.course.directory import Course
from autograder.course.grading import Outcome, autograde, read_times
from autograder.judge.runner import check_points
from autograder.mistakes import Mistake
from source_data import course_data
from tests.helpers import changes_a_trained_model, checks_of, expected_cell_scores
from tests.hostile import CATALOGUE as HOSTILE
from tests.hostile import Hostile
from tests.hostile.base import QUICK_TRAINING, SPENDING_BUDGET

DEMO_COMMAND = ("demo", "--workers", "2")  # `make demo` runs `cnn-grader` with these
STUB = "untouched-stub"  # the demo's student who hands the notebook in untouched
assert STUB in SAMPLE_STUDENTS


def student_id(mistake: Mistake) -> str:
    """A student id for a catalogued mistake, as the course accepts one (``students.SAFE_ID``:
    at most 64 characters)."""
    slug = re.sub(r"[^a-z0-9]+", "-", mistake.name.lower()).strip("-")
    return ("mistake-" + slug)[:64].rstrip("-")


def graded_mistakes(assignment: str) -> list[Mistake]:
    """The catalogued mistakes graded through nbgrader, each as a student of its own: the
    trained ones, one whose visible self-check fails (the cell still scores its other
    checks), and one only a hidden check catches (its report is what feedback pages show).

    A trained mistake of the demo's typical-mistakes student is proven there
    (:func:`demo_mistakes_lost`), not trained again; the self-check failure and
    the hidden failure are trained ones where there are such mistakes, to train
    no more models than needed.
    """
    catalogued = [
        m
        for m in mistakes.for_assignment(assignment)
        if not (m.demo and changes_a_trained_model(m))
    ]
    trained = [m for m in catalogued if changes_a_trained_model(m)]
    failing = next(m for m in [*trained, *catalogued] if m.self_check_fails)
    caught = next(m for m in [*trained, *catalogued] if m.fails and not m.self_check_fails)
    return list({m.name: m for m in [failing, caught, *trained]}.values())


def demo_mistakes_lost(assignment: str) -> dict[str, float]:
    """The test cells the demo's typical-mistakes student must score zero on: those whose
    every check one of its mistakes fails (a model's accuracy tiers among them, trained for
    real). Its other cells depend on how its mistakes combine, which no entry claims."""
    fails = {check for m in mistakes.for_assignment(assignment) if m.demo for check in m.fails}
    return {
        grade_id_for(cell): 0.0
        for cell, points in check_points(assignment).items()
        if set(points) <= fails
    }


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
    return expected_cell_scores(mistake.assignment, mistake.fails, unmeasured)


def caught_by_a_hidden_check(assignment: str) -> Mistake:
    """The graded mistake whose self-check passes and a hidden check fails."""
    return next(m for m in graded_mistakes(assignment) if m.fails and not m.self_check_fails)


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
    server: LoopbackServer
    before: dict[str, tuple[str, int, int]]  # the course's own files: digest, mode, owner
    # Grading's scratch folders still there after grading; None until scratch_left reads them.
    left_behind: list[Path] | None
    demo_output: str = ""  # what the demo printed, where the course began as the demo
    scratch_before: frozenset[Path] = frozenset()  # the scratch folders before grading


# The short limits of the limits course, appended to its nbgrader_config.py. Output
# that comes more than 5 s after a cell's reply is only not kept: nothing here needs it.
# 45 s per cell: 06's first test cell, whose judge imports TensorFlow for Keras's losses
# (about 6 CPU seconds), went over 20 s with both halves of the slow tier grading. The
# set-up cell that imports TensorFlow and decodes photos needs more, and gets the training
# cells' limit.
SHORT_LIMITS = """
c.Execute.timeout = 45
c.SandboxedExecute.training_timeout = 60
c.SandboxedExecute.iopub_timeout = 5
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


def graded_assignments() -> tuple[str, ...]:
    """The assignments the slow tier grades: those whose data is here (09 needs Fashion-MNIST,
    which no machine of the project's CI can reach; the demo says so in one line too)."""
    return tuple(a for a in IDS if missing_data(a) is None)


def skip_without_data(assignment: str) -> None:
    """Skip a test of a graded assignment whose data is not here, for one reason per assignment
    (pytest's summary shows such skips in one line)."""
    missing = missing_data(assignment)
    if missing is not None:
        pytest.skip(f"{assignment} is graded only where its data is: {missing}")


def needs_data(assignments_graded: tuple[str, ...]) -> None:
    """Fail here, clearly, rather than in every notebook, when a data set is missing."""
    for name in {data for a in assignments_graded for data in assignments.get(a).data}:
        course_data.dataset_path(name)


def run_the_demo(root: Path) -> tuple[Course, str]:
    """``cnn-grader demo --workers 2`` into ``root``, as ``make demo`` runs it, and its output."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main([*DEMO_COMMAND, "--dir", str(root)])
    assert status == 0, printed.getvalue()
    return Course(root), printed.getvalue()


def graded_so_far(course: Course) -> list[Outcome]:
    """The outcomes of earlier gradings of a course, from its ``grading_times.csv``."""
    return [
        Outcome(row["assignment"], row["student"], row["ok"] == "True", float(row["seconds"]))
        for row in read_times(course)
    ]


def grade_course(
    course: Course,
    assignments_graded: tuple[str, ...],
    entries: list[Hostile],
    demo_output: str = "",
    workers: int = 2,
) -> GradedCourse:
    """Submit the hostile ``entries``, grade what is not graded yet, generate feedback.

    Its ``left_behind`` is read by :func:`scratch_left`, once nothing else is
    grading.
    """
    server = LoopbackServer()
    earlier = graded_so_far(course)
    for entry in entries:
        course.submit(entry.name, entry.assignment, entry.build(entry, server.port), entry.filename)
        if entry.arrange is not None:
            entry.arrange(course.root / "submitted" / entry.name / entry.assignment)
    before = course_files(course)
    scratch = scratch_folders()
    started = time.monotonic()
    outcomes = autograde(course, assignments_graded, workers=workers, resume=True)
    seconds = time.monotonic() - started
    print(f"\n{course.root.parent.name}: graded {len(outcomes)} notebooks in {seconds:.0f} s")
    with ThreadPoolExecutor(2) as pool:  # each an nbgrader process of its own
        list(pool.map(course.generate_feedback, assignments_graded))
    outcomes = [*earlier, *outcomes]
    return GradedCourse(course, outcomes, server, before, None, demo_output, frozenset(scratch))


def scratch_folders() -> set[Path]:
    """Grading's scratch folders in the temporary directory now, and the control groups
    below this process's own that a grader which has ended left there."""
    groups = {
        folder
        for hierarchy in cgroups.mounted_hierarchies().values()
        for folder in hierarchy.own.glob(f"{cgroups.PREFIX}*")
        if not psutil.pid_exists(int(folder.name.removeprefix(cgroups.PREFIX).split("-")[0]))
    }
    return {p for p in Path(tempfile.gettempdir()).glob("cnn-*") if p.is_dir()} | groups


def scratch_left(graded: GradedCourse) -> GradedCourse:
    """``graded`` with ``left_behind`` read now: the folders made since it began, still there."""
    left = scratch_folders() - graded.scratch_before
    return dataclasses.replace(graded, left_behind=sorted(left))


# Gradings running in threads beside other tests; a course graded in the foreground
# waits for them first, so that neither sees the other's scratch folders.
BACKGROUND: list[Future[GradedCourse]] = []


def wait_for_background() -> None:
    for future in BACKGROUND:
        future.exception()  # waits; an error shows where the result is read


@pytest.fixture(scope="session", autouse=True)
def tensorflow_on_one_thread() -> None:
    """TensorFlow pinned to one thread before any test starts it, as the notebooks pin it.

    Tests run the notebooks' set-up cells in this process, and those cells
    set one thread each. TensorFlow refuses a change once it has started (a
    test before may have started it), but allows setting the value it has.
    """
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)


@pytest.fixture(scope="session")
def graded_course(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GradedCourse]:
    """The demo's course, then mistakes and most attacks graded into it with course limits."""
    chosen = graded_assignments()
    needs_data(chosen)
    wait_for_background()
    course, printed = run_the_demo(tmp_path_factory.mktemp("graded") / "course")
    for assignment in chosen:
        for mistake in graded_mistakes(assignment):
            answers = samples.submission(assignment, graded_answers(mistake))
            course.submit(student_id(mistake), assignment, answers)
    entries = [
        e for e in HOSTILE if not e.times_out and not e.small_budget and e.assignment in chosen
    ]
    graded = scratch_left(grade_course(course, chosen, entries, printed))
    yield graded
    graded.server.close()


@pytest.fixture(scope="session")
def limits_course_grading(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Future[GradedCourse]]:
    """The course with short limits, graded in a thread from the first test that asks.

    Its notebooks mostly wait out limits, so it is graded beside the budget
    tests, whose notebooks compute on one core (``tests/test_budget.py``).
    """
    entries = [e for e in HOSTILE if e.times_out and e.assignment in graded_assignments()]
    graded = tuple(a for a in IDS if any(e.assignment == a for e in entries))
    needs_data(graded)
    course = Course.create(tmp_path_factory.mktemp("limits") / "course", graded)
    with (course.root / "nbgrader_config.py").open("a") as config:
        config.write(SHORT_LIMITS)
    for assignment in graded:
        course.generate(assignment)
        if not assignments.get(assignment).trains_models:  # no time to train
            course.submit("reference", assignment, samples.submission(assignment))
    with ThreadPoolExecutor(1) as pool:
        # Three at a time: most of these notebooks wait out a limit rather than compute.
        future = pool.submit(grade_course, course, graded, entries, workers=3)
        BACKGROUND.append(future)
        yield future
    if future.exception() is None:
        future.result().server.close()


@pytest.fixture(scope="session")
def limits_course(limits_course_grading: Future[GradedCourse]) -> GradedCourse:
    """The attacks that wait out a limit, and references, graded with short limits."""
    return scratch_left(limits_course_grading.result())


@pytest.fixture(scope="session")
def spending_course(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GradedCourse]:
    """The attacks on the training budget's count, beside their honest twins, graded with a
    budget of SPENDING_BUDGET CPU seconds."""
    entries = [e for e in HOSTILE if e.small_budget]
    graded = tuple(a for a in IDS if any(e.assignment == a for e in entries))
    needs_data(graded)
    wait_for_background()
    course = Course.create(tmp_path_factory.mktemp("spending") / "course", graded)
    with (course.root / "nbgrader_config.py").open("a") as config:
        config.write(f"\nc.SandboxedExecute.cpu_budget = {SPENDING_BUDGET}\n")
    for assignment in graded:
        course.generate(assignment)
    result = scratch_left(grade_course(course, graded, entries))
    yield result
    result.server.close()


# --- The slow tier's two halves, run side by side by tools/slow-tier.sh ---------------

HALF_VARIABLE = "CNN_SLOW_TIER_HALF"  # set by tools/slow-tier.sh: demo or rest
HALF_GROUP = "cnn-slow-tier-"  # not cgroups.PREFIX: no grader may take it for abandoned


def pytest_configure(config: pytest.Config) -> None:
    """A half of the slow tier in a cgroup v1 group of its own, where one can be made.

    Graders make their sandboxes' groups below their own, and the tests read
    what an ended grader left there (:func:`scratch_folders`): in one group,
    each half would see what the other's killed graders left for a moment.
    Moved before any test starts a thread or a process, so all of them follow.
    Some of those end only when pytest does: tools/slow-tier.sh removes the
    group after the halves, and any a killed run left.
    """
    half = os.environ.get(HALF_VARIABLE)
    if not half:
        return
    hierarchies = cgroups.mounted_hierarchies()
    parents = dict.fromkeys(hierarchies[c].own for c in cgroups.V1_CONTROLLERS if c in hierarchies)
    for parent in parents:
        group = parent / f"{HALF_GROUP}{half}-{os.getpid()}"
        try:
            group.mkdir()
            (group / "cgroup.procs").write_text(str(os.getpid()))
        except OSError:  # not root, or no such hierarchy here: the halves stay together
            with contextlib.suppress(OSError):
                group.rmdir()


def reads_the_demo_course(item: pytest.Item) -> bool:
    """Whether a test reads ``graded_course``: it must run in the process that grades it (a
    session fixture is built once per pytest process)."""
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    entry = params.get("entry")
    if isinstance(entry, Hostile) and "course_of" in item.fixturenames:
        return course_fixture(entry) == "graded_course"
    return params.get("each_course") == "graded_course" or "graded_course" in item.fixturenames


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that read the demo's course: one half of the slow tier."""
    for item in items:
        if reads_the_demo_course(item):
            item.add_marker(pytest.mark.demo_course)


def course_fixture(entry: Hostile) -> str:
    """The name of the graded course an entry of the hostile catalogue is graded in."""
    if entry.times_out:
        return "limits_course"
    return "spending_course" if entry.small_budget else "graded_course"


@pytest.fixture
def course_of(request: pytest.FixtureRequest):
    """The graded course an entry of the hostile catalogue was graded in."""

    def course(entry: Hostile) -> GradedCourse:
        return request.getfixturevalue(course_fixture(entry))

    return course
