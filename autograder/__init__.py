"""Hidden checks, grading runner and command line of the CNN course.

Students never receive this package: their notebooks call :func:`grade` only
inside nbgrader's hidden test regions, which run on the instructor's machine.
A submission passes through its layers, each a sub-package:

* :mod:`autograder.course`: the course directory, intake, parallel grading,
  reports and the ``cnn-grader`` command line;
* :mod:`autograder.sandbox`: the student's kernel in bubblewrap, and the
  nbgrader preprocessor that scores it from the judge;
* :mod:`autograder.judge`: the process that runs a test cell's hidden checks;
* :mod:`autograder.checks`: what the hidden checks share (each assignment's own are
  in its folder, ``autograder/assignments/a<id>/checks.py``);
* :mod:`autograder.kernel`: all the student's kernel may import, serving the judge.

Each layer imports only the layers below it (``make check`` enforces this with
import-linter). :mod:`autograder.assignments` (the registry, and one folder per
assignment with its facts, checks and mistakes), :mod:`autograder.notebooks` and
:mod:`autograder.mistakes` (the catalogue of every folder's mistakes) stand beside them.
"""

from __future__ import annotations

from typing import Any


def grade(assignment: str, cell: str, namespace: dict[str, Any]) -> float | None:
    """Grade one test cell: serve the judge when there is one, else judge here."""
    from autograder.kernel import serve

    if serve.judged_outside():
        serve.serve(assignment, cell, namespace)
        return None  # nbgrader scores the cell from the judge's verdict
    from autograder.judge.service import grade_here

    return grade_here(assignment, cell, namespace)


__all__ = ["grade"]
