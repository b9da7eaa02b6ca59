"""How fast is a class graded: per notebook, with 1 and 2 workers, and against classic nbgrader?

Prints, measured in one run on scratch course directories:

1. seconds per notebook, by assignment: the reference of each assignment
   autograded alone by ``cnn-grader``'s ``autograde`` (``--workers 1``), the
   median of three for the NumPy assignments, one run for 04 and 06, which
   train for minutes;
2. the same NumPy notebooks graded the classic nbgrader way, the checks in
   the student's kernel with no sandbox (``SandboxedExecute.sandbox = False``,
   nbgrader's own ``Execute``): seconds, and the safe-to-classic ratio;
3. a class of ``--students`` students (default 100) of the four NumPy
   assignments (01, 02, 03, 05), graded with ``--workers 1``, then again with
   ``--workers 2``: seconds, their ratio, and whether every test cell's grade
   is identical. The students are the reference, the stub and the catalogued
   mistakes of each assignment, in turn.

    export CNN_COURSE_DATA=../shared/datasets   # 04, 05 and 06 need their data
    python benchmarks/grading.py                # about an hour on 2 cores
    python benchmarks/grading.py --students 10 --no-training   # a quick look
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from pathlib import Path

from autograder import mistakes
from autograder.assignments import IDS, REGISTRY
from autograder.course import samples
from autograder.course.directory import Course
from autograder.course.grading import autograde

NUMPY_ASSIGNMENTS = tuple(a for a in IDS if not REGISTRY[a].trains_models)
CLASSIC = "\nc.SandboxedExecute.sandbox = False\n"  # nbgrader's Execute; checks in the kernel


def timed_autograde(course: Course, assignments: tuple[str, ...], workers: int) -> float:
    started = time.monotonic()
    outcomes = autograde(course, assignments, workers=workers, out=lambda line: None)
    assert all(o.ok for o in outcomes), [o for o in outcomes if not o.ok]
    return time.monotonic() - started


def per_notebook(root: Path, assignments: tuple[str, ...], runs: int, config: str = "") -> dict:
    """Median seconds of one reference notebook of each assignment, graded alone."""
    course = Course.create(root, assignments)
    with (course.root / "nbgrader_config.py").open("a") as handle:
        handle.write(config)
    seconds = {}
    for number, assignment in enumerate(assignments):
        course.generate(assignment)
        course.submit("reference", assignment, samples.submission(assignment))
        runs_of = 1 if REGISTRY[assignment].trains_models else runs
        if number == 0:  # start this process's forkserver, as the first of a class does
            timed_autograde(course, (assignment,), workers=1)
        times = [timed_autograde(course, (assignment,), 1) for _ in range(runs_of)]
        seconds[assignment] = statistics.median(times)
    return seconds


def numpy_class(root: Path, students: int) -> tuple[float, float, bool]:
    """Seconds with 1 and 2 workers for a class of the NumPy assignments; identical grades?"""
    course = Course.create(root, NUMPY_ASSIGNMENTS)
    for assignment in NUMPY_ASSIGNMENTS:
        course.generate(assignment)
        kinds = [
            samples.submission(assignment),
            samples.stub(assignment),
            *(
                samples.submission(assignment, m.answers)
                for m in mistakes.for_assignment(assignment)
            ),
        ]
        for number, nb in zip(range(students), itertools.cycle(kinds)):
            course.submit(f"student-{number:03d}", assignment, nb)
    one = timed_autograde(course, NUMPY_ASSIGNMENTS, workers=1)
    grades = {a: course.cell_scores(a) for a in NUMPY_ASSIGNMENTS}
    two = timed_autograde(course, NUMPY_ASSIGNMENTS, workers=2)
    same = grades == {a: course.cell_scores(a) for a in NUMPY_ASSIGNMENTS}
    return one, two, same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--no-training", action="store_true", help="skip 04 and 06")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        chosen = NUMPY_ASSIGNMENTS if args.no_training else IDS
        classic = per_notebook(root / "classic", NUMPY_ASSIGNMENTS, runs=3, config=CLASSIC)
        safe = per_notebook(root / "safe", chosen, runs=3)
        print("seconds per notebook (reference, graded alone, 1 worker):")
        print(f"  {'assignment':<26}{'safe':>8}{'classic':>9}{'ratio':>7}")
        for assignment, seconds in safe.items():
            if assignment in classic:
                ratio = seconds / classic[assignment]
                print(f"  {assignment:<26}{seconds:>8.1f}{classic[assignment]:>9.1f}{ratio:>7.2f}")
            else:
                print(f"  {assignment:<26}{seconds:>8.1f}{'':>9}{'':>7}")
        print(flush=True)
        one, two, same = numpy_class(root / "class", args.students)
    notebooks = args.students * len(NUMPY_ASSIGNMENTS)
    print(f"class of {args.students} students x {len(NUMPY_ASSIGNMENTS)} NumPy assignments:")
    print(f"  --workers 1: {one:.0f} s ({one / notebooks:.1f} s a notebook)")
    print(f"  --workers 2: {two:.0f} s ({two / notebooks:.1f} s a notebook)")
    print(f"  workers 2 / workers 1: {two / one:.2f}; identical grades: {same}")


if __name__ == "__main__":
    main()
