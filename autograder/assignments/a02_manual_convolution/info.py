"""The facts of 02_manual_convolution: what the grader knows of it without opening its notebook."""

from __future__ import annotations

from autograder.assignments import Assignment

ASSIGNMENT = Assignment(
    id="02_manual_convolution",
    topic="zero_pad, conv2d (cross-correlation) and max_pool2d in NumPy",
    points=14,
    student_names=("zero_pad", "conv2d", "max_pool2d"),
)
