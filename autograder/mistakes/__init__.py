"""A catalogue of realistic wrong submissions, and the checks each one must fail.

Each assignment's mistakes are in its folder, ``autograder/assignments/a<id>/mistakes.py``
(``MISTAKES``); the catalogue gathers every folder's.

Every hidden check is proven both ways: the reference passes it, and at
least one mistake here fails it. ``fails`` names the hidden checks a mistake
must fail, exactly; ``self_check_fails`` names the test cells whose visible
self-check it fails in the notebook as a student runs it (exactly, for the
cells judged without training; an accuracy cell's, which prints what a
trained model scores, where the model never trained). Such a cell still
scores the points of its checks that pass: a failing self-check costs its
hidden twin's points (a check marked ``self_check``), which the mistake
fails too. The tests hold every entry to all three.

A mistake that still trains a model (a sigmoid output layer, say) names no
accuracy tier: what its model reaches is not part of the mistake. One that
must lose tiers (a model never trained) names them, and is graded through
real nbgrader, with real training (``tests/conftest.py``).
"""

from __future__ import annotations

import importlib

from autograder import assignments
from autograder.mistakes.base import Mistake


def _catalogue() -> list[Mistake]:
    """The ``MISTAKES`` of every assignment folder's ``mistakes.py``, in the registry's order."""
    found: list[Mistake] = []
    for assignment in assignments.IDS:
        module = f"{assignments.__name__}.{assignments.folder_name(assignment)}.mistakes"
        found.extend(importlib.import_module(module).MISTAKES)
    return found


CATALOGUE: list[Mistake] = _catalogue()


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
