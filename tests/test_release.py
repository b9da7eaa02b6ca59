"""Is what students receive exactly what nbgrader generates from the solutions, and nothing else?

``assignments/`` is generated (``cnn-grader generate``), committed, and
handed to students as it is: it must never drift from ``solutions/``, and
nothing the demo, grading or the tests do may leave a file in it (or in
``solutions/``), such as the bytecode of an imported ``course_data.py``.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

from autograder.assignments import IDS, REPO_ROOT, release_path
from autograder.course.directory import Course

CLEAN = "git clean -fdX assignments solutions"


def ignored_by_the_course() -> list[str]:
    """The course's CourseDirectory.ignore patterns, as nbgrader loads nbgrader_config.py."""
    loader = PyFileConfigLoader("nbgrader_config.py", path=str(REPO_ROOT))
    return list(loader.load_config().CourseDirectory.ignore)


def is_ignored(path: Path, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(part, pattern) for part in path.parts for pattern in patterns)


def released_files(folder: Path, patterns: list[str]) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not is_ignored(path.relative_to(folder), patterns)
    }


def test_nothing_but_the_release_is_in_the_released_or_instructor_folders():
    """Caches and data written by running something there (never drift: see below)."""
    patterns = ignored_by_the_course()
    stray = [
        str(path.relative_to(REPO_ROOT))
        for top in ("assignments", "solutions")
        for path in sorted((REPO_ROOT / top).rglob("*"))
        if is_ignored(path.relative_to(REPO_ROOT / top), patterns)
    ]
    assert stray == [], f"files that nbgrader would not release sit here: {stray}; run {CLEAN}"


def test_committed_student_versions_match_what_nbgrader_generates(tmp_path):
    """assignments/ must never drift from solutions/: run `cnn-grader generate` after edits."""
    patterns = ignored_by_the_course()
    course = Course.create(tmp_path / "course")
    for assignment in IDS:
        generated = released_files(course.generate(assignment).parent, patterns)
        committed = released_files(release_path(assignment).parent, patterns)
        assert sorted(generated) == sorted(committed), f"run `cnn-grader generate {assignment}`"
        for name, data in generated.items():
            same = data == committed[name]
            assert same, f"{assignment}/{name}: run `cnn-grader generate {assignment}`"
