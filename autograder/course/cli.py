"""``cnn-grader``: the course team's command line, around nbgrader's own commands.

argparse, from the standard library: the commands are few and flat, each is
a thin wrapper over an nbgrader command with the course's defaults, and the
grading environment gains no dependency for them. Every plain ``nbgrader``
command keeps working in the course directory.

    cnn-grader generate [ID ...]                   student versions into assignments/
    cnn-grader release [ID ...]                    generate, then release to nbgrader's exchange
    cnn-grader collect [ID ...]                    submissions from the exchange, made gradable
    cnn-grader autograde [ID ...] [--workers N]    every submitted student, N at a time
    cnn-grader feedback [ID ...] [--release]       feedback HTML (and release it)
    cnn-grader export [--to grades.csv]            the gradebook as CSV
    cnn-grader export --format canvas|moodle       grades to import into Canvas or Moodle
    cnn-grader report [--out report/]              item analysis: HTML page and CSV
    cnn-grader similarity [ID ...]                 similar submissions: HTML page and CSV
    cnn-grader demo [ID ...]                       all of it, on sample students
    cnn-grader cluster-certificate [--force]       the course's key for a Dask cluster of its own
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.assignments import IDS, REPO_ROOT
from autograder.course.directory import Course, NbgraderFailed


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--course", type=Path, default=REPO_ROOT, help="course directory (default: this repo)"
    )
    common.add_argument(
        "--db-url", help="gradebook URL, e.g. postgresql://user@host/db (default: SQLite)"
    )
    parser = argparse.ArgumentParser(prog="cnn-grader", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help: str, *, assignments: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, parents=[common])
        if assignments:
            sub.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
        return sub

    command("generate", "generate the student versions (nbgrader generate_assignment)")
    release = command("release", "generate, then release to students (nbgrader release_assignment)")
    release.add_argument("--exchange", type=Path, help="nbgrader exchange (default: its config)")
    release.add_argument("--force", action="store_true", help="replace a released assignment")
    collect = command("collect", "collect submissions (nbgrader collect), made gradable")
    collect.add_argument("--exchange", type=Path, help="nbgrader exchange (default: its config)")
    collect.add_argument(
        "--trust-names",
        action="store_true",
        help="skip checking that a submission's owner and times match its name (a hub where "
        "every student is the same Unix user)",
    )
    collect.add_argument(
        "--restore",
        action="store_true",
        help="first put back what earlier collects set aside, to be screened again",
    )
    autograde = command("autograde", "autograde every submitted student (nbgrader autograde)")
    add_workers(autograde)
    autograde.add_argument("--student", action="append", help="only this student (repeatable)")
    autograde.add_argument(
        "--resume", action="store_true", help="skip submissions already graded (after a kill)"
    )
    feedback = command("feedback", "write feedback HTML (nbgrader generate_feedback)")
    feedback.add_argument("--release", action="store_true", help="also nbgrader release_feedback")
    feedback.add_argument("--exchange", type=Path, help="nbgrader exchange folder for --release")
    export = command("export", "export the gradebook to CSV (nbgrader export)", assignments=False)
    export.add_argument("--to", type=Path, help="CSV path (default: <course>/grades[_FORMAT].csv)")
    add_export_options(export)
    report = command("report", "item analysis: scores, checks failed, slowest notebooks")
    report.add_argument("--out", type=Path, help="folder (default: <course>/report)")
    similarity = command("similarity", "compare every pair of submissions of each assignment")
    similarity.add_argument(
        "--out", type=Path, help="folder (default: <course>/similarity; one folder per assignment)"
    )
    demo = command("demo", "generate, grade sample students, feedback, grades, report")
    demo.add_argument("--dir", type=Path, default=REPO_ROOT / "demo", help="scratch course")
    add_workers(demo)
    certificate = command(
        "cluster-certificate",
        "make <course>/cluster-tls/: the key a Dask scheduler and workers of the course share",
        assignments=False,
    )
    certificate.add_argument("--force", action="store_true", help="replace the existing one")
    return parser


def add_workers(parser: argparse.ArgumentParser) -> None:
    from autograder.course.cluster import PLAIN_TCP_OPTION, TLS_FOLDER

    parser.add_argument("--workers", type=int, default=1, help="notebooks graded at once")
    parser.add_argument(
        "--scheduler",
        help=f"a running Dask scheduler, tls://host:8786, started with <course>/{TLS_FOLDER}/",
    )
    parser.add_argument(
        PLAIN_TCP_OPTION,
        dest="plain_tcp",
        action="store_true",
        help="accept a tcp:// scheduler: whoever reaches it runs code as its workers' user",
    )


def add_export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("csv", "canvas", "moodle"),
        default="csv",
        help="csv: nbgrader's own; canvas, moodle: their gradebook import files (need --roster)",
    )
    parser.add_argument("--roster", type=Path, help="roster CSV (default: <course>/roster.csv)")
    parser.add_argument(
        "--user-field",
        default="email",
        help="moodle: the roster column Moodle matches users on, e.g. email, username, idnumber",
    )


def main(argv: list[str] | None = None) -> int:
    """Run one ``cnn-grader`` command; return its exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    chosen = tuple(getattr(args, "assignments", ()) or IDS)
    unknown = set(chosen) - set(IDS)
    if unknown:
        parser.error(f"unknown assignments {sorted(unknown)}; choose from {', '.join(IDS)}")
    course = Course(args.course.resolve(), args.db_url)
    if args.command == "generate":
        for assignment in chosen:
            print(course.generate(assignment))
    elif args.command in ("release", "collect"):
        return _exchange_command(args, course, chosen)
    elif args.command in ("autograde", "demo"):
        return _grading_command(args, course, chosen)
    elif args.command == "feedback":
        for assignment in chosen:
            course.generate_feedback(assignment)
            if args.release:
                course.release_feedback(assignment, args.exchange)
        print(f"feedback: {course.root / 'feedback'}/<student>/<assignment>/<assignment>.html")
    elif args.command == "export":
        if args.format == "csv":
            print(course.export(args.to))
        else:
            from autograder.course.export import RosterError, export_for

            try:
                print(export_for(course, args.format, args.to, args.roster, args.user_field))
            except RosterError as error:
                print(f"cnn-grader export: {error}", file=sys.stderr)
                return 1
    elif args.command == "report":
        from autograder.course.report import write_report

        html, table = write_report(course, chosen, args.out or course.root / "report")
        print(f"report: {html}\ntable:  {table}")
    elif args.command == "similarity":
        from autograder.course.similarity import write_similarity

        for assignment in chosen:
            if not course.submitted_students(assignment):
                print(f"{assignment}: no submissions under {course.root / 'submitted'}")
                continue
            out = args.out / assignment if args.out else None
            page, table = write_similarity(course, assignment, out)
            print(f"{assignment}: {page}\n{' ' * len(assignment)}  {table}")
    elif args.command == "cluster-certificate":
        from autograder.course import cluster

        try:
            folder = cluster.make_certificate(cluster.tls_folder(course.root), force=args.force)
        except cluster.ClusterSetupError as error:
            print(f"cnn-grader cluster-certificate: {error}", file=sys.stderr)
            return 1
        print(f"certificate and key: {folder} (keep the key private: it is the way in)")
        for role, line in cluster.cluster_commands(course.root).items():
            print(f"{role + ':':<11}{line}")
    return 0


def _grading_command(args: argparse.Namespace, course: Course, chosen: tuple[str, ...]) -> int:
    """``cnn-grader autograde`` and ``demo``: a refused cluster or a Ctrl-C said in a few lines."""
    from autograder.course.cluster import ClusterSetupError
    from autograder.course.grading import GradingInterrupted, autograde, summary_table

    name = f"cnn-grader {args.command}"
    try:
        if args.command == "demo":
            from autograder.course.demo import run_demo

            demo = run_demo(
                args.dir,
                chosen,
                workers=args.workers,
                scheduler=args.scheduler,
                plain_tcp=args.plain_tcp,
            )
            return 0 if demo.ok else 1
        outcomes = autograde(
            course,
            chosen,
            workers=args.workers,
            scheduler=args.scheduler,
            plain_tcp=args.plain_tcp,
            students=args.student,
            resume=args.resume,
        )
    except ClusterSetupError as error:
        print(f"{name}: {error}", file=sys.stderr)
        return 2
    except (GradingInterrupted, KeyboardInterrupt) as error:
        kept = "; their grades are kept" if isinstance(error, GradingInterrupted) else ""
        print(f"\n{name}: {error or 'interrupted'}{kept}.", file=sys.stderr)
        if args.command == "autograde":
            print("Run the same command with --resume to grade the rest.", file=sys.stderr)
        return 130
    print()
    print(summary_table(course, outcomes))
    return 0 if all(o.ok for o in outcomes) else 1


def _exchange_command(args: argparse.Namespace, course: Course, chosen: tuple[str, ...]) -> int:
    """``cnn-grader release`` and ``cnn-grader collect``: nbgrader's exchange, checked first."""
    from autograder.course import exchange

    name = f"cnn-grader {args.command}"
    try:
        where = exchange.Exchange.of(course, args.exchange)
        if args.command == "release":
            paths = exchange.release(course, where, chosen, force=args.force)
            print(f"\nreleased {exchange.plural(len(paths), 'assignment')} to {where.outbound}")
            print(
                "students: nbgrader fetch_assignment <id> "
                f"--course={where.course_id} --Exchange.root={where.root}"
            )
            return 0
        for problem in exchange.check(where):
            print(f"{name}: warning: {problem}", file=sys.stderr)
        collections = [
            exchange.collect(
                course, where, assignment, trust_names=args.trust_names, restore_first=args.restore
            )
            for assignment in chosen
        ]
    except (exchange.UnsafeExchange, OSError, NbgraderFailed) as error:
        print(f"{name}: {error}", file=sys.stderr)
        return 1
    print()
    print(exchange.collect_summary(collections))
    shared = [c.assignment for c in collections if c.shared_owner]
    again = [name, *shared, "--trust-names", *_places(args)]
    note = exchange.shared_owner_note(collections, " ".join(again))
    if note:
        print(f"\n{name}: {note}", file=sys.stderr)
        return 1
    return 0


def _places(args: argparse.Namespace) -> list[str]:
    """The ``--course`` and ``--exchange`` options a command was given, to say it again."""
    course = [] if args.course.resolve() == REPO_ROOT else ["--course", str(args.course)]
    return course + (["--exchange", str(args.exchange)] if args.exchange else [])


if __name__ == "__main__":
    sys.exit(main())
