"""Turning what a student handed in into a notebook nbgrader can grade, and saying why.

nbgrader copies a submission's folder as it finds it (following links, and
hanging on a named pipe), cannot grade a notebook that is empty, not JSON or
oddly shaped (the whole run for that student fails and the submission is
removed), and scores a missing or misnamed notebook zero with no feedback at
all. Before grading, :func:`prepare` makes every submission gradable, alone,
and explains itself in a note at the top of the notebook, which the student
reads in the feedback:

* links, named pipes, sockets and devices are removed without being
  followed or opened, and so are files that are too large or trees that are
  too deep; an unreadable ``timestamp.txt`` gives way to the file's time;
* a submission folder that is a link, or not a folder, is set aside and
  replaced by a fresh one;
* a notebook under another name (the only one in the folder) is graded as
  the expected notebook; a notebook in the old nbformat 3 is converted;
* an unreadable notebook (empty, not JSON, not a notebook, too large, too
  many cells, a folder) is kept beside it and the unanswered stub is graded
  in its place, so it scores zero with the reason; so does a missing one;
* test and read-only cells the student deleted are put back; a cell of the
  assignment gets the released cell's nbgrader metadata back (what is
  locked or graded is the instructor's word), and cells whose nbgrader
  metadata is unknown, repeated, without a ``grade_id`` or not a mapping
  become ordinary cells (:func:`repair_cells`), where nbgrader would reject
  the whole notebook.

Whatever else goes wrong with one submission is that submission's problem
only: it is set aside and graded as the stub, with the reason. Running
:func:`prepare` again changes nothing: a prepared submission is clean.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import stat
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder import notebooks
from autograder.assignments import release_path

NOTE_TITLE = "⚠️ 채점 안내 / Grading note"
MAX_NOTEBOOK_BYTES = 50 * 2**20  # a notebook with its outputs; nbgrader clears those
MAX_FILE_BYTES = 50 * 2**20  # any other file handed in
MAX_CELLS = 2_000  # the notebooks have about 30; each cell is a round trip to the kernel
MAX_DEPTH = 8  # folders inside the submission folder
MAX_ENTRIES = 1_000  # files and folders in a submission
KEPT_FILES = ("timestamp.txt", "submission_secret.txt")  # nbgrader's, kept when starting over


def prepare(course_root: Path, assignment: str, student: str) -> str | None:
    """Make a student's submission gradable; return the note added to it, if any.

    It never raises for anything in the submission: a submission it cannot
    make sense of is set aside and graded as the unanswered stub, with why.
    """
    folder = Path(course_root) / "submitted" / student / assignment
    try:
        notes = _ensure_a_folder(folder) + _clean(folder)
        nb, notebook_notes = _notebook(course_root, assignment, folder)
        notes += notebook_notes
    except Exception as error:  # whatever it is, it is this submission's alone
        notes = [
            f"Your submission could not be prepared for grading ({type(error).__name__}); it "
            f"is kept for your instructor, and the unanswered notebook was graded in its place. "
            "(제출물을 처리할 수 없어 빈 노트북으로 채점했습니다.)"
        ]
        nb = _start_over(course_root, assignment, folder)
    if notes:
        _write_with_note(nb, folder / f"{assignment}.ipynb", notes)
    return " ".join(notes) or None


def _ensure_a_folder(folder: Path) -> list[str]:
    """A submission folder that is a link, or a file, is set aside for a fresh folder."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        _set_aside(folder)
        folder.mkdir()
        return [
            f"Your submission `{folder.name}` was not a folder (a link or a file); it was set "
            "aside. (제출 폴더가 올바르지 않습니다.)"
        ]
    folder.mkdir(parents=True, exist_ok=True)
    return []


def _set_aside(path: Path) -> Path:
    """Move a path out of nbgrader's sight, beside it, for the instructor; return where."""
    for n in range(1, 1000):
        aside = path.with_name(f".{path.name}.set-aside-{n}")
        if not aside.exists() and not aside.is_symlink():
            os.rename(path, aside)
            return aside
    raise OSError(f"no room to set {path} aside")


def _clean(folder: Path) -> list[str]:
    """Remove what nbgrader must not copy or follow; one note listing what went, if anything."""
    removed: list[str] = []
    _clean_tree(folder, folder, 0, removed, [0])
    notes = []
    if removed:
        notes.append(
            "Some of the files you handed in were removed before grading (only regular "
            f"files are graded): {'; '.join(removed[:10])}"
            f"{f' and {len(removed) - 10} more' if len(removed) > 10 else ''}. "
            "(링크, 특수 파일, 너무 큰 파일은 채점 전에 지웠습니다.)"
        )
    notes += _check_timestamp(folder / "timestamp.txt")
    return notes


def _clean_tree(top: Path, folder: Path, depth: int, removed: list[str], count: list[int]) -> None:
    with os.scandir(folder) as entries:
        listed = sorted(entries, key=lambda e: e.name)
    for entry in listed:
        path, name = Path(entry.path), _shown(Path(entry.path).relative_to(top))
        count[0] += 1
        info = entry.stat(follow_symlinks=False)
        if not _is_text(entry.name) or count[0] > MAX_ENTRIES:
            why = "an unreadable name" if count[0] <= MAX_ENTRIES else "too many files"
        elif stat.S_ISLNK(info.st_mode):
            why = "a link"
        elif stat.S_ISDIR(info.st_mode):
            if depth < MAX_DEPTH:
                _clean_tree(top, path, depth + 1, removed, count)
                continue
            why = "folders too deep"
        elif not stat.S_ISREG(info.st_mode):
            why = "not a regular file (a pipe, socket or device)"
        elif info.st_size > MAX_FILE_BYTES and path.suffix != ".ipynb":
            why = f"larger than {MAX_FILE_BYTES // 2**20} MB"
        else:
            continue
        _remove(path, info)
        removed.append(f"`{name}` ({why})")


def _is_text(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes, escaped as surrogates
        return False
    return name.isprintable()


def _shown(path: Path) -> str:
    text = str(path).encode("utf-8", "replace").decode("utf-8")
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= 60 else text[:57] + "..."


def _remove(path: Path, info: os.stat_result) -> None:
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(path)  # never follows links inside
    else:
        path.unlink()


def _check_timestamp(path: Path) -> list[str]:
    """An unreadable ``timestamp.txt`` (nbgrader would stop) gives way to the file's own time."""
    if not path.is_file() or path.is_symlink():
        return []
    from nbgrader.utils import parse_utc

    try:
        with open(path, "rb") as handle:
            text = handle.read(200).decode().strip()
        if not text or parse_utc(text) is not None:
            return []  # nbgrader reads an empty one as no timestamp
    except (ValueError, OverflowError, UnicodeDecodeError):
        pass
    written = datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.UTC)
    path.write_text(written.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
    return [
        "The submission's `timestamp.txt` could not be read; the time the file was written "
        "counts as the submission time. (제출 시각을 읽을 수 없어 파일 시각을 썼습니다.)"
    ]


def _notebook(course_root: Path, assignment: str, folder: Path) -> tuple[NotebookNode, list[str]]:
    """The notebook to grade for this folder, and the notes on how it was made gradable."""
    expected = folder / f"{assignment}.ipynb"
    if expected.is_dir():
        aside = _set_aside(expected)
        return _stub(course_root, assignment), [
            f"`{expected.name}` was a folder, not a notebook; it is kept as `{aside.name}`, and "
            "the unanswered notebook was graded in its place. (노트북이 아니라 폴더입니다.)"
        ]
    if expected.is_file():
        nb, problem = read_notebook(expected)
        if nb is None:
            kept = expected.with_name(expected.name + ".unreadable")
            if not kept.exists():
                shutil.copyfile(expected, kept)
            return _stub(course_root, assignment), [
                f"Your notebook `{expected.name}` could not be read: {problem}. The original is "
                f"kept as `{kept.name}`; the unanswered notebook was graded in its place. "
                "(제출한 노트북 파일을 읽을 수 없어 빈 노트북으로 채점했습니다.)"
            ]
        return nb, _repair(course_root, assignment, nb, problem)
    others = sorted(p for p in folder.glob("*.ipynb") if p.is_file() and not p.is_symlink())
    renamed = read_notebook(others[0])[0] if len(others) == 1 else None
    if renamed is not None:
        return renamed, [
            f"Your notebook was named `{_shown(Path(others[0].name))}`; it was graded as "
            f"`{expected.name}`. Please keep the notebook's name. (파일 이름을 바꾸지 마세요.)"
        ]
    found = ", ".join(f"`{_shown(Path(p.name))}`" for p in others[:5]) or "no notebook"
    return _stub(course_root, assignment), [
        f"No notebook named `{expected.name}` was submitted (found {found}); the unanswered "
        "notebook was graded in its place. (제출된 노트북이 없어 빈 노트북으로 채점했습니다.)"
    ]


KEPT_CELL_METADATA = ("nbgrader", "deletable", "editable")


def read_notebook(path: Path) -> tuple[NotebookNode | None, str | None]:
    """A notebook nbgrader can grade, read without following links, and a remark; or why not.

    The remark is for a notebook that had to be converted (nbformat 3) or whose
    cell metadata had to be dropped.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        return None, f"it cannot be opened ({error.strerror})"
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None, "it is not a regular file"
        data = handle.read(MAX_NOTEBOOK_BYTES + 1)
    return notebook_from_bytes(data)


def notebook_from_bytes(data: bytes) -> tuple[NotebookNode | None, str | None]:
    """The notebook these bytes hold, checked as nbgrader needs it, and a remark; or why not."""
    if not data.strip():
        return None, "the file is empty"
    if len(data) > MAX_NOTEBOOK_BYTES:
        return None, f"the file is larger than {MAX_NOTEBOOK_BYTES // 2**20} MB"
    try:
        content = json.loads(data)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        return None, f"the file is not valid JSON ({str(error)[:100]})"
    cells = _cells_of(content)
    if cells is None:
        return None, "the file is JSON but not a Jupyter notebook"
    if cells > MAX_CELLS:
        return None, f"it has {cells:,} cells, more than the {MAX_CELLS:,} graded"
    old = content.get("nbformat") != 4
    remarks = [f"it was in nbformat {content.get('nbformat')} and was converted"] if old else []
    try:
        nb = nbformat.reads(data.decode(), as_version=4)
        if not nbformat.validator.isvalid(nb):
            nb = _with_cell_ids(nb)
        if not nbformat.validator.isvalid(nb):
            remarks.append(_drop_extra_cell_metadata(nb))
        nbformat.validate(nb)
    except Exception as error:  # nbformat raises several kinds for malformed notebooks
        return None, f"the notebook does not follow the Jupyter format ({type(error).__name__})"
    return nb, "; ".join(remarks) or None


def _with_cell_ids(nb: NotebookNode) -> NotebookNode:
    """An nbformat 4.0-4.4 notebook with cell ids (a cell added by a newer Jupyter) as 4.5,
    every cell given an id; nbformat's own ``normalize`` fills them in."""
    if nb.get("nbformat_minor", 5) >= 5 or not any("id" in c for c in nb.get("cells", [])):
        return nb
    nb.nbformat_minor = 5
    return nbformat.from_dict(nbformat.validator.normalize(nb)[1])


def _drop_extra_cell_metadata(nb: NotebookNode) -> str:
    """Keep only the cell metadata grading reads, so that a bad tag costs no answers."""
    for cell in nb.cells:
        metadata = cell.get("metadata") if isinstance(cell, dict) else None
        if isinstance(metadata, dict):
            kept = {k: v for k, v in metadata.items() if k in KEPT_CELL_METADATA}
            cell["metadata"] = nbformat.from_dict(kept)
    return "cell metadata that does not follow the Jupyter format (tags, say) was dropped"


def _cells_of(content: object) -> int | None:
    """How many cells a notebook's JSON holds (nbformat 4, or 3's worksheets); None if none."""
    if not isinstance(content, dict):
        return None
    if isinstance(content.get("cells"), list):
        return len(content["cells"])
    sheets = content.get("worksheets")
    if content.get("nbformat") != 3 or not isinstance(sheets, list):
        return None
    if not all(isinstance(s, dict) and isinstance(s.get("cells"), list) for s in sheets):
        return None
    return sum(len(s["cells"]) for s in sheets)


def _repair(course_root: Path, assignment: str, nb: NotebookNode, remark: str | None) -> list[str]:
    release = nbformat.read(str(release_path(assignment, Path(course_root))), as_version=4)
    repairs = repair_cells(nb, release)
    if remark:
        repairs.insert(0, remark)
    if not repairs:
        return []
    return [
        "Your notebook was changed before grading: "
        + "; ".join(repairs)
        + ". (삭제하거나 바꾼 채점용 셀을 복원했습니다.)"
    ]


def repair_cells(nb: NotebookNode, release: NotebookNode) -> list[str]:
    """Undo what nbgrader cannot grade around: odd nbgrader metadata, deleted fixed cells.

    What a cell is to nbgrader (locked, graded, an answer, its points) is the
    instructor's: a cell with a ``grade_id`` of the assignment gets the released
    cell's nbgrader metadata back. A cell whose nbgrader metadata is not a
    mapping, names no ``grade_id`` (nbgrader stops on a locked or graded cell
    without one), or a ``grade_id`` the assignment does not have, or has already
    had, becomes an ordinary cell. A read-only or test cell the student deleted
    is put back after the cell that precedes it in the released notebook, so it
    runs and scores what the answers earn. Deleted answer cells stay deleted.
    """
    released = {notebooks.grade_id_of(c): c for c in release.cells if notebooks.grade_id_of(c)}
    repairs, seen = [], set()
    for index, cell in enumerate(nb.cells):
        if "nbgrader" not in cell.get("metadata", {}):
            continue
        meta, grade_id = cell.metadata["nbgrader"], notebooks.grade_id_of(cell)
        if isinstance(grade_id, str) and grade_id in released and grade_id not in seen:
            cell.metadata["nbgrader"] = _copied(released[grade_id].metadata["nbgrader"])
            seen.add(grade_id)
            continue
        del cell.metadata["nbgrader"]
        if not isinstance(meta, dict):
            repairs.append(f"cell {index}'s nbgrader metadata was not a mapping")
        elif grade_id:
            repairs.append(f"`{_shown(Path(str(grade_id)))}` is not a cell of this assignment "
                           "(or came twice)")  # fmt: skip
        elif any(meta.get(flag) for flag in ("grade", "solution", "locked", "task")):
            repairs.append(
                f"cell {index} was marked as a grading cell without a grading id and was graded "
                "as an ordinary cell"
            )
    previous = None
    for grade_id, cell in released.items():
        fixed = notebooks.nbgrader_meta(cell).get("locked") or notebooks.is_test_cell(cell)
        if grade_id not in seen and fixed:
            at = _index_of(nb, previous) + 1 if previous else 0
            nb.cells.insert(at, _copied(cell))
            repairs.append(f"`{grade_id}` was missing and was put back")
        if grade_id in seen or fixed:
            previous = grade_id
    return repairs


def _copied(node: NotebookNode) -> NotebookNode:
    return nbformat.from_dict(json.loads(json.dumps(node)))


def _index_of(nb: NotebookNode, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if notebooks.grade_id_of(c) == grade_id)


def _stub(course_root: Path, assignment: str) -> NotebookNode:
    """The released, unanswered notebook, graded in place of one that cannot be."""
    return nbformat.read(str(release_path(assignment, Path(course_root))), as_version=4)


def _start_over(course_root: Path, assignment: str, folder: Path) -> NotebookNode:
    """Set the whole submission aside for a fresh folder, keeping the submission's own
    timestamp and secret (nbgrader's) when they are plain files; return the stub to grade."""
    kept = {
        name: (folder / name).read_bytes()
        for name in KEPT_FILES
        if (folder / name).is_file() and not (folder / name).is_symlink()
        and (folder / name).stat().st_size < 1000
    }  # fmt: skip
    if folder.exists() or folder.is_symlink():
        _set_aside(folder)
    folder.mkdir(parents=True)
    for name, data in kept.items():
        (folder / name).write_bytes(data)
    return _stub(course_root, assignment)


def _write_with_note(nb: NotebookNode, path: Path, notes: list[str]) -> None:
    """Write the notebook to grade, with what was done to it in a cell at the top."""
    text = notes[0] if len(notes) == 1 else "".join(f"\n- {note}" for note in notes)
    cell = nbformat.v4.new_markdown_cell(f"**{NOTE_TITLE}:** {text}")
    cell.pop("id", None)
    nb.cells.insert(0, cell)
    nbformat.write(nb, str(path))
