"""The facts of 06_binary_crossentropy: what the grader knows of it without opening its notebook."""

from __future__ import annotations

from autograder.assignments import CPU_BUDGET, Assignment

ASSIGNMENT = Assignment(
    id="06_binary_crossentropy",
    topic="both crossentropies in NumPy, softmax vs sigmoid heads, hold-out accuracy",
    points=15,
    student_names=(
        "categorical_crossentropy",
        "binary_crossentropy",
        "to_binary_labels",
        "build_categorical_model",
        "build_binary_model",
        "predict_labels",
        "binary_model",
        "binary_history",
    ),
    data=("petimages",),
    training_cells=("train_categorical", "train_binary"),
    accuracy_cells=("binary_accuracy",),
    cpu_budget=CPU_BUDGET,
)
