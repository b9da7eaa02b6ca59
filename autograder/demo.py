"""The grading demo: the whole instructor pipeline on sample students, in a scratch course."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from nbformat import NotebookNode

from autograder import mistakes, samples
from autograder.course import ASSIGNMENTS, Course
from autograder.grading import autograde, format_duration, summary_table
from autograder.report import write_report
from source_data import course_data

SAMPLE_STUDENTS: dict[str, Callable[[str], NotebookNode]] = {
    "reference": samples.submission,
    "untouched-stub": samples.stub,
    "typical-mistakes": lambda a: samples.submission(a, mistakes.typical_answers(a)),
}


def run_demo(
    directory: Path,
    assignments: tuple[str, ...] = ASSIGNMENTS,
    *,
    workers: int = 1,
    scheduler: str | None = None,
) -> list[dict[str, str]]:
    """Generate, submit, autograde, release feedback, export grades and write the report.

    Returns the exported grade rows.
    """
    assignments = tuple(a for a in assignments if data_is_available(a))
    course = Course.create(directory, assignments)
    print(f"course directory: {course.root}  (gradebook: {course.root / 'gradebook.db'})")
    started = time.monotonic()
    for assignment in assignments:
        course.generate(assignment)
        for student, make in SAMPLE_STUDENTS.items():
            course.submit(student, assignment, make(assignment))
    outcomes = autograde(course, assignments, workers=workers, scheduler=scheduler)
    exchange = course.root / "exchange"
    for assignment in assignments:
        course.generate_feedback(assignment)
        course.release_feedback(assignment, exchange)
    rows = course.grades()
    page, table = write_report(course, assignments, course.root / "report")
    print()
    print(score_table(rows, assignments))
    print()
    if not all(o.ok for o in outcomes):
        print(summary_table(course, outcomes))
    print(f"done in {format_duration(time.monotonic() - started)}")
    print(f"grades:   {course.root / 'grades.csv'}")
    print(f"feedback: {course.root / 'feedback'}/<student>/<assignment>/<assignment>.html")
    print(f"released: {exchange} (nbgrader's exchange, where students fetch feedback)")
    print(f"report:   {page} and {table}")
    return rows


NEEDS_DATA = {
    "04_mnist_cnn": "mnist",
    "05_petimages_loading": "petimages",
    "06_binary_crossentropy": "petimages",
}


def data_is_available(assignment: str) -> bool:
    """Whether an assignment's data set can be had; says why not, and how to fix it."""
    if assignment not in NEEDS_DATA:
        return True
    try:
        course_data.dataset_path(NEEDS_DATA[assignment])
    except (course_data.DataUnavailable, course_data.ChecksumMismatch) as error:
        print(f"skipping {assignment}: {error}")
        return False
    return True


def score_table(rows: list[dict[str, str]], assignments: tuple[str, ...]) -> str:
    """Students by assignments, each cell 'score / max', with a total column."""
    by_student: dict[str, dict[str, tuple[float, float]]] = {}
    for row in rows:
        scores = by_student.setdefault(row["student_id"], {})
        scores[row["assignment"]] = (float(row["score"]), float(row["max_score"]))
    header = ["student", *assignments, "total"]
    lines = [header]
    for student, scores in sorted(by_student.items()):
        cells = [
            f"{scores[a][0]:g} / {scores[a][1]:g}" if a in scores else "-" for a in assignments
        ]
        total = sum(s for s, _ in scores.values()), sum(m for _, m in scores.values())
        lines.append([student, *cells, f"{total[0]:g} / {total[1]:g}"])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )
