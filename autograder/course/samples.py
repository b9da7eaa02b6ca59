"""Sample submissions built from the real student stubs.

A sample submission is the released notebook with its answer cells filled
in, the way a student would fill them: with the reference answers, or with
some answers replaced by a realistic mistake. The demo grades a few of these;
the tests grade the whole catalogue of ``autograder/assignments/a<id>/mistakes.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from nbformat import NotebookNode

from autograder import notebooks
from autograder.assignments import release_path, solution_path

_SOLUTION_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*(\n|\Z)", re.MULTILINE)


def answer_cells(nb: NotebookNode) -> dict[str, NotebookNode]:
    """The student's answer cells (nbgrader solution cells) by ``grade_id``."""
    return {
        notebooks.nbgrader_meta(cell)["grade_id"]: cell
        for cell in nb.cells
        if notebooks.nbgrader_meta(cell).get("solution")
    }


def reference_answers(assignment: str) -> dict[str, str]:
    """The reference answer of each answer cell, without nbgrader's solution markers."""
    solution = notebooks.read(solution_path(assignment))
    return {
        grade_id: _SOLUTION_MARKER.sub("", cell.source).rstrip() + "\n"
        for grade_id, cell in answer_cells(solution).items()
    }


def submission(
    assignment: str, answers: Mapping[str, str] | None = None, *, solved: bool = True
) -> NotebookNode:
    """The released stub with its answer cells filled in.

    ``solved`` fills every answer cell with the reference answer first;
    ``answers`` then replaces the named cells' sources (a student's own code).
    """
    nb = notebooks.read(release_path(assignment))
    filled = {**(reference_answers(assignment) if solved else {}), **(answers or {})}
    cells = answer_cells(nb)
    unknown = set(filled) - set(cells)
    if unknown:
        raise KeyError(f"{assignment} has no answer cells {sorted(unknown)}")
    for grade_id, source in filled.items():
        cells[grade_id].source = source
    return nb


def stub(assignment: str) -> NotebookNode:
    """The released stub exactly as a student receives it."""
    return notebooks.read(release_path(assignment))


# The lecture's MNIST CNN as the slides write it (the 04 notebook's worked example):
# the budget tests and benchmarks train it as a student who copies the lecture would.
LECTURE_BUILD_CNN = """
def build_cnn():
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        keras.layers.Conv2D(64, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=2),
        keras.layers.Dropout(0.25),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model
"""
