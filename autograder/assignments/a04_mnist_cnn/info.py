"""The facts of 04_mnist_cnn: what the grader knows of it without opening its notebook."""

from __future__ import annotations

from autograder.assignments import CPU_BUDGET, Assignment

ASSIGNMENT = Assignment(
    id="04_mnist_cnn",
    topic="MNIST: preprocessing, the lecture's MLP, a CNN, test-accuracy tiers",
    points=14,
    student_names=(
        "preprocess",
        "encode_labels",
        "build_mlp",
        "build_cnn",
        "mlp",
        "model",
        "mlp_history",
        "history",
    ),
    data=("mnist",),
    training_cells=("train_mlp", "train_cnn"),
    accuracy_cells=("mlp_accuracy", "cnn_accuracy"),
    cpu_budget=CPU_BUDGET,
)
