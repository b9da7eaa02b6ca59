"""Turning what a student handed in into a notebook nbgrader can grade, and saying why.

nbgrader cannot grade a notebook that is empty or not JSON (the student's
whole grading fails), and scores a missing or misnamed notebook zero with no
feedback at all. Before grading, :func:`prepare` makes every submission
gradable and explains itself in a note at the top of the notebook, which the
student reads in the feedback:

* a notebook under another name (the only one in the folder) is graded as
  the expected notebook;
* an unreadable notebook is kept beside it as ``<name>.unreadable`` and the
  unanswered stub is graded in its place, so it scores zero with the reason;
* a folder with no notebook gets the stub and the note too;
* test and read-only cells the student deleted are put back, and cells
  whose nbgrader id is unknown or repeated become ordinary cells
  (:func:`repair_cells`), where nbgrader would reject the whole notebook.

Running it again changes nothing: the prepared notebook is readable.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder import notebooks
from autograder.assignments import release_path

NOTE_TITLE = "⚠️ 채점 안내 / Grading note"


def notebook_problem(path: Path) -> str | None:
    """Why a file is not a notebook nbgrader can grade, or None when it is one."""
    data = path.read_bytes()
    if not data.strip():
        return "the file is empty"
    try:
        content = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return f"the file is not valid JSON ({error})"
    if not isinstance(content, dict) or "cells" not in content:
        return "the file is JSON but not a Jupyter notebook"
    try:
        nbformat.validate(nbformat.reads(data.decode(), as_version=4))
    except Exception as error:  # nbformat raises several kinds for malformed notebooks
        return f"the notebook does not follow the Jupyter format ({type(error).__name__})"
    return None


def prepare(course_root: Path, assignment: str, student: str) -> str | None:
    """Make a student's submission gradable; return the note added to it, if any."""
    folder = Path(course_root) / "submitted" / student / assignment
    expected = folder / f"{assignment}.ipynb"
    if expected.exists():
        problem = notebook_problem(expected)
        if problem is None:
            return _repair(course_root, assignment, expected)
        kept = expected.with_name(expected.name + ".unreadable")
        if not kept.exists():
            shutil.copy2(expected, kept)
        return _grade_stub_instead(
            course_root,
            assignment,
            expected,
            f"Your notebook `{expected.name}` could not be read: {problem}. The original is "
            f"kept as `{kept.name}`; the unanswered notebook was graded in its place. "
            "(제출한 노트북 파일을 읽을 수 없어 빈 노트북으로 채점했습니다.)",
        )
    others = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    if len(others) == 1 and notebook_problem(others[0]) is None:
        nb = nbformat.read(str(others[0]), as_version=4)
        note = (
            f"Your notebook was named `{others[0].name}`; it was graded as `{expected.name}`. "
            "Please keep the notebook's name. (파일 이름을 바꾸지 마세요.)"
        )
        _write_with_note(nb, expected, note)
        return note
    found = ", ".join(f"`{p.name}`" for p in others) or "no notebook"
    return _grade_stub_instead(
        course_root,
        assignment,
        expected,
        f"No notebook named `{expected.name}` was submitted (found {found}); the unanswered "
        "notebook was graded in its place. (제출된 노트북이 없어 빈 노트북으로 채점했습니다.)",
    )


def _repair(course_root: Path, assignment: str, path: Path) -> str | None:
    nb = nbformat.read(str(path), as_version=4)
    release = nbformat.read(str(release_path(assignment, Path(course_root))), as_version=4)
    repairs = repair_cells(nb, release)
    if not repairs:
        return None
    note = (
        "Some of the notebook's own cells were changed; they were restored before grading: "
        + "; ".join(repairs)
        + ". (삭제하거나 바꾼 채점용 셀을 복원했습니다.)"
    )
    _write_with_note(nb, path, note)
    return note


def repair_cells(nb: NotebookNode, release: NotebookNode) -> list[str]:
    """Undo what nbgrader cannot grade around: unknown or repeated cell ids, deleted fixed cells.

    A cell whose ``grade_id`` the assignment does not have, or has already
    had, becomes an ordinary cell (nbgrader rejects the notebook otherwise).
    A read-only or test cell the student deleted is put back after the
    cell that precedes it in the released notebook, so it runs and scores
    what the answers earn. Deleted answer cells stay deleted.
    """
    released = {notebooks.grade_id_of(c): c for c in release.cells if notebooks.grade_id_of(c)}
    repairs, seen = [], set()
    for cell in nb.cells:
        grade_id = notebooks.grade_id_of(cell)
        if not grade_id:
            continue
        if grade_id not in released or grade_id in seen:
            del cell.metadata["nbgrader"]
            repairs.append(f"`{grade_id}` is not a cell of this assignment (or came twice)")
            continue
        seen.add(grade_id)
    previous = None
    for grade_id, cell in released.items():
        fixed = notebooks.nbgrader_meta(cell).get("locked") or notebooks.is_test_cell(cell)
        if grade_id not in seen and fixed:
            at = _index_of(nb, previous) + 1 if previous else 0
            nb.cells.insert(at, nbformat.from_dict(json.loads(json.dumps(cell))))
            repairs.append(f"`{grade_id}` was missing and was put back")
        if grade_id in seen or fixed:
            previous = grade_id
    return repairs


def _index_of(nb: NotebookNode, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if notebooks.grade_id_of(c) == grade_id)


def _grade_stub_instead(course_root: Path, assignment: str, path: Path, note: str) -> str:
    stub = nbformat.read(str(release_path(assignment, Path(course_root))), as_version=4)
    _write_with_note(stub, path, note)
    return note


def _write_with_note(nb: NotebookNode, path: Path, note: str) -> None:
    cell = nbformat.v4.new_markdown_cell(f"**{NOTE_TITLE}:** {note}")
    cell.pop("id", None)
    nb.cells.insert(0, cell)
    nbformat.write(nb, str(path))
