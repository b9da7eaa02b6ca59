"""How fast does a class get graded, one notebook at a time and with parallel workers?

Prints two figures, measured in one run on scratch course directories:

1. the whole reference submission (all six notebooks, one student) autograded
   with ``cnn-grader``'s ``autograde`` one notebook after another: seconds;
2. 12 submissions of the three NumPy assignments (four students each of
   01, 02, 03: the reference, the stub and two catalogued mistakes) graded
   with ``--workers 1``, then again with ``--workers 2``: seconds, their
   ratio, and whether the two gave identical grades.

    export CNN_COURSE_DATA=../shared/datasets   # 04 and 06 need their data
    python benchmarks/grading.py                # about 6 minutes on 2 cores
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from autograder import mistakes
from autograder.assignments import IDS
from autograder.course import samples
from autograder.course.directory import Course
from autograder.course.grading import autograde

NUMPY_ASSIGNMENTS = ("01_output_size", "02_manual_convolution", "03_one_hot")


def timed_autograde(course: Course, assignments: tuple[str, ...], workers: int) -> float:
    started = time.monotonic()
    outcomes = autograde(course, assignments, workers=workers, out=lambda line: None)
    assert all(o.ok for o in outcomes), [o for o in outcomes if not o.ok]
    return time.monotonic() - started


def whole_reference(scratch: Path) -> float:
    """Seconds to autograde the six reference notebooks of one student."""
    course = Course.create(scratch / "reference", IDS)
    for assignment in IDS:
        course.generate(assignment)
        course.submit("reference", assignment, samples.submission(assignment))
    return timed_autograde(course, IDS, workers=1)


def numpy_class(scratch: Path) -> tuple[float, float, bool]:
    """Seconds with 1 and 2 workers for 12 NumPy submissions, and whether the grades agree."""
    course = Course.create(scratch / "class", NUMPY_ASSIGNMENTS)
    for assignment in NUMPY_ASSIGNMENTS:
        course.generate(assignment)
        course.submit("reference", assignment, samples.submission(assignment))
        course.submit("stub", assignment, samples.stub(assignment))
        for i, mistake in enumerate(mistakes.for_assignment(assignment)[:2]):
            course.submit(
                f"student-{i}", assignment, samples.submission(assignment, mistake.answers)
            )
    one = timed_autograde(course, NUMPY_ASSIGNMENTS, workers=1)
    grades = {a: course.cell_scores(a) for a in NUMPY_ASSIGNMENTS}
    two = timed_autograde(course, NUMPY_ASSIGNMENTS, workers=2)
    same = grades == {a: course.cell_scores(a) for a in NUMPY_ASSIGNMENTS}
    return one, two, same


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        reference = whole_reference(Path(scratch))
        print(f"whole reference submission, 6 notebooks, 1 worker: {reference:.0f} s")
        one, two, same = numpy_class(Path(scratch))
    print(f"12 NumPy submissions, --workers 1: {one:.0f} s")
    print(f"12 NumPy submissions, --workers 2: {two:.0f} s")
    print(f"workers 2 / workers 1: {two / one:.2f}; identical grades: {same}")


if __name__ == "__main__":
    main()
