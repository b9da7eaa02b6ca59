"""Hidden checks, grading runner and command line of the CNN course.

Students never receive this package: their notebooks call :func:`grade` only
inside nbgrader's hidden test regions, which run on the instructor's machine.
Under nbgrader the kernel sees only :func:`grade` and the modules it serves
the judge with (``kernel_side``, ``wire``, ``probes``); the checks run in
the judge (:mod:`autograder.judge`).
"""

from __future__ import annotations

from typing import Any


def grade(assignment: str, cell: str, namespace: dict[str, Any]) -> float | None:
    """Grade one test cell: serve the judge when there is one, else judge here."""
    from autograder import kernel_side

    if kernel_side.judged_outside():
        return kernel_side.serve(assignment, cell, namespace)
    from autograder.runner import grade as grade_here

    return grade_here(assignment, cell, namespace)


__all__ = ["grade"]
