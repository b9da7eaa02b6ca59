"""``cnn-grader demo``: the whole cycle on sample students, in a scratch course."""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.assignments import REPO_ROOT
from autograder.course.commands.common import (
    USAGE,
    UserMistake,
    add_assignments,
    add_workers,
    check_scheduler,
    chosen_assignments,
)

HELP = "generate, grade sample students, feedback, grades, report, in a scratch course"
DEFAULT_DIR = REPO_ROOT / "demo"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_assignments(parser)
    parser.add_argument(
        "--dir",
        type=Path,
        default=DEFAULT_DIR,
        metavar="DIR",
        help=f"the scratch course, made afresh (default: {DEFAULT_DIR})",
    )
    add_workers(parser)


def run(args: argparse.Namespace) -> int:
    check_scheduler(args, REPO_ROOT)
    chosen = chosen_assignments(args, REPO_ROOT)
    from autograder.course.demo import MARKER, run_demo

    scratch = args.dir.absolute()
    if not may_replace(scratch, MARKER):
        raise UserMistake(
            f"{scratch} holds files of its own, and the demo starts by deleting its folder",
            "choose a new or empty folder with --dir",
            USAGE,
        )
    from autograder.course.grading import GradingInterrupted

    try:
        demo = run_demo(
            scratch,
            chosen,
            workers=args.workers,
            scheduler=args.scheduler,
            plain_tcp=args.plain_tcp,
        )
    except GradingInterrupted as stopped:
        raise UserMistake(str(stopped), "run the demo again", status=130) from None
    return 0 if demo.ok else 1


def may_replace(folder: Path, marker: str) -> bool:
    """Whether the demo may delete ``folder``: new, empty, an earlier demo's (it holds the
    demo's ``marker``), or the default ``demo/`` of the checkout."""
    if not folder.exists() or folder == DEFAULT_DIR.absolute():
        return True
    return folder.is_dir() and (not any(folder.iterdir()) or (folder / marker).is_file())
