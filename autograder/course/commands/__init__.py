"""The ``cnn-grader`` commands, one module each, in the order of a course's cycle.

Each module has ``HELP`` (its line in ``cnn-grader --help``),
``add_arguments(parser)`` and ``run(args) -> int`` (its exit status), and may
have ``INTERRUPTED``, what to do after a Ctrl-C. A user's mistake is raised as
:class:`~autograder.course.commands.common.UserMistake`, which
:func:`autograder.course.cli.main` says in one line. Modules import what they
run inside ``run``, so that ``--help`` stays quick.
"""

from __future__ import annotations

from types import ModuleType

from autograder.course.commands import (
    autograde,
    cluster_certificate,
    collect,
    demo,
    export,
    feedback,
    generate,
    release,
    report,
    similarity,
)

COMMANDS: dict[str, ModuleType] = {
    "generate": generate,
    "release": release,
    "collect": collect,
    "autograde": autograde,
    "feedback": feedback,
    "export": export,
    "report": report,
    "similarity": similarity,
    "demo": demo,
    "cluster-certificate": cluster_certificate,
}
