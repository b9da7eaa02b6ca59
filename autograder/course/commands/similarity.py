"""``cnn-grader similarity``: every pair of submissions of each assignment compared."""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.course.commands.common import (
    UserMistake,
    add_assignments,
    add_course_options,
    chosen_assignments,
    open_course,
)

HELP = "compare every pair of submissions of each assignment"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_course_options(parser)
    add_assignments(parser)
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="folder (default: <course>/similarity; one folder per assignment)",
    )


def run(args: argparse.Namespace) -> int:
    course = open_course(args)
    chosen = chosen_assignments(args, course.root)
    from autograder.course.similarity import write_similarity

    submitted = [a for a in chosen if course.submitted_students(a)]
    if not submitted:
        raise UserMistake(
            f"nothing submitted for {', '.join(chosen)} in {course.root / 'submitted'}",
            "collect first: cnn-grader collect",
        )
    for assignment in chosen:
        if assignment not in submitted:
            print(f"{assignment}: no submissions under {course.root / 'submitted'}")
            continue
        out = args.out / assignment if args.out else None
        page, table = write_similarity(course, assignment, out)
        print(f"{assignment}: {page}\n{' ' * len(assignment)}  {table}")
    return 0
