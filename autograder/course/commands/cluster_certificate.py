"""``cnn-grader cluster-certificate``: the course's key for a Dask grading cluster of its own."""

from __future__ import annotations

import argparse

from autograder.course.commands.common import UserMistake, add_course_options, open_course

HELP = "make <course>/cluster-tls/: the key a Dask scheduler and workers of the course share"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_course_options(parser)
    parser.add_argument("--force", action="store_true", help="replace the existing one")


def run(args: argparse.Namespace) -> int:
    from autograder.course import cluster

    course = open_course(args)
    try:
        folder = cluster.make_certificate(cluster.tls_folder(course.root), force=args.force)
    except cluster.ClusterSetupError as error:
        raise UserMistake(str(error)) from error
    print(f"certificate and key: {folder} (keep the key private: it is the way in)")
    for role, line in cluster.cluster_commands(course.root).items():
        print(f"{role + ':':<11}{line}")
    return 0
