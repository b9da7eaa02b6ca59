"""The facts of 01_output_size: what the grader knows of it without opening its notebook."""

from __future__ import annotations

from autograder.assignments import Assignment

ASSIGNMENT = Assignment(
    id="01_output_size",
    topic="conv/pool output size (W - F + 2P) / S + 1, parameter counts",
    points=12,
    student_names=("conv_output_size", "same_padding", "pool_output_size", "conv_param_count"),
)
