"""``cnn-grader autograde``: every submitted student of each assignment, N notebooks at a time."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from autograder.course.commands.common import (
    USAGE,
    UserMistake,
    add_assignments,
    add_course_options,
    add_workers,
    check_scheduler,
    chosen_assignments,
    listed,
    open_course,
)
from autograder.course.students import refusal

if TYPE_CHECKING:
    from autograder.course.directory import Course

HELP = "autograde every submitted student (nbgrader autograde)"
RESUME = "Run the same command with --resume to grade the rest."
INTERRUPTED = f"what was graded is kept.\n{RESUME}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_course_options(parser)
    add_assignments(parser)
    add_workers(parser)
    parser.add_argument(
        "--student", action="append", metavar="ID", help="only this student (repeatable)"
    )
    parser.add_argument(
        "--resume", action="store_true", help="skip submissions already graded (after a kill)"
    )


def run(args: argparse.Namespace) -> int:
    course = open_course(args)
    check_scheduler(args, course.root)
    chosen = chosen_assignments(args, course.root)
    from autograder.course.grading import GradingInterrupted, autograde, summary_table

    say_refused(course, chosen)
    check_submitted(course, chosen, args.student)
    try:
        outcomes = autograde(
            course,
            chosen,
            workers=args.workers,
            scheduler=args.scheduler,
            plain_tcp=args.plain_tcp,
            students=args.student,
            resume=args.resume,
        )
    except GradingInterrupted as stopped:
        raise UserMistake(f"{stopped}; their grades are kept.\n{RESUME}", status=130) from None
    if outcomes:
        print()
        print(summary_table(course, outcomes))
    return 0 if all(o.ok for o in outcomes) else 1


def say_refused(course: Course, assignments: tuple[str, ...]) -> None:
    """A line for each folder under ``submitted/`` that is no student id: never graded."""
    for assignment in assignments:
        for folder in course.refused_students(assignment):
            where = f"submitted/{folder}/{assignment}"
            print(f"cnn-grader autograde: {refusal(folder, where)}", file=sys.stderr)


def check_submitted(
    course: Course, assignments: tuple[str, ...], students: list[str] | None
) -> None:
    """Raise :class:`UserMistake` unless there is something to grade: a submission of the
    chosen assignments, by each chosen student."""
    submitted = sorted({s for a in assignments for s in course.submitted_students(a)})
    which = ", ".join(assignments)
    if not submitted:
        raise UserMistake(
            f"nothing submitted for {which} in {course.root / 'submitted'}",
            "collect first (cnn-grader collect), or put each notebook at "
            "submitted/<student>/<id>/<id>.ipynb",
        )
    unknown = [s for s in students or () if s not in submitted]
    if unknown:
        raise UserMistake(
            f"no submission of {which} by {listed(unknown)}",
            f"students who submitted: {listed(submitted)}",
            USAGE,
        )
