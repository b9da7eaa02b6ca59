"""Reading notebooks: their nbgrader cells, and their code run in this process."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode


def nbgrader_meta(cell: NotebookNode) -> dict[str, Any]:
    """The cell's nbgrader metadata, empty for a plain cell."""
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def is_test_cell(cell: NotebookNode) -> bool:
    """An autograder test cell: graded code that is not the student's answer."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


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
    source: str | Path | NotebookNode, folder: str | Path | None = None
) -> dict[str, Any]:
    """Run a notebook's code cells except its test cells and return the namespace.

    This is how plain pytest gets a student's objects from a notebook without
    nbgrader: the test cells (which call the grader) are left out, and a cell
    that raises is reported and skipped, as nbgrader's ``allow_errors`` does.
    Like Jupyter, the cells run in the notebook's folder (``folder`` for a
    notebook given as a node), so the files released beside it import.
    """
    if isinstance(source, NotebookNode):
        nb = source
    else:
        nb, folder = read(source), Path(source).resolve().parent
    if folder is None:
        return _run(nb)
    sys.path.insert(0, str(folder))
    try:
        with contextlib.chdir(folder):
            return _run(nb)
    finally:
        sys.path.remove(str(folder))


def _run(nb: NotebookNode) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or is_test_cell(cell):
            continue
        code = compile(_without_magics(cell.source), f"<notebook cell {index}>", "exec")
        try:
            exec(code, namespace)
        except Exception as error:  # keep going, as nbgrader does with allow_errors
            print(f"cell {index} raised {type(error).__name__}: {error}")
    return namespace
