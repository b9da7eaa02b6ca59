"""Small factories shared by the tests."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import struct
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
from nbformat import NotebookNode

from autograder import assignments, notebooks
from autograder.assignments import grade_id_for, release_path
from autograder.assignments.a09_fashion_mnist_cnn.info import FASHION_MNIST
from autograder.course.demo import missing_data
from autograder.judge.runner import check_points, collect_checks
from autograder.judge.service import judge_in_process
from autograder.mistakes import Mistake
from autograder.verdicts import CellVerdict
from source_data import course_data


def untrained_cells(assignment: str) -> set[str]:
    """Check cells that can be judged without training a model (all, for the NumPy ones)."""
    return set(check_points(assignment)) - set(assignments.get(assignment).accuracy_cells)


def judge_notebook(assignment: str, nb: NotebookNode) -> dict[str, CellVerdict]:
    """Judge every test cell that needs no trained model, as the production path does.

    The answer cells (not the training ones) run in this process; each test
    cell is then judged by the real judge over a socket pair, talking to the
    real kernel side that serves the notebook's objects. The notebook's
    set-up cells (loading data) ran once, in :func:`set_up`.
    """
    namespace = notebooks.run_answer_cells(
        split_at_first_answer(nb)[1],
        release_path(assignment).parent,
        skip=set(assignments.get(assignment).training_cells),
        namespace=set_up(assignment),
    )
    cells, sources = untrained_cells(assignment), notebooks.student_sources(nb)
    return {cell: judge_in_process(assignment, cell, namespace, None, sources) for cell in cells}


@dataclass(frozen=True)
class CellGrade:
    """One test cell graded as nbgrader grades it: its visible self-check, then the judge."""

    score: float  # nbgrader's: the judge's points, whether or not the self-check raised
    self_check_error: str | None  # "<exception>: <message>" when the visible self-check raised
    verdict: CellVerdict  # the judge's verdict on the cell


def grade_in_notebook_order(
    assignment: str,
    nb: NotebookNode,
    cells: Iterable[str],
    seed: int,
    namespace: dict[str, Any] | None = None,
) -> dict[str, CellGrade]:
    """The nbgrader score of each check cell in ``cells``, the notebook run in its own order.

    Cells run as in a kernel, one after another (training cells skipped): the
    answer cells before a test cell, then the test cell's visible self-check,
    then the judge on that cell, over the wire as in :func:`judge_notebook`,
    whether or not the self-check raised (``SandboxedExecute`` runs the two
    apart). So a later cell that redefines a name cannot change what an
    earlier test cell was judged on. ``namespace`` is where the cells run: by
    default a fresh copy of the set-up cells' namespace.
    """
    wanted = set(cells)
    skip = set(assignments.get(assignment).training_cells)
    namespace = set_up(assignment) if namespace is None else namespace
    sources = notebooks.student_sources(nb)
    rest = split_at_first_answer(nb)[1]
    grades: dict[str, CellGrade] = {}
    pending: list[NotebookNode] = []
    for cell in rest.cells:
        if not notebooks.is_test_cell(cell):
            pending.append(cell)
            continue
        segment = nbformat.from_dict({**rest, "cells": pending})
        with contextlib.redirect_stdout(io.StringIO()):
            notebooks.run_answer_cells(
                segment, release_path(assignment).parent, skip=skip, namespace=namespace
            )
        pending = []
        check_cell = str(notebooks.grade_id_of(cell)).removeprefix("test_")
        if check_cell not in wanted:
            continue
        error = _self_check_error(cell.source, namespace)
        verdict = judge_in_process(assignment, check_cell, namespace, seed, sources)
        grades[check_cell] = CellGrade(verdict.earned, error, verdict)
    return grades


def _self_check_error(source: str, namespace: dict[str, Any]) -> str | None:
    """Run a test cell's visible self-check; the exception it raised, in one line."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(source, "<self-check>", "exec"), namespace)
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return None


def split_at_first_answer(nb: NotebookNode) -> tuple[NotebookNode, NotebookNode]:
    """The notebook's set-up cells (before its first answer cell), and the rest."""
    first = next(i for i, c in enumerate(nb.cells) if notebooks.nbgrader_meta(c).get("solution"))
    return (
        nbformat.from_dict({**nb, "cells": nb.cells[:first]}),
        nbformat.from_dict({**nb, "cells": nb.cells[first:]}),
    )


def set_up(assignment: str) -> dict[str, Any]:
    """A fresh copy of the namespace the released notebook's set-up cells leave behind."""
    return {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in _set_up(assignment).items()}


@cache
def _set_up(assignment: str) -> dict[str, Any]:
    setup = split_at_first_answer(notebooks.read(release_path(assignment)))[0]
    with stand_in_data(assignment):
        return notebooks.run_answer_cells(setup, release_path(assignment).parent)


@contextlib.contextmanager
def stand_in_data(assignment: str) -> Iterator[None]:
    """Where Fashion-MNIST is missing, its training files written here, as a grading view.

    09's set-up cell loads them; the checks judged without training read
    none of Fashion-MNIST, only data they make. Anywhere else, nothing changes.
    """
    needed = set(assignments.get(assignment).data)
    if not needed & set(FASHION_MNIST) or missing_data(assignment) is None:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="stand-in-view-") as folder:
        hashes = write_fashion_mnist(Path(folder), ("train",))
        files = {course_data.MANIFEST[name].relative: sha256 for name, sha256 in hashes.items()}
        (Path(folder) / course_data.VIEW_FILE).write_text(json.dumps({"files": files}))
        before = os.environ.get(course_data.MIRROR_VARIABLE)
        os.environ[course_data.MIRROR_VARIABLE] = folder
        try:
            yield
        finally:
            if before is None:
                del os.environ[course_data.MIRROR_VARIABLE]
            else:
                os.environ[course_data.MIRROR_VARIABLE] = before


def failed_checks(verdicts: dict[str, CellVerdict]) -> set[str]:
    """Names of the checks that failed (that lost their points, or gave advice)."""
    return {
        check.name for verdict in verdicts.values() for check in verdict.checks if not check.passed
    }


def checks_of(assignment: str, cells: Iterable[str] | None = None) -> set[str]:
    """Names of an assignment's checks (of some check cells only, if given)."""
    points = check_points(assignment)
    return {name for cell in (points if cells is None else cells) for name in points[cell]}


def expected_cell_scores(
    assignment: str, fails: Iterable[str] = (), lost: Iterable[str] = ()
) -> dict[str, float]:
    """nbgrader's score per test cell when these checks fail and these cells are lost whole
    (their checks never ran: the kernel died, the cell was stopped, a model not measured).

    A cell whose self-check fails is not lost: it scores its checks that
    pass, and the self-check's twin among the failed ones costs its points.
    """
    fails, lost = set(fails), set(lost)
    return {
        grade_id_for(cell): 0.0
        if grade_id_for(cell) in lost
        else sum(p for name, p in points.items() if name not in fails)
        for cell, points in check_points(assignment).items()
    }


def self_check_twins(assignment: str) -> dict[str, set[str]]:
    """Per check cell, its checks marked as the twins of the notebook's visible self-check."""
    twins: dict[str, set[str]] = {}
    for info in collect_checks(assignment):
        if info.self_check:
            twins.setdefault(info.cell, set()).add(info.name)
    return twins


def failing_self_checks(grades: dict[str, CellGrade]) -> set[str]:
    """The test cells (grade ids) whose visible self-check raised."""
    return {grade_id_for(cell) for cell, grade in grades.items() if grade.self_check_error}


def twins_failed_with_their_self_check(assignment: str, grades: dict[str, CellGrade]) -> bool:
    """Whether each cell whose self-check raised also failed a hidden twin of it: what a
    self-check shows costs points in the grade only through its twins."""
    twins = self_check_twins(assignment)
    return all(
        twins.get(cell, set()) & {c.name for c in grade.verdict.checks if not c.passed}
        for cell, grade in grades.items()
        if grade.self_check_error
    )


def changes_a_trained_model(mistake: Mistake) -> bool:
    """Whether a mistake must cost accuracy tiers, which only real training shows."""
    accuracy = checks_of(mistake.assignment, assignments.get(mistake.assignment).accuracy_cells)
    return bool(mistake.fails & accuracy)


def write_idx(path: Path, array: np.ndarray, magic: bytes | None = None) -> Path:
    """A gzipped IDX file of unsigned bytes, as LeCun's and Zalando's files are.

    ``magic`` replaces the first four bytes (a wrong type code, say).
    """
    header = bytes([0, 0, 0x08, array.ndim]) if magic is None else magic
    header += struct.pack(f">{array.ndim}I", *array.shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())
    return path


def stand_in_fashion_mnist(split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of Fashion-MNIST's shapes, each image a flat grey of its label."""
    images_shape, labels_shape = course_data.FASHION_MNIST_SHAPES[split]
    labels = (np.arange(labels_shape[0]) % 10).astype(np.uint8)
    images = np.broadcast_to((labels * 25)[:, None, None], images_shape)
    return images, labels


def write_fashion_mnist(
    folder: Path, splits: tuple[str, ...] = ("train", "test")
) -> dict[str, str]:
    """Fashion-MNIST's files, of stand-in images, as a mirror holds them; their sha256 by name."""
    hashes = {}
    for split in splits:
        for kind, array in zip(("images", "labels"), stand_in_fashion_mnist(split), strict=True):
            name = f"fashion_mnist_{split}_{kind}"
            path = write_idx(folder / course_data.MANIFEST[name].relative, array)
            hashes[name] = course_data.sha256_of(path)
    return hashes
