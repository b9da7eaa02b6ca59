"""What every ``cnn-grader`` command shares: the course options, the chosen assignments,
and :class:`UserMistake`, the one way a command says a user's mistake.

A command raises :class:`UserMistake` with what happened and what to do;
:func:`autograder.course.cli.main` prints it as one line,
``cnn-grader <command>: <what happened>; <what to do>``, and exits with its
status: 2 for what was typed (an unknown assignment, a folder that is not a
course), 1 for the course's state (nothing submitted, nothing graded).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.assignments import IDS, REPO_ROOT

if TYPE_CHECKING:  # nbformat and nbgrader load in a command's run, never for --help
    from autograder.course.directory import Course

USAGE, STATE = 2, 1  # exit statuses: a mistake in what was typed; in the course's state
CONFIG = "nbgrader_config.py"  # what makes a folder a course


class UserMistake(Exception):
    """A mistake in how a command was called, or in the course's state, said in a line."""

    def __init__(self, what: str, todo: str = "", status: int = STATE) -> None:
        super().__init__(f"{what}; {todo}" if todo else what)
        self.status = status


def add_course_options(parser: argparse.ArgumentParser) -> None:
    """``--course`` and ``--db-url``, which every command takes."""
    parser.add_argument(
        "--course",
        type=Path,
        default=REPO_ROOT,
        metavar="DIR",
        help=f"the course folder, holding {CONFIG} (default: {REPO_ROOT})",
    )
    parser.add_argument(
        "--db-url",
        metavar="URL",
        help="the gradebook, e.g. postgresql://user@host/db (default: the course's SQLite file)",
    )


def add_assignments(parser: argparse.ArgumentParser) -> None:
    """The assignment ids a command works on."""
    parser.add_argument(
        "assignments", nargs="*", metavar="ID", help="assignment ids (default: all of the course's)"
    )


def add_workers(parser: argparse.ArgumentParser) -> None:
    """How many notebooks are graded at once, and where."""
    from autograder.course.cluster import PLAIN_TCP_OPTION, TLS_FOLDER

    parser.add_argument(
        "--workers", type=int, default=1, metavar="N", help="notebooks graded at once"
    )
    parser.add_argument(
        "--scheduler",
        metavar="URL",
        help=f"a running Dask scheduler, tls://host:8786, started with <course>/{TLS_FOLDER}/",
    )
    parser.add_argument(
        PLAIN_TCP_OPTION,
        dest="plain_tcp",
        action="store_true",
        help="accept a tcp:// scheduler: whoever reaches it runs code as its workers' user",
    )


def check_scheduler(args: argparse.Namespace, course_root: Path) -> None:
    """Raise :class:`UserMistake` if ``--scheduler`` names a cluster the course refuses."""
    from autograder.course.cluster import ClusterSetupError, scheduler_security

    if args.scheduler is None:
        return
    try:
        scheduler_security(args.scheduler, course_root, plain_tcp=args.plain_tcp)
    except ClusterSetupError as error:
        raise UserMistake(str(error), status=USAGE) from error


def open_course(args: argparse.Namespace) -> Course:
    """The course ``--course`` names, or a :class:`UserMistake` saying why it is none."""
    root = Path(args.course).absolute()
    where = "run cnn-grader in the course folder, or pass --course DIR"
    if not root.exists():
        raise UserMistake(f"there is no folder {root}", where, USAGE)
    if not (root / CONFIG).is_file():
        raise UserMistake(f"{root} is not a course folder (it has no {CONFIG})", where, USAGE)
    from autograder.course.directory import Course

    return Course(root.resolve(), args.db_url)


def course_assignments(root: Path) -> tuple[str, ...]:
    """The assignments of the registry this course has sources for (``solutions/<id>/``)."""
    return tuple(a for a in IDS if (root / "solutions" / a).is_dir())


def chosen_assignments(args: argparse.Namespace, root: Path) -> tuple[str, ...]:
    """The assignments a command was given, each one of the course's; default: all of them."""
    own = course_assignments(root)
    if not own:
        raise UserMistake(
            f"the course at {root} has no assignments under solutions/",
            f"its assignments are solutions/<id>/, for ids among {', '.join(IDS)}",
        )
    given = tuple(dict.fromkeys(args.assignments or ()))
    unknown = [a for a in given if a not in own]
    if unknown:
        which = "unknown assignment" if unknown[0] not in IDS else "the course has no assignment"
        raise UserMistake(f"{which} {unknown[0]}", f"choose from {', '.join(own)}", USAGE)
    return given or own


def warn(args: argparse.Namespace, message: str) -> None:
    """A warning of the running command, on stderr."""
    print(f"cnn-grader {args.command}: warning: {message}", file=sys.stderr)


def listed(names: list[str], most: int = 8) -> str:
    """Names for a one-line message: the first few, and how many more."""
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")
