"""Submissions that are not the notebook asked for: each is graded, alone, with the reason.

Over twenty kinds of malformed submission, all of ``03_one_hot`` (the
quickest to grade): files that are not notebooks, notebooks nbgrader
cannot read, and submission folders holding links, pipes, sockets, deep
trees or odd names. Either the intake repairs the submission and it is
graded on its answers (the reference's, here: full marks), or the stub is
graded in its place (zero), and the feedback says which and why. Before the
intake handled them, several stopped the whole class's grading, hung it on
a pipe, or graded a file the link pointed at.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

import nbformat
import numpy as np

from autograder.course import samples
from tests.hostile.base import A03, ALL, Hostile, answered, raw

REFERENCE_REPORT = "[one_hot] 5 / 5"  # the judge's report: the answers were graded


def reference_json(**changes: object) -> bytes:
    """The 03 reference submission as JSON, with top-level fields changed."""
    nb = json.loads(nbformat.writes(samples.submission(A03)))
    nb.update(changes)
    return json.dumps(nb).encode()


def changed(change: Callable[[dict], None]) -> Callable[[Hostile, int], bytes]:
    """The 03 reference submission's JSON, changed by ``change`` (raw, no validation)."""

    def build(entry: Hostile, port: int) -> bytes:
        nb = json.loads(nbformat.writes(samples.submission(A03)))
        change(nb)
        return json.dumps(nb).encode()

    return build


def cell_named(nb: dict, grade_id: str) -> dict:
    return next(
        c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id
    )


def _metadata_string(nb: dict) -> None:
    cell_named(nb, "test_one_hot")["metadata"]["nbgrader"] = "oops"


def _metadata_missing(nb: dict) -> None:
    del cell_named(nb, "test_one_hot")["metadata"]["nbgrader"]


def _cell_metadata_not_a_dict(nb: dict) -> None:
    nb["cells"][0]["metadata"] = "not a mapping"


def _many_cells(nb: dict) -> None:
    nb["cells"] += [{"cell_type": "markdown", "metadata": {}, "source": ""}] * 100_000


def _huge(nb: dict) -> None:
    nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "x" * 55 * 2**20})


def _duplicate_ids(nb: dict) -> None:
    nb["nbformat_minor"] = 5  # the first minor version with cell ids
    for number, cell in enumerate(nb["cells"]):
        cell["id"] = "same" if number < 3 else f"cell-{number}"


def _huge_outputs(nb: dict) -> None:
    cell = cell_named(nb, "one_hot")
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "y" * 40 * 2**20}]


def nbformat_3(entry: Hostile, port: int) -> bytes:
    return nbformat.writes(nbformat.convert(samples.submission(A03), 3)).encode()


def garbage(entry: Hostile, port: int) -> bytes:
    return np.random.default_rng(3).bytes(4096)


def notebook_path(folder: Path) -> Path:
    return folder / f"{A03}.ipynb"


def _folder_named_like_the_notebook(folder: Path) -> None:
    notebook_path(folder).mkdir()
    nbformat.write(samples.submission(A03), str(notebook_path(folder) / f"{A03}.ipynb"))


def _link_to_the_solution(folder: Path) -> None:
    course = folder.parents[2]
    os.symlink(course / "solutions" / A03 / f"{A03}.ipynb", notebook_path(folder))


def _unreadable(folder: Path) -> None:
    nbformat.write(samples.submission(A03), str(notebook_path(folder)))
    notebook_path(folder).chmod(0)


def _pipe(folder: Path) -> None:
    os.mkfifo(notebook_path(folder))


def socket_file(path: Path) -> None:
    """A Unix socket's file at ``path``, however long the path: bound in the temporary folder,
    where its name fits a socket address (108 bytes), then moved."""
    with tempfile.TemporaryDirectory() as short, socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(Path(short) / "s"))
        shutil.move(Path(short) / "s", path)


def _socket_file(folder: Path) -> None:
    socket_file(notebook_path(folder))


def _linked_folder(folder: Path) -> None:
    """The submission folder is a link to another student's."""
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    os.symlink(folder.parents[1] / "reference" / A03, folder)


def _junk_beside(folder: Path) -> None:
    os.symlink("/etc/shadow", folder / "data.py")
    os.symlink("/", folder / "everything")
    os.mkfifo(folder / "pipe")
    socket_file(folder / "sock")


def _deep_tree(folder: Path) -> None:
    path = folder
    for depth in range(50):
        path = path / f"d{depth}"
    path.mkdir(parents=True)
    (path / "bottom.txt").write_text("deep")


def _odd_names(folder: Path) -> None:
    (folder / ("n" * 250)).write_text("a long name")
    with open(os.path.join(os.fsencode(folder), b"bad-\xff-name.txt"), "wb") as handle:
        handle.write(b"an undecodable name")


def _bad_timestamp(folder: Path) -> None:
    (folder / "timestamp.txt").write_text("sometime yesterday, after lunch")


READ_NOTE = "could not be read"
STUB_NOTE = "graded in its place"


def reference_with(arrange: Callable[[Path], None]) -> dict:
    return {"build": answered(), "arrange": arrange}


ENTRIES = [
    Hostile("invalid_json", A03, raw(b'{"cells": [{"cell_type": '), ALL, "not valid JSON"),
    Hostile("empty_file", A03, raw(b""), ALL, "the file is empty"),
    Hostile("missing_notebook", A03, raw(None), ALL, "No notebook named"),
    Hostile("wrongly_named", A03, answered(), reason="was named", filename="03_one_hot (1).ipynb"),
    Hostile("binary_garbage", A03, garbage, ALL, "not valid JSON"),
    Hostile("invalid_utf8", A03, raw(b'{"cells": "\xff\xfe"}'), ALL, "not valid JSON"),
    Hostile("json_list", A03, raw(b"[]"), ALL, "JSON but not a Jupyter notebook"),
    Hostile("cells_not_a_list", A03, raw(reference_json(cells={})), ALL, "not a Jupyter notebook"),
    Hostile(
        "metadata_not_a_mapping", A03, changed(_cell_metadata_not_a_dict), ALL, "Jupyter format"
    ),
    Hostile("hundred_thousand_cells", A03, changed(_many_cells), ALL, "more than the"),
    Hostile("fifty_five_megabytes", A03, changed(_huge), ALL, "larger than 50 MB"),
    Hostile("nbgrader_metadata_a_string", A03, changed(_metadata_string), reason="not a mapping"),
    Hostile("nbgrader_metadata_deleted", A03, changed(_metadata_missing), reason="was put back"),
    Hostile("duplicate_cell_ids", A03, changed(_duplicate_ids), reason=REFERENCE_REPORT),
    Hostile("forty_megabytes_of_outputs", A03, changed(_huge_outputs), reason=REFERENCE_REPORT),
    Hostile("nbformat_3", A03, nbformat_3, reason="nbformat 3"),
    Hostile(
        "folder_named_like_the_notebook",
        A03,
        raw(None),
        ALL,
        "was a folder, not a notebook",
        arrange=_folder_named_like_the_notebook,
    ),
    Hostile("link_to_the_solution", A03, raw(None), ALL, "a link", arrange=_link_to_the_solution),
    Hostile("named_pipe_notebook", A03, raw(None), ALL, "not a regular file", arrange=_pipe),
    Hostile("socket_notebook", A03, raw(None), ALL, "not a regular file", arrange=_socket_file),
    Hostile(
        "link_to_another_students_folder",
        A03,
        raw(None),
        ALL,
        "was not a folder",
        arrange=_linked_folder,
    ),
    # As root the grader reads it anyway, and grades it; as anyone else, it cannot.
    Hostile(
        "unreadable_permissions",
        A03,
        raw(None),
        frozenset() if os.geteuid() == 0 else ALL,
        REFERENCE_REPORT if os.geteuid() == 0 else "cannot be opened",
        arrange=_unreadable,
    ),
    Hostile("links_pipes_and_sockets_beside", A03, **reference_with(_junk_beside), reason="a link"),
    Hostile("a_tree_fifty_deep", A03, **reference_with(_deep_tree), reason="folders too deep"),
    Hostile("odd_file_names", A03, **reference_with(_odd_names), reason="an unreadable name"),
    Hostile("unreadable_timestamp", A03, **reference_with(_bad_timestamp), reason="timestamp.txt"),
]
