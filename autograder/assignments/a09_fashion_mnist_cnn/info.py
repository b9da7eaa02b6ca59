"""The facts of 09_fashion_mnist_cnn: what the grader knows of it without opening its notebook."""

from __future__ import annotations

from autograder.assignments import CPU_BUDGET, Assignment

# Fashion-MNIST's four files (course_data.MANIFEST): the kernel reads the training pair.
FASHION_MNIST = (
    "fashion_mnist_train_images",
    "fashion_mnist_train_labels",
    "fashion_mnist_test_images",
    "fashion_mnist_test_labels",
)

ASSIGNMENT = Assignment(
    id="09_fashion_mnist_cnn",
    topic="the CNN slides' exercise: Fashion-MNIST's 10 clothing classes, a CNN, "
    "test-accuracy tiers",
    points=11,
    student_names=(
        "LABEL_NAMES",
        "label_names",
        "preprocess",
        "encode_labels",
        "build_cnn",
        "model",
        "history",
    ),
    data=FASHION_MNIST,
    training_cells=("train_cnn",),
    accuracy_cells=("fashion_accuracy",),
    cpu_budget=CPU_BUDGET,
)
