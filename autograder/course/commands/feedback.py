"""``cnn-grader feedback``: every graded student's feedback page, and its release."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.course.commands.common import (
    UserMistake,
    add_assignments,
    add_course_options,
    chosen_assignments,
    open_course,
)

if TYPE_CHECKING:
    from autograder.course.directory import Course

HELP = "write feedback HTML (nbgrader generate_feedback), and release it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_course_options(parser)
    add_assignments(parser)
    parser.add_argument(
        "--release", action="store_true", help="also release it to students (release_feedback)"
    )
    parser.add_argument(
        "--exchange", type=Path, metavar="DIR", help="nbgrader's exchange (default: its config)"
    )


def run(args: argparse.Namespace) -> int:
    course = open_course(args)
    chosen = chosen_assignments(args, course.root)
    graded = [a for a in chosen if graded_students(course, a)]
    if not graded:
        raise UserMistake(
            f"nothing graded for {', '.join(chosen)} in {course.root / 'autograded'}",
            "grade first: cnn-grader autograde",
        )
    for assignment in chosen:
        if assignment not in graded:
            print(f"{assignment}: nothing graded, no feedback")
            continue
        done = f"{assignment}: {course.generate_feedback(assignment)} feedback page(s) written"
        if args.release:
            done += f", {course.release_feedback(assignment, args.exchange)} released"
        print(done)
    print(f"feedback: {course.root / 'feedback'}/<student>/<assignment>/<assignment>.html")
    return 0


def graded_students(course: Course, assignment: str) -> list[str]:
    """Students with a graded notebook of ``assignment`` under ``autograded/``."""
    folder = course.root / "autograded"
    return sorted(p.parent.name for p in folder.glob(f"*/{assignment}") if p.is_dir())
