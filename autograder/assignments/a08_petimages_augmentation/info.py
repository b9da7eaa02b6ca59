"""The facts of 08_petimages_augmentation: what the grader knows of it without opening its notebook."""

from __future__ import annotations

from autograder.assignments import Assignment

# The budget: the reference spends 36-42 CPU seconds in its two trainings, 39-47 up to
# its accuracy cell (benchmarks/augmentation.md): room for more epochs; one epoch of the
# lecture's model as written spends 75.

ASSIGNMENT = Assignment(
    id="08_petimages_augmentation",
    topic="data augmentation and dropout on PetImages, judged by behaviour; hold-out accuracy",
    points=13,
    student_names=(
        "build_augmentation",
        "build_model",
        "plain_model",
        "plain_history",
        "model",
        "history",
    ),
    data=("petimages",),
    training_cells=("train_plain", "train_augmented"),
    accuracy_cells=("accuracy",),
    cpu_budget=120,
)
