"""Hidden checks, grading runner and command line of the CNN course.

Students never receive this package: their notebooks call :func:`grade` only
inside nbgrader's hidden test regions, which run on the instructor's machine.
A submission passes through its layers, each a sub-package:

* :mod:`autograder.course`: the course directory, intake, parallel grading,
  reports and the ``cnn-grader`` command line;
* :mod:`autograder.sandbox`: the student's kernel in bubblewrap, and the
  nbgrader preprocessor that scores it from the judge;
* :mod:`autograder.judge`: the process that runs a test cell's hidden checks;
* :mod:`autograder.checks`: the hidden checks, one pytest module per assignment;
* :mod:`autograder.kernel`: all the student's kernel may import, serving the judge.

Each layer imports only the layers below it (``make check`` enforces this with
import-linter). :mod:`autograder.assignments` (the registry of assignment facts),
:mod:`autograder.notebooks` and :mod:`autograder.mistakes` stand beside them.
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
