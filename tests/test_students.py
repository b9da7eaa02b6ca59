"""Which student ids the course takes in: one safe shape, wherever an id comes from.

nbgrader's formgrader writes a student id into a script unescaped, and ids come
from folder names under ``submitted/`` and from the exchange; an id of any
other shape is set aside with a line saying so, never graded.
"""

from __future__ import annotations

import pytest

from autograder.course.directory import Course
from autograder.course.students import is_safe_student_id

SAFE = ["ana", "Ben2", "s2024001", "kim.minjun", "lee_seo-yeon", "0", "a" * 64]
UNSAFE = [
    "",
    "<script>alert(1)</script>",
    "ana bell",
    "'); fetch('//x",
    ".hidden",
    "-rf",
    "_leading",
    "a" * 65,
    "김민준",
    "ana\n",
    "x/y",
    "ana\u200b",
]


@pytest.mark.parametrize("student", SAFE)
def test_ordinary_student_ids_are_taken(student):
    assert is_safe_student_id(student)


@pytest.mark.parametrize("student", UNSAFE)
def test_ids_of_any_other_shape_are_refused(student):
    assert not is_safe_student_id(student)


def test_submitted_folders_with_unsafe_names_are_set_aside_not_graded(tmp_path):
    course = Course(tmp_path)
    for student in ["ana", "<img src=x onerror=alert(1)>", "ben", "ana bell"]:
        course.submit(student, "03_one_hot", None)
    assert course.submitted_students("03_one_hot") == ["ana", "ben"]
    assert course.refused_students("03_one_hot") == ["<img src=x onerror=alert(1)>", "ana bell"]
