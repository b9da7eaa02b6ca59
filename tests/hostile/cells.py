"""The notebook's own cells deleted, duplicated, moved, edited or flooded with output."""

from __future__ import annotations

from tests.hostile.base import (
    A01,
    A02,
    A03,
    Hostile,
    answered,
    delete_cells,
    duplicate_cell,
    edited,
    move_before,
    ref,
    set_metadata,
    set_source,
)

ENTRIES = [
    Hostile(
        "deleted_cells",
        A01,
        edited(delete_cells("same_padding", "test_same_padding")),
        frozenset({"test_same_padding"}),
        "was missing and was put back",
    ),
    Hostile(
        "duplicated_cells",
        A02,
        edited(duplicate_cell("test_conv2d")),
        frozenset(),
        "came twice",
    ),
    Hostile(
        "reordered_cells",
        A03,
        edited(move_before("test_one_hot", "one_hot")),
        frozenset({"test_one_hot"}),
        "NameError",
    ),
    Hostile(
        "edited_read_only_cell",
        A02,
        edited(set_source("test_zero_pad", "print('all tests passed')\n")),
        frozenset(),
        "[zero_pad] 3 / 3",  # the instructor's test cell ran, not the edited one
    ),
    Hostile(
        "changed_points",
        A01,
        edited(set_metadata("test_conv_output_size", points=100)),
        frozenset(),
        "[conv_output_size] 5 / 5",
    ),
    Hostile(
        "changed_grade_id",
        A01,
        edited(set_metadata("test_conv_param_count", grade_id="test_bonus", points=50)),
        frozenset(),
        "is not a cell of this assignment",
    ),
    Hostile(
        "enormous_output",
        A03,
        answered(one_hot=ref(A03, "one_hot") + "\nprint('x' * 50_000_000)\n"),
        frozenset(),
        "dropped by the grader",
    ),
]
