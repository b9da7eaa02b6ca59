"""A catalogue of realistic wrong submissions, and the checks each one must fail.

Every hidden check is proven both ways: the reference passes it, and at
least one mistake here fails it. ``fails`` names the hidden checks a mistake
must fail, exactly; ``zeroes`` names the test cells whose visible self-check
it already fails, which nbgrader scores zero as a whole (an error in a test
cell is zero, by nbgrader's rule). The tests hold every entry to both.

A mistake that still trains a model (a sigmoid output layer, say) names no
accuracy tier: what its model reaches is not part of the mistake. One that
must lose tiers (a model never trained) names them, and is graded through
real nbgrader, with real training (``tests/conftest.py``).
"""

from __future__ import annotations

from autograder.mistakes import (
    a01_output_size,
    a02_manual_convolution,
    a03_one_hot,
    a04_mnist_cnn,
    a05_petimages_loading,
    a06_binary_crossentropy,
    a07_digits_cnn,
    a08_petimages_augmentation,
    a09_fashion_mnist_cnn,
)
from autograder.mistakes.base import Mistake

CATALOGUE: list[Mistake] = [
    *a01_output_size.MISTAKES,
    *a02_manual_convolution.MISTAKES,
    *a03_one_hot.MISTAKES,
    *a04_mnist_cnn.MISTAKES,
    *a05_petimages_loading.MISTAKES,
    *a06_binary_crossentropy.MISTAKES,
    *a07_digits_cnn.MISTAKES,
    *a08_petimages_augmentation.MISTAKES,
    *a09_fashion_mnist_cnn.MISTAKES,
]


def for_assignment(assignment: str) -> list[Mistake]:
    """The catalogue's mistakes in one assignment."""
    return [m for m in CATALOGUE if m.assignment == assignment]


def typical_answers(assignment: str) -> dict[str, str]:
    """The demo's "typical mistakes" student: the ``demo`` mistakes of an assignment, merged."""
    answers: dict[str, str] = {}
    for mistake in for_assignment(assignment):
        if mistake.demo:
            answers.update(mistake.answers)
    return answers
