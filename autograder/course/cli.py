"""``cnn-grader``: the course team's command line, around nbgrader's own commands.

argparse, from the standard library: the commands are few and flat, each a
thin wrapper over nbgrader's with the course's defaults, one module each in
:mod:`autograder.course.commands`. Every plain ``nbgrader`` command keeps
working in the course directory. This module builds the parser from the
commands, runs the chosen one, and says in one line, without a traceback,
what went wrong when the mistake is the user's (or nbgrader's): what
happened and what to do.
"""

from __future__ import annotations

import argparse
import sys

from autograder.course.commands import COMMANDS
from autograder.course.commands.common import UserMistake

CYCLE = """the course's cycle: release, collect, autograde, feedback --release, export;
`cnn-grader COMMAND --help` for a command's options"""
LOG_LINES = 12  # of a failed nbgrader command's log, on the console
INTERRUPTED = 130  # the shell's status for a Ctrl-C


def parser() -> argparse.ArgumentParser:
    """``cnn-grader``'s parser: a sub-command per module of :data:`COMMANDS`."""
    top = argparse.ArgumentParser(
        prog="cnn-grader",
        description="cnn-grader: the course team's command line, around nbgrader's own commands",
        epilog=CYCLE,
    )
    commands = top.add_subparsers(
        dest="command", required=True, metavar="COMMAND", title="commands"
    )
    for name, module in COMMANDS.items():
        sub = commands.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return top


def main(argv: list[str] | None = None) -> int:
    """Run one ``cnn-grader`` command; return its exit status."""
    args = parser().parse_args(argv)
    name = f"cnn-grader {args.command}"
    try:
        return args.run(args)
    except UserMistake as mistake:
        print(f"{name}: {mistake}", file=sys.stderr)
        return mistake.status
    except KeyboardInterrupt:
        todo = getattr(COMMANDS[args.command], "INTERRUPTED", "run the same command again")
        print(f"\n{name}: interrupted; {todo}", file=sys.stderr)
        return INTERRUPTED
    except Exception as error:
        said = failure(error)
        if said is None:
            raise
        print(f"{name}: {said}", file=sys.stderr)
        return 1


def failure(error: Exception) -> str | None:
    """What to say of a failed nbgrader command or a gradebook that cannot be opened (a
    wrong ``--db-url``); None for anything else, a defect to show in full."""
    directory = sys.modules.get("autograder.course.directory")
    if directory is not None and isinstance(error, directory.NbgraderFailed):
        return short_log(str(error))
    sqlalchemy = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy is not None and isinstance(error, sqlalchemy.SQLAlchemyError):
        cause = str(getattr(error, "orig", None) or error).splitlines()[0]
        return f"cannot use the gradebook ({cause}); check --db-url, or the course's gradebook.db"
    return None


def short_log(message: str) -> str:
    """A failed nbgrader command's message with only the end of its log."""
    first, *log = message.splitlines()
    cut = ["    ..."] if len(log) > LOG_LINES else []
    return "\n".join([first, *cut, *log[-LOG_LINES:]])


if __name__ == "__main__":
    sys.exit(main())
