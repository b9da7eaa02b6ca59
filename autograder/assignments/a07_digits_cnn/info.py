"""The facts of 07_digits_cnn: what the grader knows of it without opening its notebook."""

from __future__ import annotations

from autograder.assignments import Assignment

# The budget: its reference (the post's 100 epochs) spends 21-27 CPU seconds in all
# (benchmarks/digits.md); about five times that leaves room for more epochs or filters.

ASSIGNMENT = Assignment(
    id="07_digits_cnn",
    topic="the Keras digits post in today's Keras: 8x8 digits, the post's split and CNN, "
    "test-accuracy tiers",
    points=12,
    student_names=(
        "preprocess",
        "encode_labels",
        "split_digits",
        "build_model",
        "accuracy_curves",
        "model",
        "history",
    ),
    data=("digits",),
    training_cells=("train",),
    accuracy_cells=("digits_accuracy",),
    cpu_budget=120,
)
