"""The training budget: CPU seconds counted by the operating system, the same on a busy machine.

Fast tests prove the parts: the grader reads a sandbox's CPU time from
outside it, a real kernel whose TensorFlow training spends its budget is
stopped with a message naming it (and keeps working), the judge reads the
spend when it takes a model, and the checks refuse a model whose training
went over or was stopped. The slow ones grade real 04 notebooks through
nbgrader with a small budget: the lecture's CNN as written is stopped and
earns no tier, and the same submissions get the same grade on a quiet
machine and on one kept busy.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
import psutil
import pytest
from jupyter_client.manager import KernelManager

from autograder import assignments
from autograder.assignments import IDS
from autograder.cgroups import Group, ProcessTree, group_unavailable, make_group, tree_cpu_seconds
from autograder.checks.api import CheckFailed, Spend, Submission
from autograder.checks.models import expect_within_budget
from autograder.course import samples
from autograder.course.directory import Course
from autograder.course.grading import autograde
from autograder.judge.runner import run_checks
from autograder.judge.service import KernelConnection, expectation
from autograder.kernel import budget, launch, serve, wire
from autograder.sandbox.command import ONE_THREAD, Limits, cpu_limit, group_limits
from autograder.sandbox.processes import launched_by_the_course
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


def test_a_process_that_spends_its_budget_is_stopped_with_a_message_naming_it():
    # The launcher's stop, under a real 1 s soft CPU limit: the loop stops with the
    # budget's error, which the student's `except Exception` does not swallow.
    code = (
        "from autograder.kernel import budget\n"
        "budget.install()\n"
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


def test_the_cell_running_out_is_stopped_at_once_and_later_ones_after_their_grace():
    state = budget.State(running=False)
    assert not budget.should_stop(state, 100)  # between cells: the kernel's own code
    state.cell, state.running, state.started = 1, True, 90
    assert budget.should_stop(state, 100)  # the budget ran out in this cell
    state.spent = True  # the main thread raised the stop
    assert not budget.should_stop(state, 101)  # the next SIGXCPU, a second later, same cell
    state.cell, state.started = 2, 101  # a self-check, a plot: short
    assert not budget.should_stop(state, 101 + budget.LATER_CELL_GRACE - 1)
    state.serving = 1  # grade() serving the judge, however long
    assert not budget.should_stop(state, 101 + budget.LATER_CELL_GRACE + 5)
    state.cell, state.started, state.serving = 3, 120, 0  # a later cell that trains again
    assert budget.should_stop(state, 120 + budget.LATER_CELL_GRACE)


# A real kernel started by the course's launcher, a Keras model trained in it until a real
# SIGXCPU (its soft CPU limit, set by the cell a few CPU seconds ahead) stops it; then the
# kernel goes on: TensorFlow predicts, and a later cell that trains is stopped as well
# (ignored after the first stop, the signal let it run on to the hard limit). Delivered
# as it came, the signal landed in TensorFlow's threads and the kernel died.
KERAS_SETUP = """
import resource, time
import numpy as np
import keras
rng = np.random.default_rng(0)
x = rng.random((2048, 28, 28, 1), dtype=np.float32)
y = keras.utils.to_categorical(rng.integers(0, 10, 2048), 10)
model = keras.Sequential([
    keras.Input((28, 28, 1)), keras.layers.Conv2D(32, 3, activation="relu"),
    keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.MaxPooling2D(),
    keras.layers.Flatten(), keras.layers.Dense(128, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(loss="categorical_crossentropy", optimizer="adam")
resource.setrlimit(resource.RLIMIT_CPU, (600, 600))  # the hard limit, which ends the kernel
"""
SPEND_AHEAD = """
resource.setrlimit(resource.RLIMIT_CPU, (int(time.process_time()) + {ahead}, 600))
"""
TRAIN_ON = "model.fit(x, y, epochs=100_000, batch_size=128, verbose=0)"


class LaunchedKernel(KernelManager):
    """A kernel started as the sandbox starts one, by the course's launcher (no sandbox)."""

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        return launched_by_the_course(super().format_kernel_cmd(extra_arguments))


def run_cell(client: Any, code: str, seconds: float = 300) -> dict[str, Any]:
    """Run one cell; its error (name, value) or its printed text."""
    reply = client.execute_interactive(code, timeout=seconds, output_hook=lambda msg: None)
    return reply["content"]


@pytest.fixture
def budgeted_kernel() -> Iterator[Any]:
    manager = LaunchedKernel(kernel_name="python3")
    environment = {**os.environ, **ONE_THREAD, launch.BUDGET_VARIABLE: "7"}
    environment["TF_CPP_MIN_LOG_LEVEL"] = "2"
    manager.start_kernel(env=environment)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_tensorflow_training_is_stopped_at_the_budget_and_the_kernel_goes_on(budgeted_kernel):
    manager, client = budgeted_kernel
    assert run_cell(client, KERAS_SETUP)["status"] == "ok"
    stopped = run_cell(client, SPEND_AHEAD.format(ahead=3) + TRAIN_ON)
    assert stopped.get("ename") == "TrainingBudgetSpent", stopped
    assert "budget of 7 CPU seconds" in stopped["evalue"]
    assert run_cell(client, "y_ = model.predict(x[:64], verbose=0)")["status"] == "ok"
    again = run_cell(client, TRAIN_ON)  # a later cell that trains: stopped after its grace
    assert again.get("ename") == "TrainingBudgetSpent", again
    assert run_cell(client, "print(model.predict(x[:8], verbose=0).shape)")["status"] == "ok"
    assert manager.is_alive()


needs_groups = pytest.mark.skipif(
    group_unavailable() is not None, reason=f"no control group here: {group_unavailable()}"
)


@contextmanager
def burning_group() -> Iterator[Group]:
    """A sandbox's control group with a process in it that computes until the block ends."""
    group = make_group(group_limits(Limits()))
    burner = subprocess.Popen([*group.join_command(), sys.executable, "-c", "while True: pass"])
    try:
        while (group.cpu_seconds() or 0) < 0.1:
            time.sleep(0.02)
        yield group
    finally:
        burner.kill()
        burner.wait()
        group.remove()


def answer_until_done(sock: socket.socket, namespace: dict[str, Any]) -> None:
    """The kernel's side of a connection: answer the judge until it closes it."""
    with (
        tempfile.TemporaryDirectory(prefix="cnn-test-") as folder,
        contextlib.suppress(wire.WireError, OSError),
    ):
        codec = wire.Codec(Path(folder))
        while True:
            request, blobs = wire.receive(sock)
            reply_blobs: list[bytes] = []
            reply = serve.answer(request, blobs, namespace, codec, reply_blobs)
            wire.send(sock, reply, reply_blobs)


@needs_groups
def test_the_judge_reads_the_spend_as_it_takes_a_model_and_holds_the_sandbox_still():
    judge_end, kernel_end = socket.socketpair()
    answering = threading.Thread(target=answer_until_done, args=(kernel_end, {"model": 1}))
    answering.start()
    with burning_group() as group, tempfile.TemporaryDirectory() as scratch:
        spend = Spend(360)
        kernel = KernelConnection(judge_end, Path(scratch), None, spend, group)
        assert kernel.fetch("model") == 1
        read = spend.taken["model"]
        time.sleep(0.3)
        assert read is not None and group.cpu_seconds() == read  # nothing ran since
        kernel.ask({"op": "names", "names": ["model"]})  # the judge asks: the sandbox runs
        deadline = time.monotonic() + 30
        while group.cpu_seconds() == read and time.monotonic() < deadline:
            time.sleep(0.02)
        assert (group.cpu_seconds() or 0) > read
    judge_end.close()
    answering.join()


def test_the_judge_reads_the_spend_where_nbgrader_says_when_a_budget_applies():
    said = {"cell": "cnn_accuracy", "token": 3, "cpu_budget": 360, "stopped": ["train_cnn"]}
    expected = expectation("04_mnist_cnn", {**said, "meter": {"pid": os.getpid()}})
    assert expected.spend == Spend(360, ("train_cnn",))
    assert isinstance(expected.meter, ProcessTree) and expected.meter.pid == os.getpid()
    assert expectation("01_output_size", {"cell": "x", "token": 1}).spend is None
    with pytest.raises(ValueError, match="not a sandbox's control group"):
        expectation("04_mnist_cnn", {**said, "meter": {"cgroup": 1, "folders": {"x": "/etc"}}})


@pytest.mark.parametrize(
    ("spend", "found"),
    [
        (Spend(360, taken={"model": 400.0}), "400 CPU seconds"),
        (Spend(360, ("train_cnn",), {"model": 100.0}), "train_cnn stopped at its time limit"),
        (Spend(360, taken={"model": None}), "the kernel had ended"),
        (Spend(360), "no measurement"),
    ],
)
def test_training_over_the_budget_or_stopped_earns_no_tier(spend, found):
    with pytest.raises(CheckFailed) as failed:
        expect_within_budget(Submission({"model": object()}, spend=spend), "model")
    assert found in failed.value.found and "360 CPU seconds" in failed.value.expected


@pytest.mark.parametrize("spend", [Spend(360, taken={"model": 359.9}), None])
def test_training_within_the_budget_or_unmeasured_passes(spend):
    expect_within_budget(Submission({"model": object()}, spend=spend), "model")


def test_each_budgeted_assignments_accuracy_tiers_refuse_training_over_its_budget():
    """Every accuracy cell of every budgeted assignment (08's 120 s as 04's 360) asks first."""
    for assignment in IDS:
        registered = assignments.get(assignment)
        allowed = registered.cpu_budget
        for cell in registered.accuracy_cells if allowed else ():
            names = registered.student_names  # each model read just over the budget as taken
            spend = Spend(allowed, taken=dict.fromkeys(names, allowed + 0.5))
            over = Submission(dict.fromkeys(names, object()), spend=spend)
            results = run_checks(assignment, cell, over)
            assert results and all(not r.passed for r in results), (assignment, cell)
            assert all(f"{allowed} CPU seconds" in r.expected for r in results), (assignment, cell)


# --- Through nbgrader, with budgets small enough to test in minutes --------------------

LECTURE_BUDGET = 30  # CPU seconds: 5 to 10 go to starting the kernel and loading MNIST

# The reference's models trained on part of the data: the near-budget student's spend
# sets the budget (it is about two thirds of it), so the test holds on a fast machine and a
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
    # then sets a budget it fills to two thirds: its quiet grade stands under that budget
    # too (a grade depends on the budget only through spend <= budget). The busy machine
    # must give the same grades, which it does only if CPU seconds stay put. They do not
    # stay exactly put: on a virtual machine shared with other work the kernel's CPU time
    # grew by up to a fifth, and the judge reads the whole sandbox a little later than the
    # kernel prints its own; a third of room keeps a grade from turning on that.
    course = budget_course(tmp_path / "course")
    course.submit("near", A04, samples.submission(A04, NEAR_BUDGET))
    assert all(o.ok for o in autograde(course, (A04,), workers=1, out=print))
    quiet = course.cell_scores(A04)
    quiet_spent = cpu_time_printed(autograded(course, "near"))
    budget = math.ceil(quiet_spent * 3 / 2)
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
