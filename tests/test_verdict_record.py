"""The verdict record refuses what is not a whole verdict: the results file is the judge's,
but a line cut short or a value of the wrong type must cost a cell, never crash a grading."""

from __future__ import annotations

import dataclasses
import json

import pytest

from autograder.verdicts import METADATA_KEY, CellVerdict, CheckOutcome, StoredVerdict

WHOLE = CellVerdict(
    token=3,
    assignment="03_one_hot",
    cell="one_hot",
    complete=True,
    earned=4.0,
    report="[one_hot] 4 / 5",
    checks=(CheckOutcome("test_shape", "shape", 1.0, 1.0, True),),
    seed=7,
    accepted_at=1.5,
)


def test_a_verdict_reads_back_as_it_was_written():
    assert CellVerdict.from_json(WHOLE.to_json()) == WHOLE


def test_the_stored_part_reads_back_from_a_cells_metadata():
    cell = {"metadata": {METADATA_KEY: WHOLE.stored().to_metadata()}}
    assert StoredVerdict.of_cell(cell) == WHOLE.stored()
    assert StoredVerdict.of_cell({"metadata": {}}) is None


@pytest.mark.parametrize(
    "change",
    [
        {"token": "3"},
        {"complete": 1},
        {"earned": True},
        {"earned": "4"},
        {"report": None},
        {"checks": [{"name": "test_shape"}]},
        {"checks": "all"},
        {"figure": 12},
    ],
    ids=str,
)
def test_a_line_of_the_wrong_shape_is_no_verdict(change):
    data = json.loads(WHOLE.to_json()) | change
    assert CellVerdict.from_json(json.dumps(data)) is None


def test_a_line_cut_short_is_no_verdict():
    assert CellVerdict.from_json(WHOLE.to_json()[:40]) is None


def test_a_lost_verdict_needs_only_its_identity():
    lost = CellVerdict(3, "03_one_hot", "one_hot", False, error="the kernel hung up")
    assert CellVerdict.from_json(lost.to_json()) == lost
    assert dataclasses.replace(lost, complete=True).stored().earned == 0.0
