"""Autograde a whole class: one ``nbgrader autograde --student`` per submission, run in parallel.

Each task is one student's notebook of one assignment, graded by nbgrader's
own command in a subprocess, exactly as ``nbgrader autograde <id> --student
<s>`` would from a shell. Tasks are run by Dask distributed: a LocalCluster
of ``workers`` processes on this machine by default, or any running Dask
scheduler (``scheduler="tls://host:8786"``) whose workers see the course
directory on a shared file system. One engine for both cases, so the path
tested here is the path a cluster takes.

The gradebook stays consistent without a lock of ours:

* SQLite (the default): every student is entered in the gradebook before the
  workers start, so the workers only ever write their own submission's rows,
  in nbgrader's short transactions (milliseconds, after a notebook has run
  for seconds). SQLite serialises those writers with its database lock; the
  course's ``db_url`` gives each connection a 60 s busy timeout
  (``nbgrader_config.py``), so a writer waits for the lock instead of failing.
* PostgreSQL (``db_url="postgresql://..."``, for several machines): the
  server's own row locking and transactions.

Only the grader can talk to the cluster (:mod:`autograder.course.cluster`):
TLS with mutual authentication, a certificate made in memory for the local
cluster, the course's own for a running one. Ctrl-C stops the notebooks
being graded (:func:`autograder.course.forkserver.stop_run`) and raises
:class:`GradingInterrupted`; what was graded before is kept, and ``resume``
grades the rest.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder import assignments as registry
from autograder.cgroups import group_unavailable
from autograder.course import cluster, forkserver, intake, spreadsheet
from autograder.course.directory import Course, tool_environment
from autograder.judge import zygote
from autograder.sandbox.command import ONE_THREAD


@dataclass(frozen=True)
class Outcome:
    """How autograding one student's notebook of one assignment went."""

    assignment: str
    student: str
    ok: bool
    seconds: float
    log: str = ""  # the end of nbgrader's log when it failed
    stopped: bool = False  # stopped by an interrupted run: neither graded nor failed


class GradingInterrupted(Exception):
    """Grading was interrupted (Ctrl-C); the submissions graded before it keep their grades."""

    def __init__(self, graded: int, total: int) -> None:
        super().__init__(f"interrupted after grading {graded} of {total} submissions")
        self.graded, self.total = graded, total


def autograde_student(
    root: str,
    db_url: str | None,
    assignment: str,
    student: str,
    options: tuple[str, ...] = (),
    run: str = "",
) -> Outcome:
    """Autograde one student's submission with nbgrader (what a worker runs).

    ``nbgrader autograde`` runs in a process forked from one that has
    imported nbgrader already (:mod:`autograder.course.forkserver`): the same
    command, without its 2 s of imports for every notebook. ``run`` names
    the grading run, which :func:`autograder.course.forkserver.stop_run` stops.
    """
    started = time.monotonic()
    course = Course(Path(root), db_url)
    args = ("autograde", assignment, "--student", student, "--force", *options)
    if forkserver.can_fork():
        command = course.nbgrader_args(*args)
        environment = {**tool_environment(), **judges_zygote(assignment)}
        status, log = forkserver.run_nbgrader(course.root, command, environment, run)
    else:  # nbgrader as a plain subprocess
        result = course.nbgrader(*args, check=False)
        status, log = result.returncode, result.stderr
    seconds = time.monotonic() - started
    ok = status == 0
    stopped = status == forkserver.STOPPED
    return Outcome(assignment, student, ok, seconds, "" if ok else log[-3000:], stopped)


_zygote: zygote.Zygote | None = None
_zygote_failed = False
_zygote_lock = threading.Lock()


def judges_zygote(assignment: str) -> dict[str, str]:
    """The environment variable naming this grading process's judges' zygote
    (:mod:`autograder.judge.zygote`), for an assignment whose judge imports TensorFlow.

    Started on first use and waited for, as long as the first judge would
    have taken to import TensorFlow itself; later judges start at once.
    Nothing for a NumPy assignment (its judge has no need of it), or when it
    cannot start: each judge then starts as a process of its own.
    """
    global _zygote, _zygote_failed
    if not registry.get(assignment).trains_models:
        return {}
    with _zygote_lock:
        if _zygote_failed:
            return {}
        if _zygote is None or _zygote.process.poll() is not None:
            try:
                _zygote = zygote.start({**tool_environment(), **ONE_THREAD})
            except OSError:
                _zygote_failed = True
                return {}
            if not _zygote.ready():
                _zygote.stop()
                _zygote, _zygote_failed = None, True
                return {}
        return {zygote.ADDRESS_VARIABLE: _zygote.address}


class Progress:
    """Prints one line per graded submission: done, failures so far, time left."""

    def __init__(self, total: int, out: Callable[[str], None] = print) -> None:
        self.total, self.out = total, out
        self.done = self.failures = 0
        self.started = time.monotonic()

    def update(self, outcome: Outcome) -> None:
        self.done += 1
        self.failures += not outcome.ok
        elapsed = time.monotonic() - self.started
        left = elapsed / self.done * (self.total - self.done)
        status = "ok" if outcome.ok else "FAILED (see the log below)"
        self.out(
            f"[{self.done:>{len(str(self.total))}}/{self.total}] {outcome.assignment} "
            f"{outcome.student}: {status} in {outcome.seconds:.0f} s · "
            f"failures so far {self.failures} · about {format_duration(left)} left"
        )


def format_duration(seconds: float) -> str:
    """A duration as '42 s' or '3 min 05 s'."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def autograde(
    course: Course,
    assignments: Iterable[str],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    plain_tcp: bool = False,
    students: Iterable[str] | None = None,
    resume: bool = False,
    options: tuple[str, ...] = (),
    out: Callable[[str], None] = print,
) -> list[Outcome]:
    """Autograde every submitted student (or ``students``) of each assignment.

    ``workers=1`` without a scheduler grades one submission after another in
    this process; otherwise Dask runs them, on a local cluster or on the
    running ``scheduler`` (``tls://``, with the course's certificate; a
    ``tcp://`` one only with ``plain_tcp``, else :class:`cluster.ClusterSetupError`).
    A submission nbgrader cannot grade is reported as a failed
    :class:`Outcome`; the others go on. ``resume`` skips the submissions the
    gradebook already holds finished grades for: after a run was killed or
    interrupted (:class:`GradingInterrupted`), only the rest are graded.
    """
    if scheduler is not None:  # refused before anything is graded
        cluster.scheduler_security(scheduler, course.root, plain_tcp=plain_tcp)
    assignments = tuple(assignments)
    wanted = set(students) if students is not None else None
    tasks = [
        (assignment, student)
        for assignment in assignments
        for student in course.submitted_students(assignment)
        if (wanted is None or student in wanted)
        and not (resume and course.has_finished_grades(assignment, student))
    ]
    if not tasks:
        why = "all graded already" if resume else f"none submitted in {course.root / 'submitted'}"
        out(f"nothing to grade for {', '.join(assignments)}: {why}")
        return []
    outcomes: list[Outcome] = []
    try:
        for assignment, student in tasks:
            intake.prepare(course.root, assignment, student)  # unreadable or misnamed notebooks
        course.add_students(sorted({student for _, student in tasks}))  # one writer, first
        run = uuid.uuid4().hex
        grade = functools.partial(
            autograde_student, str(course.root), course.db_url, options=options, run=run
        )
        progress = Progress(len(tasks), out)
        with _interrupt_flag(run) as interrupted:
            if workers <= 1 and scheduler is None:
                _autograde_here(grade, tasks, interrupted, progress, outcomes)
            else:
                client = (
                    cluster.local_cluster_client(workers)
                    if scheduler is None
                    else cluster.scheduler_client(scheduler, course.root, plain_tcp=plain_tcp)
                )
                _autograde_with_dask(client, grade, tasks, interrupted, progress, outcomes)
        if interrupted.is_set():
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        record_times(course, outcomes)
        raise GradingInterrupted(len(outcomes), len(tasks)) from None
    record_times(course, outcomes)
    order = {task: i for i, task in enumerate(tasks)}
    return sorted(outcomes, key=lambda o: order[(o.assignment, o.student)])


def _autograde_here(
    grade: functools.partial[Outcome],
    tasks: list[tuple[str, str]],
    interrupted: threading.Event,
    progress: Progress,
    outcomes: list[Outcome],
) -> None:
    """``grade`` each task in this process, one after another, into ``outcomes``; until
    ``interrupted``, which stops the one being graded."""
    for assignment, student in tasks:
        outcome = grade(assignment, student)
        if not outcome.stopped:
            outcomes.append(outcome)
            progress.update(outcome)
        if interrupted.is_set():
            return


def _autograde_with_dask(
    grading_client: AbstractContextManager[Any],
    grade: functools.partial[Outcome],
    tasks: list[tuple[str, str]],
    interrupted: threading.Event,
    progress: Progress,
    outcomes: list[Outcome],
) -> None:
    """``grade`` each task on the Dask cluster of ``grading_client``, into ``outcomes`` as
    they end.

    Once ``interrupted`` is set (:func:`_interrupt_flag`), the notebooks being
    graded are stopped on every worker, and the cluster is closed.
    """
    from distributed import as_completed

    with grading_client as client:
        if interrupted.is_set():  # while the cluster started
            return
        futures = [
            client.submit(grade, a, s, key=f"autograde-{a}-{s}", priority=longest_first(a))
            for a, s in tasks
        ]
        running = as_completed(futures)
        while not running.is_empty() and not interrupted.is_set():
            for future in running.next_batch(block=False):
                outcomes.append(future.result())
                progress.update(outcomes[-1])
            interrupted.wait(0.2)
        if interrupted.is_set():
            received = {(o.assignment, o.student) for o in outcomes}
            left = [f for f, task in zip(futures, tasks, strict=True) if task not in received]
            outcomes.extend(_stop_grading(client, grade.keywords["run"], left, progress))


@contextlib.contextmanager
def _interrupt_flag(run: str) -> Iterator[threading.Event]:
    """While open, Ctrl-C interrupts grading run ``run`` instead of raising KeyboardInterrupt.

    It sets the event, and stops the run's notebooks being graded in this
    process (:func:`autograder.course.forkserver.interrupt_run`); the grading loops
    then stop. No exception is raised inside a blocking call: distributed's
    (starting a cluster, a future's result, closing) are not safe to
    interrupt, and a KeyboardInterrupt inside one makes its own callback fail
    with a traceback on the terminal. A second Ctrl-C changes nothing.
    """
    flag = threading.Event()

    def interrupt(number: int, frame: object) -> None:
        flag.set()
        forkserver.interrupt_run(run)

    if threading.current_thread() is not threading.main_thread():
        yield flag  # only the main thread receives signals
        return
    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def _stop_grading(client: Any, run: str, futures: list[Any], progress: Progress) -> list[Outcome]:
    """Stop a grading run on every worker; the outcomes of the notebooks that ended first.

    The workers interrupt the notebooks being graded and start no more of the
    run's (their tasks return at once, stopped); a notebook that ended before
    its interrupt is graded, and counted.
    """
    from distributed import wait

    client.run(forkserver.stop_run, run, on_error="ignore")
    with contextlib.suppress(TimeoutError):
        wait(futures, timeout=30)  # the stopped ones end at once, the rest start and return
    ended = []
    for future in futures:
        outcome = future.result() if future.status == "finished" else None
        if outcome is not None and not outcome.stopped:
            ended.append(outcome)
            progress.update(outcome)
    client.cancel([f for f in futures if not f.done()])
    return ended


def longest_first(assignment: str) -> int:
    """A task's Dask priority: notebooks that train models start first (ties keep the order).

    Started last, a minute of training would leave the other workers idle at
    the end of the run while one of them trains.
    """
    return 1 if registry.get(assignment).trains_models else 0


TIMES_FILE = "grading_times.csv"
TIMES_FIELDS = ["assignment", "student", "seconds", "ok"]


def record_times(course: Course, outcomes: list[Outcome]) -> Path:
    """Keep each submission's latest grading time in ``grading_times.csv`` (for the report)."""
    path = course.root / TIMES_FILE
    rows = {(r["assignment"], r["student"]): r for r in read_times(course)}
    for o in outcomes:
        rows[o.assignment, o.student] = {
            "assignment": o.assignment,
            "student": o.student,
            "seconds": f"{o.seconds:.1f}",
            "ok": str(o.ok),
        }
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, TIMES_FIELDS)
        writer.writeheader()
        writer.writerows(spreadsheet.record(rows[key]) for key in sorted(rows))
    return path


def read_times(course: Course) -> list[dict[str, str]]:
    """The rows of ``grading_times.csv``, or none before the first grading."""
    path = course.root / TIMES_FILE
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return [
            {key: spreadsheet.from_cell(value) for key, value in row.items()}
            for row in csv.DictReader(handle)
        ]


def summary_table(course: Course, outcomes: list[Outcome]) -> str:
    """Per assignment: submissions graded, failures, mean score, and the slowest notebook."""
    graded = tuple(dict.fromkeys(o.assignment for o in outcomes))
    scores = {(r.assignment, r.student): r for r in course.scores(graded)}
    lines = [["assignment", "graded", "failed", "mean score", "slowest notebook"]]
    for assignment in graded:
        mine = [o for o in outcomes if o.assignment == assignment]
        rows = [scores[assignment, o.student] for o in mine if (assignment, o.student) in scores]
        mean = sum(r.score for r in rows) / len(rows) if rows else 0.0
        slowest = max(mine, key=lambda o: o.seconds)
        lines.append(
            [
                assignment,
                str(len(mine)),
                str(sum(not o.ok for o in mine)),
                f"{mean:.1f} / {rows[0].max_score:g}" if rows else "-",
                f"{slowest.student} ({format_duration(slowest.seconds)})",
            ]
        )
    table = text_table(lines)
    note = spending_note()
    if note and outcomes:
        table += f"\n\n{note}"
    for o in outcomes:
        if not o.ok:
            table += f"\n\nnbgrader could not grade {o.assignment} for {o.student}:\n{o.log}"
    return table


def spending_note() -> str | None:
    """What the summary says when sandboxes get no control group here (None when they do)."""
    why = group_unavailable()
    if why is None:
        return None
    return (
        f"Spending was counted the weaker way: the sandboxes had no control group ({why}). "
        "CPU time was read from /proc, where a process nobody reaps is not counted, and "
        "memory was limited per process, not per sandbox. To refuse to grade instead, set "
        "c.SandboxedExecute.require_cgroup = True (grade as root, or delegate a cgroup)."
    )


def text_table(lines: list[list[str]]) -> str:
    """Rows of strings as left-aligned columns, the first row a header."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )
