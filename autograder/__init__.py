"""Hidden checks, grading runner and command line of the CNN course.

Students never receive this package: their notebooks call :func:`grade` only
inside nbgrader's hidden test regions, which run on the instructor's machine.
"""

from autograder.runner import grade

__all__ = ["grade"]
