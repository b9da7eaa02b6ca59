"""``cnn-grader generate``: the student versions of the assignments, into ``assignments/``."""

from __future__ import annotations

import argparse

from autograder.course.commands.common import (
    add_assignments,
    add_course_options,
    chosen_assignments,
    open_course,
)

HELP = "generate the student versions (nbgrader generate_assignment)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_course_options(parser)
    add_assignments(parser)


def run(args: argparse.Namespace) -> int:
    course = open_course(args)
    for assignment in chosen_assignments(args, course.root):
        print(course.generate(assignment))
    return 0
