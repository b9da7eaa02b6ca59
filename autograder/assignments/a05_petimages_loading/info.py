"""The facts of 05_petimages_loading: what the grader knows of it without opening its notebook."""

from __future__ import annotations

from autograder.assignments import Assignment

ASSIGNMENT = Assignment(
    id="05_petimages_loading",
    topic="PetImages with OpenCV (grayscale, resize) that survives damaged files",
    points=12,
    student_names=("load_pet_images", "summarize"),
    data=("petimages",),
)
