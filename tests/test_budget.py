"""The training budget: CPU seconds counted by the operating system, the same on a busy machine.

Fast tests prove the parts: the grader reads a sandbox's CPU time from
outside it, a kernel that spends its budget is stopped with a message naming
it, and the checks refuse a model whose training went over or was stopped.
The slow ones grade real 04 notebooks through nbgrader with a small budget:
the lecture's CNN as written is stopped and earns no tier, and the same
submissions get the same grade on a quiet machine and on one kept busy.
"""

from __future__ import annotations

import contextlib
import math
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
import psutil
import pytest

from autograder import assignments
from autograder.assignments import IDS
from autograder.checks.api import CheckFailed, Spend, Submission
from autograder.checks.models import expect_within_budget
from autograder.course import samples
from autograder.course.directory import Course
from autograder.course.grading import autograde
from autograder.judge.runner import run_checks
from autograder.judge.service import expectation
from autograder.kernel import launch
from autograder.sandbox.command import Limits, cpu_limit
from autograder.sandbox.kernel import launched_by_the_course, tree_cpu_seconds
from tests.hostile.base import QUICK_MLP

BURN = "import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end: pass\n"


def test_the_sandbox_cpu_time_counts_every_process_in_it_ended_ones_too():
    # A shell whose child burns 0.6 s of CPU and ends (waited for), then one still burning.
    burn = f"{sys.executable} -c '{BURN.format(seconds=0.6)}'"
    tree = subprocess.Popen(["sh", "-c", f"{burn}; {burn.replace('0.6', '30')} & wait"])
    try:
        burning = second_child(tree.pid)  # waited for, not slept for: a busy machine is slow
        before = cpu_seconds(burning)
        spent = tree_cpu_seconds(tree.pid)
        after = cpu_seconds(burning)
        assert spent is not None and 0.6 + before <= spent <= 0.6 + after + 1.0, spent
    finally:
        subprocess.run(["pkill", "-P", str(tree.pid)], check=False)
        tree.kill()
        tree.wait()
    assert tree_cpu_seconds(tree.pid) is None  # gone: no figure rather than a wrong one


def second_child(pid: int) -> psutil.Process:
    """The shell's second, still-burning child, once it has computed for a moment."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for child in psutil.Process(pid).children():
            with contextlib.suppress(psutil.Error):
                if "30" in " ".join(child.cmdline()) and cpu_seconds(child) > 0.2:
                    return child
        time.sleep(0.05)
    raise AssertionError("the second child never started burning")


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def test_the_budget_is_the_kernels_soft_cpu_limit_and_the_hard_one_follows():
    assert cpu_limit(Limits()) == "1800"
    assert cpu_limit(Limits(cpu_budget=360)) == "360:480"
    assert cpu_limit(Limits(cpu_budget=1750)) == "1750:1800"


def test_the_kernel_starts_through_the_courses_launcher():
    command = launched_by_the_course(["python", "-m", "ipykernel_launcher", "-f", "k.json"])
    assert command == ["python", "-m", "autograder.kernel.launch", "-f", "k.json"]


def test_a_kernel_that_spends_its_budget_is_stopped_with_a_message_naming_it():
    # The launcher's handler, under a real 1 s soft CPU limit: the loop stops with the
    # budget's error, which the student's `except Exception` does not swallow.
    code = (
        "import signal\n"
        "from autograder.kernel import launch\n"
        "signal.signal(signal.SIGXCPU, launch.stop_at_budget)\n"
        "try:\n"
        "    while True: pass\n"
        "except Exception:\n"
        "    print('swallowed')\n"
    )
    result = subprocess.run(
        ["prlimit", "--cpu=1:10", sys.executable, "-c", code],
        env={"PATH": "/usr/bin:/bin", launch.BUDGET_VARIABLE: "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "TrainingBudgetSpent" in result.stderr and "swallowed" not in result.stdout
    assert "budget of 1 CPU seconds" in result.stderr


def test_the_judge_takes_the_spend_nbgrader_measured():
    said = {"cell": "cnn_accuracy", "token": 3, "cpu_budget": 360, "cpu_seconds": 200.5}
    expected = expectation("04_mnist_cnn", {**said, "stopped": ["train_cnn"]})
    assert expected.spend == Spend(360, 200.5, ("train_cnn",))
    assert expectation("01_output_size", {"cell": "x", "token": 1}).spend is None


@pytest.mark.parametrize(
    ("spend", "found"),
    [
        (Spend(360, 400.0), "400 CPU seconds"),
        (Spend(360, 100.0, ("train_cnn",)), "train_cnn stopped at its time limit"),
        (Spend(360, None), "the kernel had ended"),
    ],
)
def test_training_over_the_budget_or_stopped_earns_no_tier(spend, found):
    with pytest.raises(CheckFailed) as failed:
        expect_within_budget(Submission(spend=spend))
    assert found in failed.value.found and "360 CPU seconds" in failed.value.expected


@pytest.mark.parametrize("spend", [Spend(360, 359.9), None])
def test_training_within_the_budget_or_unmeasured_passes(spend):
    expect_within_budget(Submission(spend=spend))


def test_each_budgeted_assignments_accuracy_tiers_refuse_training_over_its_budget():
    """Every accuracy cell of every budgeted assignment (08's 120 s as 04's 360) asks first."""
    for assignment in IDS:
        budget = assignments.get(assignment).cpu_budget
        for cell in assignments.get(assignment).accuracy_cells if budget else ():
            over = Submission(spend=Spend(budget, budget + 0.5))
            results = run_checks(assignment, cell, over)
            assert results and all(not r.passed for r in results), (assignment, cell)
            assert all(f"{budget} CPU seconds" in r.expected for r in results), (assignment, cell)


# --- Through nbgrader, with budgets small enough to test in minutes --------------------

LECTURE_BUDGET = 30  # CPU seconds: 5 to 10 go to starting the kernel and loading MNIST

# The reference's models trained on part of the data: the near-budget student's spend
# sets the budget (it is about 80 % of it), so the test holds on a fast machine and a
# slow one alike. The grader's own training of the two recipes, within the same budget,
# decides their tiers.
NEAR_BUDGET = {
    "train_mlp": QUICK_MLP.replace(
        "X_train[:256], Y_train[:256], epochs=1", "X_train, Y_train, epochs=2, batch_size=200"
    )
    + "print(f'CPU time so far {time.process_time():.0f}')\n",
    "train_cnn": "model = build_cnn()\n"
    "history = model.fit(X_train[:30000], Y_train[:30000], epochs=1, batch_size=128, verbose=0)\n"
    "print(f'CPU time so far {time.process_time():.0f}')\n",
}  # as the grader trains them again: 0.968 and 0.983 (a tier each), 7 and 13 CPU seconds
LECTURE_CNN = "EPOCHS = 30\nBATCH_SIZE = 128\n" + samples.LECTURE_BUILD_CNN
A04 = "04_mnist_cnn"


@contextmanager
def busy_machine(hogs: int = 2) -> Iterator[None]:
    """Every core kept busy by processes that compute and never end, until the block ends."""
    spinning = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(hogs)]
    try:
        yield
    finally:
        for process in spinning:
            process.kill()
            process.wait()


def budget_course(root: Path, budget: int | None = None) -> Course:
    """A course of 04 alone, with a training budget of ``budget`` CPU seconds (or the course's)."""
    course = Course.create(root, (A04,))
    course.generate(A04)
    if budget is not None:
        set_budget(course, budget)
    return course


def set_budget(course: Course, budget: int) -> None:
    with (course.root / "nbgrader_config.py").open("a") as config:
        config.write(f"\nc.SandboxedExecute.cpu_budget = {budget}\n")  # the last one counts


def autograded(course: Course, student: str) -> nbformat.NotebookNode:
    path = course.root / "autograded" / student / A04 / f"{A04}.ipynb"
    return nbformat.read(path, as_version=4)


def cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def shown(c: nbformat.NotebookNode) -> str:
    parts = [o.get("text", "") + o.get("evalue", "") for o in c.outputs]
    return "\n".join(parts + [o.get("data", {}).get("text/plain", "") for o in c.outputs])


# The short-limits course, which mostly waits, is graded in a thread beside these two.
@pytest.mark.slow
@pytest.mark.usefixtures("limits_course_grading")
def test_the_lectures_cnn_as_written_is_stopped_at_the_budget_and_earns_no_tier(tmp_path):
    course = budget_course(tmp_path / "course", LECTURE_BUDGET)
    answers = {"build_cnn": LECTURE_CNN, "train_mlp": QUICK_MLP}
    course.submit("lecture", A04, samples.submission(A04, answers))
    [outcome] = autograde(course, (A04,), out=print)
    assert outcome.ok, outcome.log
    nb = autograded(course, "lecture")
    training = cell(nb, "train_cnn")
    assert any(o.get("ename") == "TrainingBudgetSpent" for o in training.outputs)
    assert f"budget of {LECTURE_BUDGET} CPU seconds" in shown(training)
    report = shown(cell(nb, "test_cnn_accuracy"))
    assert f"at most {LECTURE_BUDGET} CPU seconds" in report and "earns no accuracy tier" in report
    scores = course.cell_scores(A04)["lecture"]
    assert scores["test_cnn_accuracy"] == scores["test_mlp_accuracy"] == 0
    assert scores["test_build_cnn"] == 3  # the model itself is fine: only its training is not


@pytest.mark.slow
@pytest.mark.usefixtures("limits_course_grading")
def test_the_same_submission_gets_the_same_grade_on_a_quiet_and_a_busy_machine(tmp_path):
    # Graded first on a quiet machine within the course's own budget; the student's spend
    # then sets a budget it fills to 80 %: its quiet grade stands under that budget too (a
    # grade depends on the budget only through spend <= budget). The busy machine must
    # give the same grades, which it does only if CPU seconds stay put.
    course = budget_course(tmp_path / "course")
    course.submit("near", A04, samples.submission(A04, NEAR_BUDGET))
    assert all(o.ok for o in autograde(course, (A04,), workers=1, out=print))
    quiet = course.cell_scores(A04)
    quiet_spent = cpu_time_printed(autograded(course, "near"))
    budget = math.ceil(quiet_spent / 0.8)
    set_budget(course, budget)
    with busy_machine():
        assert all(o.ok for o in autograde(course, (A04,), workers=1, out=print))
    busy = course.cell_scores(A04)
    busy_spent = cpu_time_printed(autograded(course, "near"))
    print(f"\nnear spent {quiet_spent} / {busy_spent} CPU s (budget {budget}); {quiet}; {busy}")
    assert busy == quiet
    assert quiet["near"]["test_cnn_accuracy"] >= 1 and quiet["near"]["test_mlp_accuracy"] >= 1


def cpu_time_printed(nb: nbformat.NotebookNode) -> float:
    """The CPU time the notebook's CNN training cell printed (the kernel's own view)."""
    line = shown(cell(nb, "train_cnn")).split("CPU time so far ")[-1]
    return float(line.split()[0])
