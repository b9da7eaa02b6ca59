"""The judge: runs the hidden checks in a process of its own, on data from the student's kernel.

nbgrader (through :class:`autograder.sandbox.SandboxedExecute`) starts one
judge per notebook, outside the sandbox, listening on a Unix socket that
only the notebook's kernel can reach. When a test cell calls ``grade(...)``
the kernel connects (:mod:`autograder.kernel_side`); the judge asks for the
student's objects, runs that cell's checks with pytest, and calls student
functions back in the kernel whenever a check calls them. Only data comes
back (:mod:`autograder.wire`), so nothing the student's code does to its
own process (patching NumPy, Keras or the runner, printing a score) reaches
the checks. Each verdict goes to a results file that nbgrader reads; the
kernel's own output never decides a score.

Run as ``python -m autograder.judge --socket PATH --results PATH --exchange DIR``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from autograder import assignments
from autograder.assignments import IDS
from autograder.checks.api import Submission
from autograder.checks.conftest import fresh_seed
from autograder.judge import runner
from autograder.kernel import serve, wire


class Kernel:
    """The student's kernel at the other end of one connection."""

    def __init__(self, sock: socket.socket, codec_folder: Path) -> None:
        self.sock = sock
        self.codec = wire.Codec(codec_folder, resolve=self._resolve)
        self.lost = False  # the kernel hung up (interrupted, died) while being judged

    def _resolve(self, ref: dict[str, Any]) -> Any:
        if ref.get("kind") == "function":
            return RemoteFunction(self, int(ref["id"]), str(ref.get("type", "function")))
        return wire.Opaque(str(ref.get("type", "object")))

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            wire.send(self.sock, request)
            reply = wire.receive(self.sock)
        except (wire.WireError, OSError):
            self.lost = True
            raise
        if "failure" in reply:
            raise wire.WireError(str(reply["failure"]))
        return reply

    def collect(self, names: tuple[str, ...]) -> dict[str, Any]:
        """The student's objects of these names that the notebook defines."""
        objects = self.ask({"op": "collect", "names": list(names)})["objects"]
        return {str(name): self.codec.decode(value) for name, value in objects.items()}


class RemoteFunction:
    """A student's function that lives in the kernel; calling it runs it there."""

    def __init__(self, kernel: Kernel, number: int, type_name: str) -> None:
        self.kernel, self.number, self.type_name = kernel, number, type_name

    def __repr__(self) -> str:
        return f"<student {self.type_name} #{self.number}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.call_with_probes(args, kwargs, ())[0]

    def call_with_probes(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], probes: tuple[Any, ...]
    ) -> tuple[Any, dict[str, Any]]:
        """Call it in the kernel with these probes applied; its result and what they saw."""
        encode, decode = self.kernel.codec.encode, self.kernel.codec.decode
        reply = self.kernel.ask(
            {
                "op": "call",
                "id": self.number,
                "args": encode(tuple(args)),
                "kwargs": encode(dict(kwargs)),
                "probes": [[name, options] for name, options in probes],
            }
        )
        observed = decode(reply.get("observed", {"$": "dict", "items": []}))
        for original, after in zip(args, reply.get("args_after", []), strict=False):
            if isinstance(original, np.ndarray) and after is not None:
                after = decode(after)
                if isinstance(after, np.ndarray) and after.shape == original.shape:
                    np.copyto(original, after, casting="unsafe")
        if "error" in reply:
            error = wire.rebuild_error(reply["error"])
            error.observed = observed  # type: ignore[attr-defined]
            raise error
        return decode(reply["value"]), observed


def judge_connection(
    sock: socket.socket, folder: Path, seed: int | None = None
) -> dict[str, Any] | None:
    """Judge the one test cell a connecting kernel asks for; its verdict, or None.

    A verdict is ``complete`` when the kernel answered every question and
    heard the result; one whose kernel hung up halfway (nbgrader's time
    limit, a crash) is kept for the log but never scores: the cell's error
    decides, the same on every run.
    """
    hello = wire.receive(sock)
    assignment, cell = hello.get("assignment"), hello.get("cell")
    if assignment not in IDS or not isinstance(cell, str):
        wire.send(sock, {"op": "done", "report": f"no hidden checks for {assignment!r}"})
        return None
    kernel = Kernel(sock, folder)
    names = assignments.get(assignment).student_names
    verdict = runner.judge_cell(assignment, cell, Submission(kernel.collect(names)), seed)
    try:
        wire.send(sock, {"op": "done", "report": verdict.report})
    except OSError:
        kernel.lost = True
    figure = base64.b64encode(verdict.figure).decode() if verdict.figure else None
    return {
        "assignment": assignment,
        "cell": cell,
        "earned": verdict.earned,
        "report": verdict.report,
        "checks": verdict.checks_as_data(),
        "seed": verdict.seed,
        "figure": figure,
        "error": verdict.error,
        "complete": not kernel.lost,
    }


def judge_in_process(
    assignment: str, cell: str, namespace: dict[str, Any], seed: int | None = None
) -> dict[str, Any]:
    """Judge one test cell of a notebook's namespace here, over the wire as under nbgrader.

    The kernel's side (:func:`autograder.kernel.serve.serve_on`) runs in a
    thread of this process, talking to the judge over a socket pair: the same
    questions, answers and data format as a sandboxed kernel and its judge.
    """
    judge_end, kernel_end = socket.socketpair()
    failures: list[BaseException] = []

    def kernel_side(codec_folder: Path) -> None:
        try:
            serve.serve_on(kernel_end, assignment, cell, namespace, wire.Codec(codec_folder))
        except BaseException as error:  # reported below, as the judge saw it
            failures.append(error)

    with tempfile.TemporaryDirectory(prefix="cnn-judge-") as scratch, judge_end, kernel_end:
        thread = threading.Thread(target=kernel_side, args=(Path(scratch),), daemon=True)
        thread.start()
        verdict = judge_connection(judge_end, Path(scratch), seed)
        thread.join()
    if verdict is None or failures:
        raise runner.GradingError(f"cell {cell!r} of {assignment!r} was not judged: {failures}")
    return verdict


def grade_here(assignment: str, cell: str, namespace: dict[str, Any]) -> float:
    """Grade one test cell without a judge process; print the report, return the points.

    This is ``grade()`` outside nbgrader's sandbox (plain Jupyter, tests).
    """
    verdict = judge_in_process(assignment, cell, namespace)
    if verdict["error"] is not None:
        raise runner.GradingError(verdict["error"])
    print(verdict["report"])
    if verdict["figure"]:
        _show_figure(base64.b64decode(verdict["figure"]))
    return float(verdict["earned"])


def _show_figure(png: bytes) -> None:
    """Show a feedback picture in the notebook, in a kernel only (nbgrader never scores it)."""
    from IPython import get_ipython
    from IPython.display import Image, display

    if get_ipython() is not None:
        display(Image(data=png))


def judge_kernels(
    listener: socket.socket, results: Path, busy: Path, folder: Path, seed: int
) -> None:
    """Judge connection after connection, appending each verdict to ``results``.

    ``busy`` exists while a connection is being judged, so that nbgrader
    reads the verdicts only once the judge is done with a cell. The judge
    ends when nbgrader, its parent, does (even killed), rather than linger.
    """
    parent = os.getppid()
    listener.settimeout(2.0)
    while True:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            if os.getppid() != parent:
                return
            continue
        conn.settimeout(None)
        busy.touch()
        try:
            with conn:
                verdict = judge_connection(conn, folder, seed)
            if verdict is not None:
                with results.open("a") as handle:
                    handle.write(json.dumps(verdict) + "\n")
        except (wire.WireError, OSError):
            pass  # the kernel hung up before asking for anything
        finally:
            busy.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True, type=Path)
    parser.add_argument("--results", required=True, type=Path)
    parser.add_argument("--exchange", required=True, type=Path, help="kernel-readable folder")
    args = parser.parse_args(argv)
    # The checks' temporary files (05's image trees) go where the kernel can read them.
    os.environ["TMPDIR"] = tempfile.tempdir = str(args.exchange)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(args.socket))
    os.chmod(args.socket, 0o666)  # the kernel runs as a user of its own
    listener.listen(4)
    # One seed per notebook: every cell's random cases differ from the last grading's.
    seed = fresh_seed()
    judge_kernels(listener, args.results, args.results.with_name("busy"), args.exchange, seed)


if __name__ == "__main__":
    main()
