"""``cnn-grader``: the course's command line.

argparse, from the standard library: the commands are few and flat, and the
grading environment gains no dependency for them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.course import ASSIGNMENTS, REPO_ROOT, Course


def main(argv: list[str] | None = None) -> int:
    """Run one ``cnn-grader`` command; return its exit status."""
    parser = argparse.ArgumentParser(prog="cnn-grader", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="grade sample students end to end in a scratch course")
    demo.add_argument("--dir", type=Path, default=REPO_ROOT / "demo", help="scratch course folder")
    demo.add_argument("assignments", nargs="*", help="default: all")

    generate = commands.add_parser("generate", help="regenerate assignments/ from solutions/")
    generate.add_argument("assignments", nargs="*", help="default: all")

    args = parser.parse_args(argv)
    unknown = set(args.assignments) - set(ASSIGNMENTS)
    if unknown:
        parser.error(f"unknown assignments {sorted(unknown)}; choose from {', '.join(ASSIGNMENTS)}")
    chosen = tuple(args.assignments) or ASSIGNMENTS
    if args.command == "demo":
        from autograder.demo import run_demo

        run_demo(args.dir, chosen)
    elif args.command == "generate":
        course = Course(REPO_ROOT)
        for assignment in chosen:
            print(course.generate(assignment).relative_to(REPO_ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
