"""The grading demo: the whole instructor pipeline on sample students, in a scratch course."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nbformat import NotebookNode

from autograder import assignments as registry
from autograder import mistakes
from autograder.assignments import IDS
from autograder.course import samples
from autograder.course.directory import Course, Score
from autograder.course.grading import (
    Outcome,
    autograde,
    format_duration,
    summary_table,
    text_table,
)
from autograder.course.report import write_report
from source_data import course_data

MARKER = ".cnn-grader-demo"  # marks a folder the demo made, which it may delete and make again

SAMPLE_STUDENTS: dict[str, Callable[[str], NotebookNode]] = {
    "reference": samples.submission,
    "untouched-stub": samples.stub,
    "typical-mistakes": lambda a: samples.submission(a, mistakes.typical_answers(a)),
}


@dataclass(frozen=True)
class Demo:
    """What the demo did: every sample student's score from the gradebook, and how grading went."""

    scores: list[Score]
    outcomes: list[Outcome]

    @property
    def ok(self) -> bool:
        """Whether every notebook was graded (a low score is fine; a failed grading is not)."""
        return all(o.ok for o in self.outcomes)


def run_demo(
    directory: Path,
    assignments: tuple[str, ...] = IDS,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    plain_tcp: bool = False,
) -> Demo:
    """Generate, submit, autograde, release feedback, export grades and write the report."""
    assignments = tuple(a for a in assignments if data_is_available(a))
    course = Course.create(directory, assignments)
    (course.root / MARKER).write_text("a scratch course of cnn-grader demo, made afresh each run\n")
    print(f"course directory: {course.root}  (gradebook: {course.root / 'gradebook.db'})")
    started = time.monotonic()
    for assignment in assignments:
        course.generate(assignment)
        for student, make in SAMPLE_STUDENTS.items():
            course.submit(student, assignment, make(assignment))
    outcomes = autograde(
        course, assignments, workers=workers, scheduler=scheduler, plain_tcp=plain_tcp
    )
    exchange = course.root / "exchange"
    for assignment in assignments:
        course.generate_feedback(assignment)
        course.release_feedback(assignment, exchange)
    course.export()
    rows = course.scores(assignments)
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
    return Demo(rows, outcomes)


def data_is_available(assignment: str) -> bool:
    """Whether an assignment's data sets can be had; says in one line why not, and how to fix it."""
    missing = missing_data(assignment)
    if missing:
        print(f"skipping {assignment}: {missing}")
    return missing is None


def missing_data(assignment: str) -> str | None:
    """Why an assignment's data sets cannot be had (the first that cannot), or None."""
    try:
        for name in registry.get(assignment).data:
            course_data.dataset_path(name)
    except (course_data.DataUnavailable, course_data.ChecksumMismatch) as error:
        return str(error)
    return None


def score_table(scores: list[Score], assignments: tuple[str, ...]) -> str:
    """Students by assignments, each cell 'score / max', with a total column."""
    by_student: dict[str, dict[str, Score]] = {}
    for row in scores:
        by_student.setdefault(row.student, {})[row.assignment] = row
    lines = [["student", *assignments, "total"]]
    for student, mine in sorted(by_student.items()):
        cells = [
            f"{mine[a].score:g} / {mine[a].max_score:g}" if a in mine else "-" for a in assignments
        ]
        total = sum(r.score for r in mine.values()), sum(r.max_score for r in mine.values())
        lines.append([student, *cells, f"{total[0]:g} / {total[1]:g}"])
    return text_table(lines)
