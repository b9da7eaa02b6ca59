"""``cnn-grader report``: the item analysis, an HTML page and a CSV table."""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.course.commands.common import (
    UserMistake,
    add_assignments,
    add_course_options,
    chosen_assignments,
    course_assignments,
    open_course,
)

HELP = "item analysis: scores, checks failed, slowest notebooks"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_course_options(parser)
    add_assignments(parser)
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="folder (default: <course>/report, or report/<id>/ for some assignments)",
    )


def run(args: argparse.Namespace) -> int:
    course = open_course(args)
    chosen = chosen_assignments(args, course.root)
    from autograder.course.report import NothingGraded, report_folder, write_report

    out = args.out or report_folder(course.root, chosen, course_assignments(course.root))
    try:
        page, table = write_report(course, chosen, out)
    except NothingGraded as error:
        raise UserMistake(
            f"{error}; no report written", "grade first: cnn-grader autograde"
        ) from error
    print(f"report: {page}\ntable:  {table}")
    return 0
