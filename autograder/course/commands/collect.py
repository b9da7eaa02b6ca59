"""``cnn-grader collect``: each student's latest submission from the exchange, screened and
made gradable."""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.course.commands.common import (
    UserMistake,
    add_assignments,
    add_course_options,
    chosen_assignments,
    open_course,
    warn,
)

HELP = "collect submissions (nbgrader collect), made gradable"

EXCHANGE_TODO = "check the exchange's folder, or pass --exchange DIR"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_course_options(parser)
    add_assignments(parser)
    parser.add_argument(
        "--exchange", type=Path, metavar="DIR", help="nbgrader's exchange (default: its config)"
    )
    parser.add_argument(
        "--trust-names",
        action="store_true",
        help="skip checking that a submission's owner and times match its name",
    )


def run(args: argparse.Namespace) -> int:
    course = open_course(args)
    chosen = chosen_assignments(args, course.root)
    from autograder.course import exchange

    try:
        where = exchange.Exchange.of(course, args.exchange)
        for problem in exchange.check(where):
            warn(args, str(problem))
        collections = [
            exchange.collect(course, where, assignment, trust_names=args.trust_names)
            for assignment in chosen
        ]
    except exchange.UnsafeExchange as error:
        raise UserMistake(str(error)) from error  # it names the fix of each folder
    except OSError as error:
        raise UserMistake(
            str(error), "check the exchange's folder, or pass --exchange DIR"
        ) from error
    print()
    print(exchange.collect_summary(collections))
    return 0
