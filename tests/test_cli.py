"""``cnn-grader`` as the course team meets it: counts that say what was done, and a user's
mistake answered in a few lines (what happened, what to do), a non-zero exit status and
no traceback, through the real ``cnn-grader`` entry point."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.assignments import REPO_ROOT
from autograder.course import samples
from autograder.course.cli import main
from autograder.course.commands import COMMANDS
from autograder.course.directory import Course, tool_environment

ASSIGNMENT = "03_one_hot"
CNN_GRADER = Path(sys.executable).parent / "cnn-grader"  # the installed entry point
ON_A_COURSE = [name for name in COMMANDS if name != "demo"]
WITH_ASSIGNMENTS = [name for name in ON_A_COURSE if name not in ("export", "cluster-certificate")]


def cnn_grader(*args: object) -> subprocess.CompletedProcess[str]:
    """Run the real ``cnn-grader`` with ``args``."""
    return subprocess.run(
        [str(CNN_GRADER), *map(str, args)],
        capture_output=True,
        text=True,
        env=tool_environment(),
        timeout=300,
    )


def said_in_a_few_lines(
    result: subprocess.CompletedProcess[str], command: str, status: int, *words: str
) -> None:
    """The command stopped with ``status``, without a traceback, saying in at most three
    lines of its own what happened and what to do (``words`` among them)."""
    assert result.returncode == status, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 3, lines
    assert lines[-1].startswith(f"cnn-grader {command}: "), lines
    for word in words:
        assert word in result.stderr, (word, result.stderr)


@pytest.fixture
def course(tmp_path: Path) -> Course:
    """A course of one assignment, nothing submitted."""
    return Course.create(tmp_path / "course", (ASSIGNMENT,))


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


@pytest.mark.parametrize("command", ON_A_COURSE)
def test_a_missing_course_folder_is_said_in_a_line(command, tmp_path):
    result = cnn_grader(command, "--course", tmp_path / "nowhere")
    said_in_a_few_lines(
        result, command, 2, f"there is no folder {tmp_path / 'nowhere'}", "--course"
    )
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("command", ON_A_COURSE)
def test_a_folder_that_is_no_course_is_said_in_a_line(command, tmp_path):
    result = cnn_grader(command, "--course", tmp_path)
    said_in_a_few_lines(result, command, 2, "is not a course folder", "nbgrader_config.py")
    assert list(tmp_path.iterdir()) == []  # no gradebook made in it


@pytest.mark.parametrize("command", [*WITH_ASSIGNMENTS, "demo"])
def test_an_unknown_assignment_is_said_with_the_choices(command, course):
    where = ["--course", course.root] if command != "demo" else ["--dir", course.root / "demo"]
    result = cnn_grader(command, *where, "99_no_such_assignment")
    said_in_a_few_lines(result, command, 2, "unknown assignment 99_no_such_assignment", ASSIGNMENT)


def test_an_assignment_the_course_does_not_have_is_said_with_its_own(course):
    result = cnn_grader("report", "--course", course.root, "04_mnist_cnn")
    said_in_a_few_lines(result, "report", 2, "has no assignment 04_mnist_cnn", ASSIGNMENT)


def test_a_student_without_a_submission_is_said_with_those_who_submitted(course):
    course.submit("ana", ASSIGNMENT, samples.stub(ASSIGNMENT))
    result = cnn_grader("autograde", "--course", course.root, "--student", "zed")
    said_in_a_few_lines(result, "autograde", 2, "no submission of 03_one_hot by zed", "ana")


@pytest.mark.parametrize("command", ["autograde", "similarity"])
def test_nothing_submitted_says_where_submissions_go(command, course):
    result = cnn_grader(command, "--course", course.root)
    said_in_a_few_lines(result, command, 1, "nothing submitted for 03_one_hot", "collect")


@pytest.mark.parametrize("command", ["feedback", "export", "report"])
def test_nothing_graded_says_to_grade_first(command, course):
    course.submit("ana", ASSIGNMENT, samples.stub(ASSIGNMENT))
    result = cnn_grader(command, "--course", course.root)
    said_in_a_few_lines(result, command, 1, "cnn-grader autograde")
    assert not any((course.root / name).exists() for name in ("feedback", "grades.csv", "report"))


def test_a_report_of_nothing_graded_leaves_the_courses_report_as_it_was(course):
    (course.root / "report").mkdir()
    (course.root / "report" / "index.html").write_text("the course's full report")
    result = cnn_grader("report", "--course", course.root, ASSIGNMENT)
    said_in_a_few_lines(result, "report", 1, "no submission of 03_one_hot is graded")
    assert [p.name for p in (course.root / "report").iterdir()] == ["index.html"]
    assert (course.root / "report" / "index.html").read_text() == "the course's full report"


def test_unsafe_student_folders_are_named_and_never_graded(course):
    course.submit("<img src=x onerror=alert(1)>", ASSIGNMENT, samples.stub(ASSIGNMENT))
    result = cnn_grader("autograde", "--course", course.root)
    said_in_a_few_lines(result, "autograde", 1, "'<img src=x onerror=alert(1)>'", "set aside")
    assert not (course.root / "autograded").exists()


def test_a_gradebook_that_cannot_be_opened_is_said_in_a_line(course):
    result = cnn_grader("export", "--course", course.root, "--db-url", "sqlite:////no/such/x.db")
    said_in_a_few_lines(result, "export", 1, "cannot use the gradebook", "--db-url")


def test_the_demo_never_deletes_a_folder_of_someone_elses(tmp_path):
    (tmp_path / "thesis.tex").write_text("years of work")
    result = cnn_grader("demo", "--dir", tmp_path, ASSIGNMENT)
    said_in_a_few_lines(result, "demo", 2, str(tmp_path), "--dir")
    assert (tmp_path / "thesis.tex").read_text() == "years of work"


def test_an_interrupted_command_says_so_in_a_line(tmp_path):
    """Ctrl-C (SIGINT to the foreground process group) while nbgrader works."""
    course = Course.create(tmp_path / "course", ("01_output_size", ASSIGNMENT))
    running = subprocess.Popen(
        [str(CNN_GRADER), "generate", "--course", str(course.root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**tool_environment(), "PYTHONUNBUFFERED": "1"},
        start_new_session=True,
    )
    assert running.stdout is not None
    first = running.stdout.readline()  # 01 generated; 03 under way
    os.killpg(running.pid, signal.SIGINT)
    out, err = running.communicate(timeout=120)
    result = subprocess.CompletedProcess(running.args, running.returncode, first + out, err)
    said_in_a_few_lines(result, "generate", 130, "interrupted", "run the same command again")


def test_help_lists_every_command_and_each_commands_options(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    listing = capsys.readouterr().out
    assert all(f"    {name}" in listing for name in COMMANDS)
    for name in COMMANDS:
        with pytest.raises(SystemExit) as done:
            main([name, "--help"])
        assert done.value.code == 0
        assert f"usage: cnn-grader {name}" in capsys.readouterr().out
