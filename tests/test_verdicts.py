"""Can anything the student's code does after a test cell change its score, report or size?

Each test runs ``SandboxedExecute`` in this process on an in-memory 03
notebook (the instructor's, hidden ``grade`` calls and all), with a real
sandboxed kernel and the real judge, as nbgrader's autograde would after
restoring the test cells: a few seconds, no nbgrader run, no gradebook. The
catalogue's entries (``tests/hostile/late_rewrites.py``) grade the same
attacks through nbgrader beside correct submissions, in the slow tier.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode
from nbgrader.utils import determine_grade

from autograder import notebooks
from autograder.assignments import solution_path
from autograder.sandbox import command as sandbox
from autograder.sandbox.execute import SandboxedExecute
from autograder.verdicts import METADATA_KEY
from tests.hostile.base import cell_index, mistake
from tests.hostile.late_rewrites import (
    FAKE_BOX_TEXT,
    HONEST,
    LATE_BOX,
    LATE_GROWTH,
    LATE_SCORE,
    OPEN_GROWING,
    PICTURE,
    opened_in_the_test_cell,
)

pytestmark = pytest.mark.skipif(bool(sandbox.missing_tools()), reason="bubblewrap is not installed")
A03 = "03_one_hot"


def instructors_notebook(one_hot: str | None = None, *added: str) -> NotebookNode:
    """03 as autograde runs it (hidden grade calls restored), with the student's one_hot
    and cells the student added at the end."""
    nb = notebooks.read(solution_path(A03))
    if one_hot is not None:
        nb.cells[cell_index(nb, "one_hot")].source = one_hot
    nb.cells += [nbformat.v4.new_code_cell(source) for source in added]
    nb.nbformat_minor = max(nb.nbformat_minor, 5)  # cells with ids
    return nb


def graded(nb: NotebookNode, tmp_path: Path, **limits: int) -> NotebookNode:
    """The notebook after ``SandboxedExecute``, in a real sandbox with the real judge."""
    folder = tmp_path / A03  # the kernel's working folder is named for the assignment
    folder.mkdir()
    resources = {"nbgrader": {"assignment": A03}, "metadata": {"path": str(folder)}}
    return SandboxedExecute(timeout=60, **limits).preprocess(nb, resources)[0]


def scores(nb: NotebookNode) -> dict[str, float | None]:
    """nbgrader's score of each test cell, read from its outputs as SaveAutoGrades reads it."""
    return {str(notebooks.grade_id_of(c)): determine_grade(c)[0] for c in notebooks.test_cells(nb)}


HONEST_SCORES = {"test_one_hot": 4.0, "test_from_one_hot": 2.0}  # the mistake's own score


def test_a_failing_self_check_costs_its_twins_and_the_hidden_checks_still_run(tmp_path):
    """The transposed one_hot fails its self-check: the cell scores its checks that pass."""
    transposed = mistake("transposed result, shape (C, N)")
    nb = graded(instructors_notebook(transposed.answers["one_hot"]), tmp_path)
    assert scores(nb) == {"test_one_hot": 2.0, "test_from_one_hot": 2.0}
    cell = nb.cells[cell_index(nb, "test_one_hot")]
    assert [o.output_type for o in cell.outputs] == ["stream", "display_data", "execute_result"]
    failed = cell.outputs[0].text
    assert failed.startswith("✗ 스스로 확인 실패 / self-check failed")
    assert "the hidden checks still ran" in failed and "AssertionError: 스스로 확인" in failed
    assert "expected 기대: an array of shape (1, 10)" in failed and "hint     힌트:" in failed
    assert failed.count("Cell In[") == 1  # the self-check's line: the error is its own
    assert "site-packages" not in failed and "\x1b[" not in failed
    report = cell.metadata[METADATA_KEY]["report"]
    assert "✗ 0/1  MNIST" in report and "(스스로 확인 / self-check)" in report


def test_the_honest_twin_scores_what_its_mistake_deserves(tmp_path):
    nb = graded(instructors_notebook(mistake(HONEST).answers["one_hot"]), tmp_path)
    assert scores(nb) == HONEST_SCORES


def test_a_display_update_from_a_later_cell_cannot_rewrite_the_score(tmp_path):
    one_hot = opened_in_the_test_cell(count=4, display_id="late-score")
    nb = graded(instructors_notebook(one_hot, LATE_SCORE), tmp_path)
    assert scores(nb) == HONEST_SCORES
    test_cell = nb.cells[cell_index(nb, "test_one_hot")]
    printed, report, score = test_cell.outputs  # the self-check's line, the judge's report
    assert printed.text == "기본 확인 통과 / self-check passed\n"
    assert "[one_hot] 4 / 5" in report.data["text/html"] and score.data["text/plain"] == "4.0"
    assert test_cell.metadata[METADATA_KEY]["earned"] == 4.0


def test_a_display_update_cannot_put_a_fake_report_box_in_a_test_cell(tmp_path):
    one_hot = opened_in_the_test_cell(count=2, display_id="late-box")
    nb = graded(instructors_notebook(one_hot, LATE_BOX), tmp_path)
    assert scores(nb) == HONEST_SCORES
    test_cell = nb.cells[cell_index(nb, "test_one_hot")]
    assert FAKE_BOX_TEXT not in json.dumps(test_cell)
    assert "[one_hot] 4 / 5" in test_cell.metadata[METADATA_KEY]["report"]
    assert all(
        METADATA_KEY not in o.get("metadata", {}) for c in nb.cells for o in c.get("outputs", [])
    )


def test_a_display_updates_within_its_own_cell_and_nowhere_else(tmp_path):
    same_cell = (
        "from IPython.display import display, update_display\n"
        "display('first', display_id='mine')\n"
        "update_display('second', display_id='mine')\n"
    )
    later = "update_display('third', display_id='mine')\n"
    nb = graded(instructors_notebook(None, same_cell, later), tmp_path)
    shown = nb.cells[-2].outputs[0].data["text/plain"]
    assert shown == "'second'"  # a progress display works as in Jupyter, in its own cell
    assert scores(nb) == {"test_one_hot": 5.0, "test_from_one_hot": 2.0}


def test_updates_and_pictures_count_against_the_notebooks_output_limit(tmp_path):
    """Each kind of output counts, updates too: the notebook stays under its limit."""
    limit = 3_000_000
    grown_here = OPEN_GROWING + LATE_GROWTH  # 8 outputs updated with 4 MB each, in one cell
    nb = instructors_notebook(None, OPEN_GROWING, LATE_GROWTH, grown_here, *[PICTURE] * 3)
    nb = graded(nb, tmp_path, max_notebook_output_characters=limit)
    assert len(nbformat.writes(nb)) < limit + 200_000  # the sources and the judge's reports
    growing, late, here, *pictures = nb.cells[-6:]
    assert all(o.data["text/plain"] == "'small'" for o in growing.outputs)
    assert late.outputs == []  # an update from a later cell reaches nothing
    assert all(o.data.get("text/plain") == "'small'" for o in here.outputs[:8])
    assert "2,000,000 characters dropped by the grader" in here.outputs[-1].text
    assert "image/png" in pictures[0].outputs[0].data  # the first 1.9 MB picture fits
    for dropped in pictures[1:]:
        assert dropped.outputs[-1].text.startswith("\n... output over 3,000,000 characters in")
    assert scores(nb) == {"test_one_hot": 5.0, "test_from_one_hot": 2.0}
