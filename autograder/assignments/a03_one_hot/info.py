"""The facts of 03_one_hot: what the grader knows of it without opening its notebook."""

from __future__ import annotations

from autograder.assignments import Assignment

ASSIGNMENT = Assignment(
    id="03_one_hot",
    topic="one_hot as to_categorical does, and back",
    points=7,
    student_names=("one_hot", "from_one_hot"),
)
