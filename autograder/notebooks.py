"""Reading notebooks: their nbgrader cells, and their code run in this process."""

from __future__ import annotations

import contextlib
import linecache
import shutil
import sys
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

# The locked first code cell of a notebook that loads data sets: imports and loading. It is
# the course's code, and slow on a busy machine (TensorFlow, decoding photos), so it has
# the long time limit of training cells.
SETUP_CELL_ID = "setup"

# The locked cell every notebook has before its first answer: the self-checks' helper. A
# self-check is ``assert <condition>, self_check_failed(expected=..., found=shown(x),
# hint=...)``: its message is the grader's report's (expected / found / hint), built only
# when it fails, and its traceback ends at the self-check's own line. Students have no
# grader package, so the notebook defines it; each notebook's cell is this.
SELF_CHECK_HELPER_ID = "self_check_helper"
SELF_CHECK_HELPER = """\
# 스스로 확인 도우미 (수정하지 마세요) / The self-checks' helper (do not edit)
def shown(value):
    \"\"\"A value as the self-checks describe it: arrays by shape and dtype, small ones whole.\"\"\"
    import numpy

    if isinstance(value, numpy.ndarray):
        values = f" {value.tolist()}" if value.size <= 12 else ""
        return f"an array of shape {value.shape} and dtype {value.dtype}{values}"
    if value is None:
        return "None: nothing was returned (is a `return` missing?)"
    if isinstance(value, list | tuple):
        return f"a Python {type(value).__name__}, not a NumPy array: {str(value)[:80]}"
    return f"{str(value)[:80]} ({type(value).__name__})"


def self_check_failed(expected, found, hint):
    \"\"\"A failing self-check's message, as the grader's report: expected, found, a hint.\"\"\"
    return (
        "스스로 확인 실패 / self-check failed\\n"
        f"  expected 기대: {expected}\\n"
        f"  found    결과: {found}\\n"
        f"  hint     힌트: {hint}"
    )
"""


def nbgrader_meta(cell: NotebookNode) -> dict[str, Any]:
    """The cell's nbgrader metadata, empty for a plain cell (or metadata that is no mapping)."""
    metadata = cell.get("metadata")
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return dict(meta) if isinstance(meta, dict) else {}


def grade_id_of(cell: NotebookNode) -> str | None:
    """The cell's nbgrader ``grade_id``, or None for a plain cell."""
    return nbgrader_meta(cell).get("grade_id")


def is_graded_cell(cell: NotebookNode) -> bool:
    """A cell nbgrader gives points to (a test cell, or an answer cell graded by hand)."""
    return bool(nbgrader_meta(cell).get("grade"))


def is_test_cell(cell: NotebookNode) -> bool:
    """An autograder test cell: graded code that is not the student's answer."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def student_sources(notebook: NotebookNode) -> dict[str, str]:
    """The source of every code cell the student could write, by ``grade_id`` (answer
    cells) or as ``cell N`` (cells the student added, or plain cells of the release).

    Locked cells are left out: nbgrader grades their released version.
    """
    return {
        str(grade_id_of(cell) or f"cell {index}"): cell.source
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and not nbgrader_meta(cell).get("locked")
    }


def test_cells(notebook: NotebookNode) -> list[NotebookNode]:
    """The notebook's autograder test cells, in order."""
    return [cell for cell in notebook.cells if is_test_cell(cell)]


def read(path: str | Path) -> NotebookNode:
    """Read a notebook as nbformat 4."""
    return nbformat.read(str(path), as_version=4)


def printed_text(nb: NotebookNode) -> str:
    """Everything an executed notebook's code cells printed to their streams."""
    return "\n".join(
        "".join(output.get("text", ""))
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )


def _without_magics(source: str) -> str:
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )


def run_answer_cells(
    source: str | Path | NotebookNode,
    folder: str | Path | None = None,
    *,
    skip: Collection[str] = (),
    namespace: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run a notebook's code cells except its test cells and return the namespace.

    This is how a student's objects are had from a notebook without nbgrader:
    the test cells (which call the grader) are left out, so are the cells
    whose ``grade_id`` is in ``skip`` (training, say), and a cell that raises
    is reported and skipped, as nbgrader's ``allow_errors`` does. Like
    Jupyter, the cells run beside the files released with the notebook (its
    folder, or ``folder`` for a notebook given as a node), so they import; but
    from a scratch copy of them, so that nothing (bytecode, a cache) is ever
    written into the notebook's own folder. ``namespace`` is where the cells
    run (a fresh one by default).
    """
    if isinstance(source, NotebookNode):
        nb = source
    else:
        nb, folder = read(source), Path(source).resolve().parent
    namespace = {"__name__": "__main__"} if namespace is None else namespace
    if folder is None:
        return _run(nb, skip, namespace)
    with tempfile.TemporaryDirectory(prefix="cnn-answers-") as scratch:
        for path in Path(folder).iterdir():
            if path.is_file() and path.suffix != ".ipynb":
                shutil.copyfile(path, Path(scratch) / path.name)
        sys.path.insert(0, scratch)
        try:
            with contextlib.chdir(scratch):
                return _run(nb, skip, namespace)
        finally:
            sys.path.remove(scratch)


def _run(nb: NotebookNode, skip: Collection[str], namespace: dict[str, Any]) -> dict[str, Any]:
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or is_test_cell(cell) or grade_id_of(cell) in skip:
            continue
        source, name = _without_magics(cell.source), f"<notebook cell {index}>"
        # Cached as IPython caches a cell, so that a traceback shows its lines.
        linecache.cache[name] = (len(source), None, source.splitlines(keepends=True), name)
        code = compile(source, name, "exec")
        try:
            exec(code, namespace)
        except Exception as error:  # keep going, as nbgrader does with allow_errors
            print(f"cell {index} raised {type(error).__name__}: {error}")
    return namespace
