"""Outputs rewritten after the judge has spoken, and outputs that grow without bound.

A display opened with a ``display_id`` can be updated from any later cell:
Jupyter's front ends (and nbclient, which grades) rewrite every output that
showed that id, wherever it is. Student code that opens such a display while
a test cell runs (the self-check calls the student's function) could, from a
later cell, rewrite what that test cell shows once the verdict is in it: the
score nbgrader reads, or the judge's report box. Updates (and pictures, which
no text limit cuts) could also make a notebook, and the feedback page made
from it, as large as the kernel cares to send.

The score entries hide a catalogued mistake, so the attack must earn exactly
the mistake's own score (``autograder.mistakes``, graded beside them); the
size entries are the reference answers, which must keep full marks while the
graded notebook and the feedback page stay small (``test_feedback_page.py``).
"""

from __future__ import annotations

from collections.abc import Callable

import nbformat
from nbformat import NotebookNode

from autograder.course import samples
from tests.hostile.base import A03, Hostile, cell_index, mistake, with_cell_after

HONEST = "float64, np.eye's default dtype"  # the honest twin: 03's graded hidden-check mistake
FAKE_BOX_TEXT = "FAKE-REPORT [one_hot] 5 / 5"

# The student's one_hot, wrapped: its first call (the visible self-check, inside the test
# cell) shows displays with a display id at that cell's first output positions. Once
# graded, the test cell shows the judge's report and the score there (after what the
# self-check printed, when its output came before the judging began).
OPEN_DISPLAY = """
from IPython.display import display, update_display

_honest_one_hot = one_hot
_opened = []


def one_hot(labels, num_classes=None):
    if not _opened:
        _opened.append(True)
        for position in range({count}):
            display("placeholder", display_id="{display_id}")
    return _honest_one_hot(labels, num_classes)
"""

LATE_SCORE = """
update_display({"text/plain": "5.0"}, raw=True, display_id="late-score")
"""

# The fake's text is put together when it runs: the page shows the cell's source.
LATE_BOX = """
fake = "-".join(["FAKE", "REPORT [one_hot] 5 / 5"])
box = (
    '<div class="cnn-report"><b>🔒 채점기 보고서 / grader\\'s report</b>'
    f"<pre>{fake} 점 points</pre></div>"
)
update_display(
    {"text/html": box, "text/plain": fake},
    raw=True,
    display_id="late-box",
    metadata={"cnn_grader": "report"},
)
"""

# Outputs showing one display id in a cell of the student's, then one update of 4 MB
# that is not text from a later cell: each of them would hold it.
OPEN_GROWING = """
from IPython.display import display, update_display

for _ in range(8):
    display("small", display_id="grow")
"""

LATE_GROWTH = """
update_display({"image/png": "iVBORw0KGgo" + "A" * 4_000_000}, raw=True, display_id="grow")
"""

# Pictures: under the per-cell limit (2,000,000 characters) in each cell, never text.
PICTURE = """
from IPython.display import display

display({"image/png": "iVBORw0KGgo" + "A" * 1_900_000}, raw=True)
"""
PICTURE_CELLS = 8


def opened_in_the_test_cell(count: int, display_id: str) -> str:
    """The honest twin's one_hot, showing ``count`` displays with ``display_id`` first."""
    honest = mistake(HONEST).answers["one_hot"]
    return honest + OPEN_DISPLAY.format(count=count, display_id=display_id)


def grown_through_updates() -> Callable[[Hostile, int], NotebookNode]:
    """The reference, with displays opened in one cell of the student's and updated with
    4 MB of picture data from the next."""

    def build(entry: Hostile, port: int) -> NotebookNode:
        nb = samples.submission(entry.assignment)
        after = cell_index(nb, "test_from_one_hot") + 1
        nb.cells[after:after] = [
            nbformat.v4.new_code_cell(OPEN_GROWING),
            nbformat.v4.new_code_cell(LATE_GROWTH),
        ]
        return nb

    return build


def pictures_in_many_cells() -> Callable[[Hostile, int], NotebookNode]:
    """The reference, with cells of the student's each showing 1.9 MB of picture data."""

    def build(entry: Hostile, port: int) -> NotebookNode:
        nb = samples.submission(entry.assignment)
        after = cell_index(nb, "test_from_one_hot") + 1
        for _ in range(PICTURE_CELLS):
            nb.cells.insert(after, nbformat.v4.new_code_cell(PICTURE))
        return nb

    return build


ENTRIES = [
    Hostile(
        "update_display_rewrites_the_score",
        A03,
        with_cell_after(
            "test_from_one_hot",
            LATE_SCORE,
            one_hot=opened_in_the_test_cell(count=4, display_id="late-score"),
        ),
        reason="[one_hot] 4 / 5",
        fails=mistake(HONEST).fails,
    ),
    Hostile(
        "update_display_fakes_the_report_box",
        A03,
        with_cell_after(
            "test_from_one_hot",
            LATE_BOX,
            one_hot=opened_in_the_test_cell(count=2, display_id="late-box"),
        ),
        reason="[one_hot] 4 / 5",
        fails=mistake(HONEST).fails,
        absent=FAKE_BOX_TEXT,
    ),
    Hostile(
        "display_updates_enlarge_outputs",
        A03,
        grown_through_updates(),
        reason="[one_hot] 5 / 5",
    ),
    Hostile(
        "pictures_enlarge_the_notebook",
        A03,
        pictures_in_many_cells(),
        reason="[one_hot] 5 / 5",
    ),
]

# The entries whose graded notebook and feedback page must stay small.
ENLARGING = ("display_updates_enlarge_outputs", "pictures_enlarge_the_notebook")
