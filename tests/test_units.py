"""The nbgrader-facing pure code on in-memory notebooks, as nbgrader tests its preprocessors.

No kernel, no sandbox, no nbgrader run: each function gets a notebook or a
cell built here and is checked on what it returns or changes.
"""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import sys

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from nbgrader.utils import determine_grade

from autograder import assignments as registry
from autograder import notebooks
from autograder.assignments import release_path, solution_path
from autograder.course.grading import longest_first
from autograder.course.intake import MAX_CELLS, notebook_from_bytes, repair_cells
from autograder.sandbox.execute import (
    PRINTED_KEPT,
    TRACEBACK_FRAMES,
    SandboxedExecute,
    apply_verdict,
    self_check_outcome,
    split_test_cell,
    student_traceback,
)
from autograder.sandbox.outputs import OUTPUT_OVERHEAD, LimitOutputSize, OutputBudget, output_size
from autograder.verdicts import METADATA_KEY, CellVerdict, CheckOutcome

VERDICT = CellVerdict(
    token=1,
    assignment="03_one_hot",
    cell="one_hot",
    complete=True,
    earned=4.0,
    report="[one_hot] 4 / 5",
    checks=(CheckOutcome("test_shape", "shape", 1.0, 1.0, True),),
)


def _test_cell(*outputs: NotebookNode) -> NotebookNode:
    cell = new_code_cell("grade(...)")
    cell.outputs = list(outputs)
    return cell


def _printed(text: str) -> NotebookNode:
    return new_output("stream", name="stdout", text=text)


def test_a_complete_verdict_replaces_the_kernels_result_and_error():
    forged = new_output("execute_result", data={"text/plain": "5.0"}, execution_count=1)
    cell = _test_cell(forged, new_output("error", ename="E", evalue="", traceback=[]))
    apply_verdict(cell, VERDICT)
    kinds = [o.output_type for o in cell.outputs]
    assert kinds == ["display_data", "execute_result"]
    assert cell.outputs[-1].data["text/plain"] == "4.0"
    assert "[one_hot] 4 / 5" in cell.outputs[0].data["text/html"]
    assert cell.metadata[METADATA_KEY]["earned"] == 4.0
    assert cell.metadata[METADATA_KEY]["report"] == "[one_hot] 4 / 5"  # the page rebuilds it
    assert cell.outputs[0].metadata == {}  # nothing recognises the report by a tag


def test_printing_during_the_judging_is_dropped_and_before_it_is_cut():
    before = _printed("".join(f"line {i}\n" for i in range(PRINTED_KEPT + 10)))
    during = _printed("hidden case: [[1, 2], [3, 4]]\n")
    cell = _test_cell(before, during)
    arrived = {id(before): 1.0, id(during): 3.0}
    apply_verdict(cell, dataclasses.replace(VERDICT, accepted_at=2.0), arrived)
    text = cell.outputs[0].text
    assert "hidden case" not in json.dumps(cell.outputs)
    assert text.count("\n") == PRINTED_KEPT + 1 and "(10 more lines)" in text


def test_without_a_verdict_the_cell_scores_zero_with_the_judges_reason():
    cell = _test_cell(new_output("execute_result", data={"text/plain": "5.0"}, execution_count=1))
    lost = CellVerdict(1, "03_one_hot", "one_hot", False, error="the reply was not valid JSON")
    apply_verdict(cell, lost)
    assert cell.outputs[-1].output_type == "error"
    assert "the reply was not valid JSON" in cell.outputs[-1].evalue
    assert METADATA_KEY not in cell.metadata
    apply_verdict(lonely := _test_cell(), None)
    assert lonely.outputs[-1].ename == "ChecksDidNotRun"


# An error output as a kernel sends it: IPython's coloured frames, a library's among them.
SELF_CHECK_ERROR = new_output(
    "error",
    ename="AssertionError",
    evalue="스스로 확인 실패 / self-check failed\n  expected 기대: (4, 4)\n  hint     힌트: pad",
    traceback=[
        "\x1b[31m---------------------------------------------------------\x1b[39m",
        "Cell In[7], line 3\n      1 padded = zero_pad(x, 1)\n----> 3 assert padded.shape",
        "Cell In[4], line 2, in zero_pad(image, pad)\n----> 2 return np.pad(image, pad)",
        "File \x1b[32m/venv/site-packages/numpy/lib/_arraypad_impl.py:797\x1b[39m, in pad()",
        "\x1b[31mAssertionError\x1b[39m: 스스로 확인 실패 / self-check failed",
    ],
)


def test_a_test_cell_splits_at_the_hidden_region_nbgrader_restored():
    visible, hidden = split_test_cell("assert f() == 1\n### BEGIN HIDDEN TESTS\ngrade(...)\n")
    assert visible == "assert f() == 1\n" and hidden.startswith("### BEGIN HIDDEN TESTS")
    assert split_test_cell("print('no hidden region')") is None


def test_a_failed_self_check_becomes_text_cut_to_the_students_frames():
    printed = _printed("before the failure\n")
    kept, failed = self_check_outcome([printed, SELF_CHECK_ERROR])
    assert kept == [printed] and failed is not None and failed.name == "stdout"
    text = failed.text
    assert text.startswith("✗ 스스로 확인 실패 / self-check failed") and "still ran" in text
    assert "Cell In[7], line 3" in text and "Cell In[4], line 2, in zero_pad" in text
    assert "numpy" not in text and "\x1b" not in text and "-----" not in text
    assert "AssertionError: 스스로 확인 실패 / self-check failed\n  expected 기대: (4, 4)" in text
    assert self_check_outcome([printed]) == ([printed], None)


def test_a_self_checks_failure_stays_above_the_report_and_scores_nothing_itself():
    _, failed = self_check_outcome([SELF_CHECK_ERROR])
    cell = _test_cell(_printed("printed first\n"))
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "points": 5}
    apply_verdict(cell, VERDICT, None, failed)
    assert [o.output_type for o in cell.outputs] == [
        "stream",
        "stream",
        "display_data",
        "execute_result",
    ]
    assert cell.outputs[1] is failed and determine_grade(cell)[0] == 4.0
    lost = _test_cell(new_output("error", ename="KernelDied", evalue="", traceback=[]))
    apply_verdict(lost, None, None, failed)
    assert [o.output_type for o in lost.outputs] == ["stream", "error"]


def test_a_kernels_traceback_of_any_shape_is_cut_to_bounds():
    frames = ["Cell In[1], line 1\n" + "x" * 1000 + "\n" * 50] * 100 + [None, 5, {"a": 1}]
    cut = student_traceback(frames)
    assert len(cut) == TRACEBACK_FRAMES and all(len(f) <= 20 * 201 for f in cut)
    assert student_traceback("not a list") == [] and student_traceback(None) == []


def _answered(output_ended: bool, execute: SandboxedExecute) -> NotebookNode:
    """A cell the kernel answered, its output ended in the wait for it or not."""
    cell = new_code_cell("x = 1")
    execute._output_ended = output_ended
    execute._after_cell(cell, 3)
    return cell


def test_output_still_coming_after_the_wait_is_not_kept_and_the_next_cells_wait_briefly():
    execute = SandboxedExecute(iopub_timeout=5)  # a flood, or a closed output channel
    lagged = _answered(output_ended=False, execute=execute)
    assert execute.kernel_gone is None  # the cell is done: the verdict needs no output
    assert "output still coming 5 s after the cell ended was not kept" in lagged.outputs[-1].text
    assert execute._lagging
    assert _answered(output_ended=True, execute=execute).outputs == []
    assert not execute._lagging  # in time again: the next cell waits in full


def test_limit_output_size_cuts_each_kind_of_text_output():
    huge = "x" * 500
    cell = _test_cell(
        _printed(huge),
        new_output("error", ename="E", evalue=huge, traceback=[huge, "short"]),
        new_output("display_data", data={"text/plain": huge}),
    )
    limit = LimitOutputSize(max_characters=100)
    limit.preprocess_cell(cell, {}, 0)
    stream, error, display = cell.outputs
    assert stream.text.startswith("x" * 100) and "500 characters" in stream.text
    assert len(error.evalue) < 200 and error.traceback[1] == "short"
    assert len(display.data["text/plain"]) < 200
    markdown = new_markdown_cell(huge)
    assert LimitOutputSize(max_characters=100).preprocess_cell(markdown, {}, 0)[0].source == huge


def test_output_size_counts_every_mimetype_and_the_metadata():
    small = {"data": {"text/plain": "x"}, "metadata": {}}
    picture = {"data": {"text/plain": "x", "image/png": "A" * 1000}, "metadata": {}}
    tagged = {"data": {"text/plain": "x"}, "metadata": {"note": "B" * 1000}}
    assert output_size(small) < 100 + OUTPUT_OVERHEAD
    assert output_size(picture) > 1000 and output_size(tagged) > 1000
    assert output_size({"text": "한" * 100}) >= len(("한" * 100).encode())  # never under its bytes


def test_the_output_budget_holds_per_cell_and_for_the_whole_notebook():
    budget = OutputBudget.start(cell_limit=100, notebook_limit=250)
    assert budget.take(101) is None and budget.limit_reached() == "100 characters"
    left = budget.take(80)
    assert left is not None and left.take(30) is None  # the cell's 100
    for _ in range(2):  # the next cells get their own 100, the notebook what it has left
        left = left.next_cell().take(80)
        assert left is not None
    assert left.notebook == 10 and left.next_cell().take(20) is None
    assert left.next_cell().limit_reached() == "250 characters in the notebook"


def test_an_error_nbgrader_adds_from_the_reply_is_cut_to_the_limit():
    """nbgrader appends the reply's error when no output showed it: the kernel writes it."""
    execute = SandboxedExecute()
    execute._budget_left = OutputBudget.start(1000, 1000)  # as preprocess sets it
    cell = new_code_cell("raise")
    reply = {
        "content": {"status": "error", "ename": "E" * 500, "evalue": "v" * 5000,
                    "traceback": ["line " * 1000] * 100}
    }  # fmt: skip
    execute.on_cell_executed(cell=cell, cell_index=0, execute_reply=reply)
    (error,) = cell.outputs
    assert error.output_type == "error"  # the cell still scores zero
    assert len(json.dumps(error)) < 5000 and "over the grader's output limit" in error.evalue


def _reference(assignment: str = "03_one_hot") -> NotebookNode:
    return notebooks.read(solution_path(assignment))


def test_repair_puts_back_a_deleted_test_cell_where_it_was():
    release = _reference()
    nb = _reference()
    nb.cells = [c for c in nb.cells if notebooks.grade_id_of(c) != "test_one_hot"]
    assert repair_cells(nb, release) == ["`test_one_hot` was missing and was put back"]
    ids = [notebooks.grade_id_of(c) for c in nb.cells if notebooks.grade_id_of(c)]
    assert ids.index("test_one_hot") == ids.index("one_hot") + 1


def test_repair_makes_foreign_twice_and_malformed_cells_ordinary():
    release = _reference()
    nb = _reference()
    nb.cells[0].metadata["nbgrader"] = "not a mapping"
    copy = nbformat.from_dict(json.loads(json.dumps(nb.cells[-1])))
    nb.cells.append(copy)  # a grade id twice
    foreign = new_code_cell("x = 1")
    foreign.metadata["nbgrader"] = {"grade_id": "../../etc/passwd", "solution": True}
    nb.cells.append(foreign)
    repairs = repair_cells(nb, release)
    assert len(repairs) == 2 + (notebooks.grade_id_of(copy) is not None)
    assert "nbgrader" not in nb.cells[0].metadata and "nbgrader" not in foreign.metadata


def test_a_cell_marked_for_nbgrader_without_an_id_is_ordinary_and_nbgrader_reads_it():
    # nbgrader's own sanitizing steps stop on such a cell and the submission is dropped.
    from nbgrader.preprocessors import CheckCellMetadata, DeduplicateIds

    release = notebooks.read(release_path("03_one_hot"))
    nb = _reference()
    odd = [{"locked": True}, {"grade_id": "", "locked": True}, {"solution": True}]
    for meta in odd:
        cell = new_code_cell("helper = 1")
        cell.metadata["nbgrader"] = meta
        nb.cells.insert(3, cell)
    answer = next(c for c in nb.cells if notebooks.grade_id_of(c) == "one_hot")
    answer.metadata["nbgrader"] = {"grade_id": "one_hot", "locked": True}  # a known cell, half
    repairs = repair_cells(nb, release)
    assert sum("ordinary cell" in repair for repair in repairs) == len(odd)
    released = next(c for c in release.cells if notebooks.grade_id_of(c) == "one_hot")
    assert answer.metadata["nbgrader"] == released.metadata["nbgrader"]  # the instructor's
    for step in (DeduplicateIds(), CheckCellMetadata()):
        nb, _ = step.preprocess(nb, {})
    assert sum(notebooks.grade_id_of(c) == "one_hot" for c in nb.cells) == 1


def _as_bytes(nb: NotebookNode) -> bytes:
    return json.dumps(nb).encode()


def test_notebook_from_bytes_reads_a_notebook_and_says_why_not_for_others():
    assert notebook_from_bytes(_as_bytes(_reference()))[0] is not None
    for data, why in [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not valid JSON"),
        (b"[" * 100_000, "not valid JSON"),
        (b'{"cells": 3}', "not a Jupyter notebook"),
        (_as_bytes(new_notebook(cells=[new_code_cell("") for _ in range(MAX_CELLS + 1)])), "cells"),
    ]:
        nb, problem = notebook_from_bytes(data)
        assert nb is None and why in problem


def test_an_invalid_tag_costs_the_tag_not_the_answers():
    nb = _reference()
    answer = next(c for c in nb.cells if notebooks.grade_id_of(c) == "one_hot")
    answer.metadata["tags"] = ["a, b"]  # nbformat allows no comma in a tag
    read, remark = notebook_from_bytes(_as_bytes(nb))
    assert read is not None and "dropped" in remark
    kept = next(c for c in read.cells if notebooks.grade_id_of(c) == "one_hot")
    assert "tags" not in kept.metadata and kept.source == answer.source


def test_a_cell_added_by_a_newer_jupyter_is_kept():
    nb = _reference()  # nbformat 4.4: cells have no ids
    added = new_code_cell("helper = 1")  # nbformat 4.5's new cell has one
    nb.cells.insert(2, added)
    read, remark = notebook_from_bytes(_as_bytes(nb))
    assert read is not None and remark is None and read.nbformat_minor == 5
    assert read.cells[2].source == "helper = 1" and all("id" in c for c in read.cells)


def test_nbformat_3_is_converted_with_a_remark():
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1", "outputs": []}]}],
    }
    nb, remark = notebook_from_bytes(json.dumps(v3).encode())
    assert nb is not None and nb.cells[0].source == "x = 1" and "nbformat 3" in remark


def test_ctrl_c_reaches_a_kernel_started_with_sigint_ignored():
    """A background job's children inherit SIGINT ignored; 05's real Ctrl-C must still land."""
    code = (
        "import os, signal\n"
        "from autograder.kernel.serve import ctrl_c_raises_keyboard_interrupt\n"
        "assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN\n"
        "ctrl_c_raises_keyboard_interrupt()\n"
        "try:\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    for _ in range(10**7): pass\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted')\n"
    )
    ignored = lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)  # noqa: E731
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, preexec_fn=ignored, timeout=60
    )
    assert result.stdout.strip() == "interrupted", result.stderr


def test_notebooks_that_train_models_are_graded_first():
    trains = {a: registry.get(a).trains_models for a in registry.IDS}
    assert {longest_first(a) for a in registry.IDS if trains[a]} == {1}
    assert {longest_first(a) for a in registry.IDS if not trains[a]} == {0}
