"""``cnn-grader export``: the gradebook as nbgrader's CSV, or Canvas's or Moodle's import file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.course.commands.common import (
    UserMistake,
    add_course_options,
    open_course,
    warn,
)

if TYPE_CHECKING:
    from autograder.course.directory import Course

HELP = "export the gradebook: nbgrader's CSV, or Canvas's or Moodle's import file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_course_options(parser)
    parser.add_argument(
        "--to", type=Path, metavar="FILE", help="default: <course>/grades.csv, grades_FORMAT.csv"
    )
    parser.add_argument(
        "--format",
        choices=("csv", "canvas", "moodle"),
        default="csv",
        help="csv: nbgrader's own; canvas, moodle: their gradebook import files (need a roster)",
    )
    parser.add_argument(
        "--roster", type=Path, metavar="FILE", help="roster CSV (default: <course>/roster.csv)"
    )
    parser.add_argument(
        "--user-field",
        default="email",
        metavar="COLUMN",
        help="moodle: the roster column Moodle matches users on, e.g. email, username, idnumber",
    )


def run(args: argparse.Namespace) -> int:
    course = open_course(args)
    check_graded(course)
    if args.format == "csv":
        print(course.export(args.to))
        return 0
    from autograder.course.export import RosterError, export_for

    try:
        path = export_for(
            course, args.format, args.to, args.roster, args.user_field, lambda m: warn(args, m)
        )
    except RosterError as error:
        raise UserMistake(str(error), "no file was written") from error
    print(path)
    return 0


def check_graded(course: Course) -> None:
    """Raise :class:`UserMistake` if the gradebook holds no grades (or is not there)."""
    if course.db_url is None and not (course.root / "gradebook.db").is_file():
        raise UserMistake(
            f"no gradebook at {course.root / 'gradebook.db'}: nothing is graded yet",
            "grade first: cnn-grader autograde",
        )
    if not course.scores():
        raise UserMistake("the gradebook holds no grades", "grade first: cnn-grader autograde")
