"""The judge: runs the hidden checks in a process of its own, on data from the student's kernel.

nbgrader (through :class:`autograder.sandbox.execute.SandboxedExecute`)
starts one judge per notebook, outside the sandbox, listening on a Unix
socket that only the notebook's kernel can reach. Before each test cell,
nbgrader tells the judge (on its standard input) which cell it is about to
run; when that cell's ``grade(...)`` call connects
(:mod:`autograder.kernel.serve`), the judge asks for the student's objects,
runs that cell's checks with pytest, and calls student functions back in
the kernel whenever a check calls them. Only data comes back
(:mod:`autograder.kernel.wire`), so nothing the student's code does to its
own process (patching NumPy, Keras or the runner, printing a score) reaches
the checks. A kernel that asks for another assignment or cell, or connects
when no test cell runs, is refused before any check runs. Each verdict goes
to a results file that nbgrader reads; the kernel's own output never decides
a score.

Run as ``python -m autograder.judge --socket PATH --results PATH --handout DIR
--scratch DIR --assignment ID --sources FILE``, with nbgrader's expectations on
standard input; the sources are the notebook's answer cells as nbgrader read
them, for checks that read the student's code rather than ask the kernel.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import json
import os
import select
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder import assignments
from autograder.cgroups import GroupError, Meter, open_meter
from autograder.checks.api import Spend, Submission
from autograder.checks.plugin import fresh_seed
from autograder.judge import runner, zygote
from autograder.kernel import serve, wire
from autograder.verdicts import CellVerdict

MAX_FIGURE = 2 * 2**20  # bytes of PNG kept for a cell's feedback picture


@dataclass(frozen=True)
class Expectation:
    """The test cell nbgrader runs now, the only one the judge will judge."""

    assignment: str
    cell: str
    token: int
    spend: Spend | None = None  # the training's budget and cost (04, 06)
    meter: Meter | None = None  # where the sandbox's CPU time is read, when a budget applies


class KernelConnection:
    """The student's kernel at the other end of one connection.

    ``process_id`` is the kernel's process as the operating system says (the
    socket's peer credentials, in this process's view), not as the kernel says:
    checks may signal it, as Ctrl-C would.

    Where a budget applies (``spend``), each object taken from the kernel
    comes with a reading of the sandbox's CPU time (``meter``), made after
    it arrived with the sandbox frozen; the sandbox stays frozen until the
    judge next asks the kernel something (:meth:`ask`), or is done with it
    (:meth:`release`), so no student code runs in between but what the
    judge calls.
    """

    def __init__(
        self,
        sock: socket.socket,
        scratch: Path,
        deadline: float | None,
        spend: Spend | None = None,
        meter: Meter | None = None,
    ) -> None:
        self.sock = sock
        self.deadline = deadline
        self.codec = wire.Codec(scratch, resolve=self._resolve)
        self.lost = False  # the kernel hung up (interrupted, died) or broke the wire's rules
        self.process_id = peer_process(sock)
        self.spend, self.meter = spend, meter
        self.held = False  # the sandbox is frozen for a reading

    def _resolve(self, ref: dict[str, Any]) -> Any:
        if ref.get("kind") == "function" and isinstance(ref.get("id"), int):
            return RemoteFunction(self, ref["id"], str(ref.get("type", "function"))[:100])
        return wire.Opaque(str(ref.get("type", "object")))

    def ask(
        self, request: dict[str, Any], blobs: list[bytes] | None = None
    ) -> tuple[dict[str, Any], list[bytes]]:
        """Send a request, wait for the reply (within the connection's deadline)."""
        self.release()  # a frozen kernel answers nothing
        try:
            wire.send(self.sock, request, blobs or [])
            reply, reply_blobs = wire.receive(self.sock, self.deadline)
        except (wire.WireError, OSError):
            self.lost = True
            raise
        if "failure" in reply:
            raise wire.WireError(str(reply["failure"])[: wire.MAX_TEXT])
        return reply, reply_blobs

    def keep(self, value: Any) -> wire.Kept:
        """Have the kernel hold ``value``, so that calls can pass it again as the same object."""
        blobs: list[bytes] = []
        reply, _ = self.ask({"op": "keep", "value": self.codec.encode(value, blobs)}, blobs)
        if not isinstance(reply.get("kept"), int):
            raise wire.WireError("the kernel did not say where it keeps the value")
        return wire.Kept(reply["kept"])

    def collect(self, names: tuple[str, ...]) -> RemoteObjects:
        """The student's objects of these names that the notebook defines, fetched when used.

        Trained models are megabytes that take seconds to save and load:
        only the checks that use one make the kernel send it.
        """
        reply, _ = self.ask({"op": "names", "names": list(names)})
        defined = reply.get("names")
        if not isinstance(defined, list) or not set(defined) <= set(names):
            raise wire.WireError("the kernel's names are not the ones asked for")
        return RemoteObjects(self, tuple(defined))

    def recipe(self, name: str) -> Any:
        """The kernel's record of the fits of its model ``name``: data, and a claim."""
        reply, _ = self.ask({"op": "recipe", "name": name})
        return reply.get("recipe")

    def fetch(self, name: str) -> Any:
        """One of the student's objects, from the kernel."""
        reply, blobs = self.ask({"op": "collect", "names": [name]})
        objects = reply.get("objects")
        if not isinstance(objects, dict) or name not in objects:
            raise wire.WireError(f"the kernel did not send {name!r}")
        if self.spend is not None:
            self.spend.taken[name] = self._read_spend()
        return self.codec.decode(objects[name], blobs)

    def _read_spend(self) -> float | None:
        """The sandbox's CPU seconds now, with it frozen (None without a reading)."""
        if self.meter is None:
            return None
        try:
            self.meter.freeze()
        except (GroupError, OSError):
            return None  # it would not stop: no reading it could not run past
        self.held = True
        try:
            return self.meter.cpu_seconds()
        except OSError:
            return None

    def release(self) -> None:
        """Let the sandbox run again, if a reading froze it."""
        if self.held and self.meter is not None:
            self.held = False
            self.meter.thaw()


class RemoteObjects(Mapping[str, Any]):
    """The student's objects by name, each fetched from the kernel when a check first uses it."""

    def __init__(self, kernel: KernelConnection, names: tuple[str, ...]) -> None:
        self.kernel, self.names = kernel, names
        self.fetched: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self.names:
            raise KeyError(name)
        if name not in self.fetched:
            self.fetched[name] = self.kernel.fetch(name)
        return self.fetched[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def recipe(self, name: str) -> Any:
        """What the kernel recorded of the fits of its model ``name`` (None: nothing)."""
        if name not in self.names:
            return None
        try:
            return self.kernel.recipe(name)
        except (wire.WireError, OSError):
            return None

    def __len__(self) -> int:
        return len(self.names)


class RemoteFunction:
    """A student's function that lives in the kernel; calling it runs it there."""

    def __init__(self, kernel: KernelConnection, number: int, type_name: str) -> None:
        self.kernel, self.number, self.type_name = kernel, number, type_name

    def __repr__(self) -> str:
        return f"<student {self.type_name} #{self.number}>"

    @property
    def process_id(self) -> int:
        """The kernel's process, where the function runs."""
        return self.kernel.process_id

    def keep(self, value: Any) -> wire.Kept:
        """Have the kernel hold a value to pass to this function again as the same object."""
        return self.kernel.keep(value)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.call_with_probes(args, kwargs, ())[0]

    def call_with_probes(
        self,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        probes: tuple[Any, ...],
        report_interrupts: bool = False,
    ) -> tuple[Any, dict[str, Any]]:
        """Call it in the kernel with these probes applied; its result and what they saw.

        With ``report_interrupts``, a KeyboardInterrupt the function lets out
        is its result (a check's own Ctrl-C); otherwise it ends the grading of
        the cell, as nbgrader's time limit does.
        """
        codec = self.kernel.codec
        blobs: list[bytes] = []
        request = {
            "op": "call",
            "id": self.number,
            "args": codec.encode(tuple(args), blobs),
            "kwargs": codec.encode(dict(kwargs), blobs),
            "probes": [[name, options] for name, options in probes],
            "report_interrupts": report_interrupts,
        }
        reply, reply_blobs = self.kernel.ask(request, blobs)
        observed = codec.decode(reply.get("observed", {"$": "dict", "items": []}), reply_blobs)
        if not isinstance(observed, dict):
            raise wire.WireError("the probes' observations are not a mapping")
        if "error" in reply:
            error = wire.rebuild_error(reply["error"] if isinstance(reply["error"], dict) else {})
            error.observed = observed  # type: ignore[attr-defined]
            raise error
        return codec.decode(reply.get("value"), reply_blobs), observed


def peer_process(sock: socket.socket) -> int:
    """The process at the other end of a Unix socket, as the operating system knows it."""
    return zygote.peer_credentials(sock)[0]


def judge_connection(
    sock: socket.socket,
    scratch: Path,
    expected: Expectation | None,
    seed: int | None = None,
    deadline: float | None = None,
    sources: dict[str, str] | None = None,
) -> CellVerdict | None:
    """Judge the test cell a connecting kernel asks for, if it is the expected one.

    Returns the verdict, or None when the kernel asked for another cell (or
    for none) and was refused. A verdict is ``complete`` when the kernel
    answered every question and heard the result; one whose kernel hung up
    halfway (nbgrader's time limit, a crash) or broke the wire's bounds is
    kept for the log but never scores: the cell's error decides, the same on
    every run.
    """
    accepted_at = time.time()  # whatever the kernel prints from now on is not shown
    hello, _ = wire.receive(sock, deadline)
    asked = (hello.get("assignment"), hello.get("cell"))
    if expected is None or asked != (expected.assignment, expected.cell):
        wire.send(sock, {"op": "done", "report": "no test cell of this notebook is running now"})
        return None
    kernel = KernelConnection(sock, scratch, deadline, expected.spend, expected.meter)
    names = assignments.get(expected.assignment).student_names
    try:
        try:
            submission = Submission(kernel.collect(names), sources or {}, expected.spend)
        except (wire.WireError, OSError) as error:
            why = f"the kernel's answer broke the grader's rules: {error}"
            return dataclasses.replace(_lost(expected, why), accepted_at=accepted_at)
        verdict = runner.judge_cell(expected.assignment, expected.cell, submission, seed)
    finally:
        kernel.release()
    try:
        wire.send(sock, {"op": "done", "report": verdict.report})
    except OSError:
        kernel.lost = True
    figure = verdict.figure if verdict.figure and len(verdict.figure) <= MAX_FIGURE else None
    return CellVerdict(
        token=expected.token,
        assignment=expected.assignment,
        cell=expected.cell,
        complete=not kernel.lost,
        earned=verdict.earned,
        report=verdict.report,
        checks=verdict.outcomes(),
        seed=verdict.seed,
        figure=base64.b64encode(figure).decode() if figure else None,
        error=verdict.error,
        accepted_at=accepted_at,
    )


def _lost(expected: Expectation, why: str) -> CellVerdict:
    return CellVerdict(expected.token, expected.assignment, expected.cell, False, error=why)


def judge_in_process(
    assignment: str,
    cell: str,
    namespace: dict[str, Any],
    seed: int | None = None,
    sources: dict[str, str] | None = None,
) -> CellVerdict:
    """Judge one test cell of a notebook's namespace here, over the wire as under nbgrader.

    The kernel's side (:func:`autograder.kernel.serve.serve_on`) runs in this
    thread, as in a kernel, where a check's Ctrl-C reaches it; the judge runs
    in another, over a socket pair: the same questions, answers and data
    format as a sandboxed kernel and its judge. ``sources`` are the
    notebook's answer cells, by ``grade_id``.
    """
    judge_end, kernel_end = socket.socketpair()
    verdicts: list[CellVerdict | None] = []

    def judge_side(scratch: Path) -> None:
        expected = Expectation(assignment, cell, 0)
        try:
            verdicts.append(judge_connection(judge_end, scratch, expected, seed, None, sources))
        finally:
            judge_end.close()

    with (
        tempfile.TemporaryDirectory(prefix="cnn-judge-") as judge_scratch,
        tempfile.TemporaryDirectory(prefix="cnn-kernel-") as kernel_scratch,
        kernel_end,
    ):
        thread = threading.Thread(target=judge_side, args=(Path(judge_scratch),), daemon=True)
        thread.start()
        try:
            serve.serve_on(
                kernel_end, assignment, cell, namespace, wire.Codec(Path(kernel_scratch))
            )
        finally:
            thread.join()
    if not verdicts or verdicts[0] is None:
        raise runner.GradingError(f"cell {cell!r} of {assignment!r} was not judged")
    return verdicts[0]


def grade_here(assignment: str, cell: str, namespace: dict[str, Any]) -> float:
    """Grade one test cell without a judge process; print the report, return the points.

    This is ``grade()`` outside nbgrader's sandbox (plain Jupyter, tests).
    """
    verdict = judge_in_process(assignment, cell, namespace)
    if verdict.error is not None:
        raise runner.GradingError(verdict.error)
    print(verdict.report)
    if verdict.figure:
        _show_figure(base64.b64decode(verdict.figure))
    return verdict.earned


def _show_figure(png: bytes) -> None:
    """Show a feedback picture in the notebook, in a kernel only (nbgrader never scores it)."""
    from IPython import get_ipython
    from IPython.display import Image, display

    if get_ipython() is not None:
        display(Image(data=png))


def expectation(assignment: str, said: dict[str, Any]) -> Expectation:
    """An :class:`Expectation` from nbgrader's JSON line (a spend only where a budget applies).

    A fresh :class:`Spend` per expectation: its readings are this cell's.
    """
    budget = said.get("cpu_budget")
    if budget is None:
        return Expectation(assignment, said["cell"], said["token"])
    spend = Spend(int(budget), tuple(said.get("stopped", ())))
    meter = open_meter(said["meter"]) if said.get("meter") else None
    return Expectation(assignment, said["cell"], said["token"], spend, meter)


class Expectations:
    """What nbgrader says about the cell it runs: a JSON line at a time, on the judge's stdin.

    Read from the raw file descriptor, so that no line waits in a buffer
    that ``select`` cannot see.
    """

    def __init__(self, fd: int, assignment: str) -> None:
        self.fd, self.assignment = fd, assignment
        self.current: Expectation | None = None
        self.closed = False  # nbgrader has gone: the judge ends too
        self._pending = b""

    def read_waiting(self) -> None:
        """Take in every line nbgrader has written so far."""
        while not self.closed and select.select([self.fd], [], [], 0)[0]:
            data = os.read(self.fd, 1 << 16)
            if not data:
                self.closed = True
                return
            *lines, self._pending = (self._pending + data).split(b"\n")
            for line in lines:
                said = json.loads(line)
                self.current = None if said is None else expectation(self.assignment, said)

    def take(self) -> Expectation | None:
        """The expected cell, which one connection uses up."""
        self.read_waiting()
        expected, self.current = self.current, None
        return expected


def judge_kernels(
    listener: socket.socket,
    expectations: Expectations,
    results: Path,
    busy: Path,
    scratch: Path,
    seed: int,
    connection_seconds: float,
    sources: dict[str, str],
) -> None:
    """Judge connection after connection, appending each verdict to ``results``.

    ``busy`` exists while a connection is being judged, so that nbgrader
    reads the verdicts only once the judge is done with a cell. Each
    connection has ``connection_seconds`` to finish. The judge ends when
    nbgrader closes its standard input (nbgrader ended, even killed).
    """
    while not expectations.closed:
        ready = select.select([listener.fileno(), expectations.fd], [], [], 5.0)[0]
        expectations.read_waiting()
        if listener.fileno() not in ready:
            continue
        conn, _ = listener.accept()
        busy.touch()
        try:
            with conn:
                deadline = time.monotonic() + connection_seconds
                expected = expectations.take()
                verdict = judge_connection(conn, scratch, expected, seed, deadline, sources)
            if verdict is not None:
                with results.open("a") as handle:
                    handle.write(verdict.to_json() + "\n")
        except (wire.WireError, OSError):
            pass  # the kernel hung up, or broke the wire's bounds, before asking for anything
        finally:
            busy.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True, type=Path)
    parser.add_argument("--results", required=True, type=Path)
    parser.add_argument("--handout", required=True, type=Path, help="kernel-readable folder")
    parser.add_argument("--scratch", required=True, type=Path, help="the judge's own folder")
    parser.add_argument("--assignment", required=True, choices=assignments.IDS)
    parser.add_argument("--connection-seconds", type=float, default=600.0)
    parser.add_argument("--sources", type=Path, help="the notebook's answer cells, JSON")
    args = parser.parse_args(argv)
    # The checks' temporary files (05's image trees) go where the kernel can read them.
    os.environ["TMPDIR"] = tempfile.tempdir = str(args.handout)
    args.socket.unlink(missing_ok=True)  # a judge started again binds the same path
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(args.socket))
    os.chmod(args.socket, 0o666)  # the kernel runs as a user of its own
    listener.listen(4)
    # One seed per notebook: every cell's random cases differ from the last grading's.
    judge_kernels(
        listener,
        Expectations(sys.stdin.fileno(), args.assignment),
        args.results,
        args.results.with_name("busy"),
        args.scratch,
        fresh_seed(),
        args.connection_seconds,
        json.loads(args.sources.read_text()) if args.sources else {},
    )
