"""``cnn-grader release``: generate, check the exchange's folders, release to students."""

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

HELP = "generate, then release to students (nbgrader release_assignment)"

EXCHANGE_TODO = "check the exchange's folder, or pass --exchange DIR"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_course_options(parser)
    add_assignments(parser)
    parser.add_argument(
        "--exchange", type=Path, metavar="DIR", help="nbgrader's exchange (default: its config)"
    )
    parser.add_argument("--force", action="store_true", help="replace a released assignment")


def run(args: argparse.Namespace) -> int:
    course = open_course(args)
    chosen = chosen_assignments(args, course.root)
    from autograder.course import exchange

    try:
        where = exchange.Exchange.of(course, args.exchange)
        paths = exchange.release(course, where, chosen, force=args.force)
    except exchange.UnsafeExchange as error:
        raise UserMistake(str(error)) from error  # it names the fix of each folder
    except OSError as error:
        raise UserMistake(
            str(error), "check the exchange's folder, or pass --exchange DIR"
        ) from error
    print(f"\nreleased {exchange.plural(len(paths), 'assignment')} to {where.outbound}")
    print(
        "students: nbgrader fetch_assignment <id> "
        f"--course={where.course_id} --Exchange.root={where.root}"
    )
    return 0
