"""What is kept warm between notebooks carries nothing from one student to the next.

A grading process keeps a forkserver with nbgrader imported
(:mod:`autograder.course.forkserver`); each notebook's ``nbgrader autograde`` is
forked from it, and each starts its own sandboxed kernel and judge. Here one
student's notebook poisons what it can reach (a module, a builtin, the
environment, files in its folder and in ``/tmp``), and the next notebook the
same worker grades tries to profit from each: it must score as the stub does.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from autograder.course import samples
from autograder.course.directory import Course
from autograder.course.forkserver import STOPPED, interrupt_run, run_nbgrader
from autograder.course.grading import autograde

A01 = "01_output_size"

POISONER = (
    samples.reference_answers(A01)["conv_output_size"]
    + """
import builtins, os, sys
builtins.leaked_answer = conv_output_size
sys.modules["numpy"].leaked_answer = conv_output_size
os.environ["LEAKED"] = "1"
for folder in (".", "/tmp", os.path.expanduser("~")):
    with open(os.path.join(folder, "leaked.py"), "w") as handle:
        handle.write("def same_padding(f):\\n    return (f - 1) // 2\\n")
"""
)

PROFITEER_CONV = """
import builtins, os, sys
import numpy


def conv_output_size(*args, **kwargs):
    found = getattr(builtins, "leaked_answer", None) or getattr(numpy, "leaked_answer", None)
    if found is None or not os.environ.get("LEAKED"):
        raise NotImplementedError
    return found(*args, **kwargs)
"""

PROFITEER_PADDING = """
import os, sys
sys.path[:0] = [".", "/tmp", os.path.expanduser("~")]
try:
    from leaked import same_padding
except ImportError:
    def same_padding(filter_size):
        raise NotImplementedError
"""


@pytest.mark.slow
def test_a_poisoned_notebook_leaves_nothing_for_the_next_one_graded_by_the_same_worker(tmp_path):
    course = Course.create(tmp_path / "course", (A01,))
    course.generate(A01)
    # One worker grades in the order submitted_students gives: the poisoner first.
    course.submit("a-poisoner", A01, samples.submission(A01, {"conv_output_size": POISONER}))
    profiteer = {"conv_output_size": PROFITEER_CONV, "same_padding": PROFITEER_PADDING}
    course.submit("b-profiteer", A01, samples.submission(A01, profiteer, solved=False))
    course.submit("c-stub", A01, samples.stub(A01))
    outcomes = autograde(course, (A01,), workers=1, out=print)
    assert [o.student for o in outcomes] == ["a-poisoner", "b-profiteer", "c-stub"]
    assert all(o.ok for o in outcomes)
    scores = course.cell_scores(A01)
    assert sum(scores["a-poisoner"].values()) == 12  # the poison did not hurt its own grade
    assert scores["b-profiteer"] == scores["c-stub"]
    assert not (course.root / "autograded" / "a-poisoner" / A01 / "leaked.py").exists()


def test_a_forked_nbgrader_command_reports_its_status_and_log(tmp_path):
    status, log = run_nbgrader(tmp_path, ["--version"], {"PATH": "/usr/bin:/bin"})
    assert status == 0 and log.strip()
    args = ["autograde", "no-such-assignment", "--student", "nobody"]
    status, log = run_nbgrader(tmp_path, args, {"PATH": "/usr/bin:/bin"})
    assert status == 1 and "No notebooks were matched" in log


def test_no_command_of_an_interrupted_grading_run_starts(tmp_path):
    assert interrupt_run("interrupted-run") == 0  # nothing of it was running
    status, log = run_nbgrader(
        tmp_path, ["--version"], {"PATH": "/usr/bin:/bin"}, "interrupted-run"
    )
    assert status == STOPPED and "stopped before it started" in log
    status, log = run_nbgrader(tmp_path, ["--version"], {"PATH": "/usr/bin:/bin"}, "another-run")
    assert status == 0 and log.strip()


def test_the_forkserver_starts_under_a_temporary_folder_too_long_for_a_socket(tmp_path):
    # A Dask worker's folder under a long home, or a long $TMPDIR: multiprocessing would
    # put the forkserver's socket there, past the 107 bytes a socket address holds.
    long = tmp_path / ("a-long-folder-name-" * 6)
    long.mkdir()
    script = (
        "import sys, tempfile\n"
        f"tempfile.tempdir = {str(long)!r}\n"
        "from autograder.course.forkserver import run_nbgrader\n"
        f"status, log = run_nbgrader({str(tmp_path)!r}, ['--version'], {{'PATH': '/usr/bin'}})\n"
        "assert tempfile.tempdir == " + repr(str(long)) + "\n"
        "sys.exit(status)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
