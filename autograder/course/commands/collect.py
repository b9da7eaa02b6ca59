"""``cnn-grader collect``: each student's latest submission from the exchange, screened and
made gradable."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.assignments import REPO_ROOT
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
        help="skip checking that a submission's owner and times match its name (a hub where "
        "every student is the same Unix user)",
    )
    parser.add_argument(
        "--restore",
        action="store_true",
        help="first put back what earlier collects set aside, to be screened again",
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
            exchange.collect(
                course, where, assignment, trust_names=args.trust_names, restore_first=args.restore
            )
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
    shared = [c.assignment for c in collections if c.shared_owner]
    again = ["cnn-grader collect", *shared, "--trust-names", *places(args)]
    note = exchange.shared_owner_note(collections, " ".join(again))
    if note:
        print(f"\ncnn-grader collect: {note}", file=sys.stderr)
        return 1
    return 0


def places(args: argparse.Namespace) -> list[str]:
    """The ``--course`` and ``--exchange`` options a command was given, to say it again."""
    course = [] if args.course.resolve() == REPO_ROOT else ["--course", str(args.course)]
    return course + (["--exchange", str(args.exchange)] if args.exchange else [])
