"""Which student ids the course takes in.

A student id comes from outside: a folder name under ``submitted/``, a name
in nbgrader's exchange, a roster's ``student_id`` column. nbgrader puts it
into file paths, SQL rows, shell-less commands and, in the formgrader's
student pages, into a script without escaping it. So the course takes in
only ids of one safe shape, :data:`SAFE_ID`: a letter or digit, then up to
63 letters, digits, dots, underscores or hyphens (ASCII). Anything else is
set aside with a line saying why, never graded, exported or shown.
"""

from __future__ import annotations

import re

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
RULE = "a letter or digit, then up to 63 letters, digits, '.', '_' or '-'"


def is_safe_student_id(student: str) -> bool:
    """Whether ``student`` has the one shape of student id the course takes in."""
    return SAFE_ID.fullmatch(student) is not None


def refusal(student: str, where: str) -> str:
    """The line that says why a student id found ``where`` is set aside."""
    return f"{where}: student id {student!r} set aside: a student id is {RULE}; rename it"
