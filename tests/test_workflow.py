"""The course team's workflow: every ``cnn-grader`` command on real nbgrader course directories.

Parallel grading must give the very grades sequential grading gives; the
report's numbers must be the gradebook's; the PostgreSQL gradebook runs for
real when ``CNN_GRADER_TEST_POSTGRES`` names a server (``.ci/run`` starts one).
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder import mistakes
from autograder.assignments import REPO_ROOT, grade_id_for
from autograder.course import samples
from autograder.course.cli import main
from autograder.course.directory import Course, tool_environment
from autograder.course.grading import autograde, read_times
from autograder.course.report import passed_checks, write_report
from autograder.judge.runner import check_points
from tests.helpers import expected_cell_scores

pytestmark = pytest.mark.slow

ASSIGNMENT = "03_one_hot"  # the quickest to grade


def submit_class(course: Course, assignment: str = ASSIGNMENT) -> dict[str, dict[str, float]]:
    """Submit the reference, the stub and every catalogued mistake; return their expected scores."""
    course.generate(assignment)
    course.submit("reference", assignment, samples.submission(assignment))
    course.submit("stub", assignment, samples.stub(assignment))
    expected = {
        "reference": expected_cell_scores(assignment),
        "stub": dict.fromkeys(expected_cell_scores(assignment), 0.0),
    }
    for i, mistake in enumerate(mistakes.for_assignment(assignment)):
        student = f"student-{i:02d}"
        course.submit(student, assignment, samples.submission(assignment, mistake.answers))
        expected[student] = expected_cell_scores(assignment, mistake.fails)
    return expected


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A class graded one notebook at a time, then all again with two workers."""
    course = Course.create(tmp_path_factory.mktemp("class") / "course", (ASSIGNMENT,))
    expected = submit_class(course)
    lines: list[str] = []
    sequential = autograde(course, [ASSIGNMENT], workers=1, out=lines.append)
    first = course.cell_scores(ASSIGNMENT)
    parallel = autograde(course, [ASSIGNMENT], workers=2, out=lines.append)  # regrades, --force
    return course, expected, first, sequential, parallel, lines


def test_parallel_grading_gives_the_grades_of_sequential_grading(graded_class):
    course, expected, first, sequential, parallel, lines = graded_class
    assert first == expected
    assert course.cell_scores(ASSIGNMENT) == first
    assert all(o.ok for o in sequential + parallel)
    assert [o.student for o in parallel] == [o.student for o in sequential]
    assert len(lines) == 2 * len(expected) and "failures so far 0" in lines[-1]
    assert {r["student"] for r in read_times(course)} == set(expected)
    assert len(course.scores()) == len(expected)  # no duplicated submissions


def test_report_numbers_are_the_gradebooks(graded_class, tmp_path):
    course, expected, *_ = graded_class
    page, table = write_report(course, [ASSIGNMENT], tmp_path / "report")

    points = check_points(ASSIGNMENT)
    with table.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["cell"], r["name"]) for r in rows} == {
        (cell, name) for cell, names in points.items() for name in names
    }
    # Each student's passed checks, as the report reads them, add up to the gradebook's scores.
    scores = course.cell_scores(ASSIGNMENT)
    for student in expected:
        passed = passed_checks(course.graded_path(student, ASSIGNMENT))
        for cell, names in points.items():
            earned = sum(p for name, p in names.items() if (cell, name) in passed)
            assert earned == scores[student][grade_id_for(cell)], (student, cell)
    # The failure counts are the catalogue's: the stub fails every check.
    for r in rows:
        failing = {s for s, cells in expected.items() if cells[grade_id_for(r["cell"])] == 0.0}
        failing |= {
            f"student-{i:02d}"
            for i, m in enumerate(mistakes.for_assignment(ASSIGNMENT))
            if r["name"] in m.fails
        }
        assert int(r["failed"]) == len(failing), r["name"]
    mean = sum(sum(cells.values()) for cells in expected.values()) / len(expected)
    assert f"mean {mean:.1f} / 7" in page.read_text()


def test_a_killed_grading_run_resumes_without_losing_grades(tmp_path):
    course = Course.create(tmp_path / "course", (ASSIGNMENT,))
    expected = submit_class(course)
    command = [
        sys.executable,
        "-m",
        "autograder.course.cli",
        "autograde",
        "--course",
        str(course.root),
    ]
    env = {**tool_environment(), "PYTHONUNBUFFERED": "1"}
    grading = subprocess.Popen(
        [*command, ASSIGNMENT], stdout=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    finished = 0
    for line in grading.stdout:
        finished += ": ok in " in line
        if finished == 3:
            break
    os.killpg(grading.pid, signal.SIGKILL)  # mid-way through the fourth notebook
    grading.wait()
    grading.stdout.close()

    graded = {s for s in expected if course.has_finished_grades(ASSIGNMENT, s)}
    before = course.cell_scores(ASSIGNMENT)
    assert 3 <= len(graded) < len(expected)
    resumed = autograde(course, [ASSIGNMENT], resume=True, out=lambda line: None)
    assert {o.student for o in resumed} == set(expected) - graded
    after = course.cell_scores(ASSIGNMENT)
    assert after == expected
    assert {s: after[s] for s in graded} == {s: before[s] for s in graded}
    assert len(course.scores()) == len(expected)
    assert autograde(course, [ASSIGNMENT], resume=True, out=lambda line: None) == []


def test_every_command_of_the_cli_on_a_course(tmp_path, capsys):
    course = Course.create(tmp_path / "course", (ASSIGNMENT,))
    root = ["--course", str(course.root)]
    assert main(["generate", *root, ASSIGNMENT]) == 0
    course.submit("reference", ASSIGNMENT, samples.submission(ASSIGNMENT))
    course.submit("stub", ASSIGNMENT, samples.stub(ASSIGNMENT))

    assert main(["autograde", *root, ASSIGNMENT, "--workers", "2"]) == 0
    out = capsys.readouterr().out
    assert "[2/2]" in out and "slowest notebook" in out and "3.5 / 7" in out
    exchange = tmp_path / "exchange"
    assert main(["feedback", *root, ASSIGNMENT, "--release", "--exchange", str(exchange)]) == 0
    assert f"{ASSIGNMENT}: 2 feedback page(s) written, 2 released" in capsys.readouterr().out
    assert course.feedback_path("stub", ASSIGNMENT).exists()
    assert len(list(exchange.glob("cnn-course/feedback/*.html"))) == 2
    assert main(["export", *root, "--to", str(tmp_path / "grades.csv")]) == 0
    assert (tmp_path / "grades.csv").read_text().count(ASSIGNMENT) == 2
    assert main(["report", *root, ASSIGNMENT, "--out", str(tmp_path / "report")]) == 0
    assert (tmp_path / "report" / "index.html").exists()
    assert main(["autograde", *root, "99_no_such_assignment"]) == 2


def test_a_course_folder_holding_another_copy_of_the_package_grades_with_that_copy(tmp_path):
    """Grading from a course folder that holds its own ``autograder/`` (another checkout's)
    with an environment installed from this one: the grader imports the folder's copy, and
    its kernels must import that very package, start, and grade."""
    course = Course.create(tmp_path / "course", (ASSIGNMENT,))
    course.generate(ASSIGNMENT)
    course.submit("reference", ASSIGNMENT, samples.submission(ASSIGNMENT))
    for package in ("autograder", "source_data"):
        skip = shutil.ignore_patterns("__pycache__")
        shutil.copytree(REPO_ROOT / package, course.root / package, ignore=skip)
    # Its own temporary folder, to see what grading leaves there: a short path, as the
    # kernel's Unix sockets are made in it.
    scratch = Path(tempfile.mkdtemp(prefix="cnn-"))
    env = {**tool_environment(), "TMPDIR": str(scratch)}

    def from_the_course(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args], cwd=course.root, env=env, capture_output=True, text=True
        )

    imported = from_the_course("-c", "import autograder; print(autograder.__file__)")
    assert imported.stdout.strip() == str(course.root / "autograder" / "__init__.py")
    graded = from_the_course("-m", "autograder.course.cli", "autograde", ASSIGNMENT)
    left = [p.name for p in scratch.glob("cnn-*")]  # the kernels' and judges' folders
    shutil.rmtree(scratch)
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    assert course.cell_scores(ASSIGNMENT) == {"reference": expected_cell_scores(ASSIGNMENT)}
    assert left == []


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database on the PostgreSQL server named by CNN_GRADER_TEST_POSTGRES."""
    server = os.environ.get("CNN_GRADER_TEST_POSTGRES")
    if not server:
        pytest.skip("CNN_GRADER_TEST_POSTGRES is not set (.ci/run starts a server)")
    import psycopg

    name = f"gradebook_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
        yield server.rsplit("/", 1)[0] + f"/{name}"
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_grading_into_a_postgresql_gradebook(tmp_path, postgres_url):
    course = Course.create(tmp_path / "course", (ASSIGNMENT,), db_url=postgres_url)
    expected = submit_class(course)
    outcomes = autograde(course, [ASSIGNMENT], workers=2, out=lambda line: None)
    assert all(o.ok for o in outcomes)
    assert course.cell_scores(ASSIGNMENT) == expected
    assert not (course.root / "gradebook.db").exists()  # nothing went to SQLite
