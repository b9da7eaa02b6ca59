"""The student kernel's half of grading: answer the judge's questions, decide nothing.

When nbgrader grades a notebook in this course, the hidden checks run in a
separate judge process (:mod:`autograder.judge.service`) that the student's
code cannot reach. A test cell's ``grade(...)`` call connects to the judge
and then only serves it: it hands over the objects the judge asks for, calls
student functions with the arguments the judge sends, and returns what they
return, all as data (:mod:`autograder.kernel.wire`). The score is the
judge's, and nbgrader takes it from the judge, not from this kernel's output.

This module runs in the student's kernel: it holds no check and no answer.
"""

from __future__ import annotations

import os
import signal
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

from autograder.kernel import budget, probes, recipes, wire

JUDGE_SOCKET = "CNN_GRADER_JUDGE"  # the judge's Unix socket


def judged_outside() -> bool:
    """Whether a judge is waiting for this kernel (nbgrader grading in the sandbox)."""
    return bool(os.environ.get(JUDGE_SOCKET))


def serve(assignment: str, cell: str, namespace: dict[str, Any]) -> None:
    """Serve the judge for one test cell until it has decided."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(os.environ[JUDGE_SOCKET])
        # Model files pass through /tmp, each in a folder of its own, only when there are any.
        serve_on(sock, assignment, cell, namespace, wire.Codec(Path(tempfile.gettempdir())))


def serve_on(
    sock: socket.socket, assignment: str, cell: str, namespace: dict[str, Any], codec: wire.Codec
) -> None:
    """Ask the judge at the other end of ``sock`` to judge one cell; answer it until it is done.

    The training budget stops nothing meanwhile (:func:`budget.serving`): the
    judge, not a stop, decides what a model trained past it earns.
    """
    ctrl_c_raises_keyboard_interrupt()
    with budget.serving():
        wire.send(sock, {"op": "grade", "assignment": assignment, "cell": cell})
        while True:
            request, blobs = wire.receive(sock)
            if request.get("op") == "done":
                return  # nbgrader shows the judge's report and score, not this kernel's
            reply_blobs: list[bytes] = []
            reply = answer(request, blobs, namespace, codec, reply_blobs)
            wire.send(sock, reply, reply_blobs)


def ctrl_c_raises_keyboard_interrupt() -> None:
    """Make Ctrl-C raise KeyboardInterrupt here, as in any Python started from a terminal.

    A process started in the background by a non-interactive shell (a CI job,
    ``nohup``) inherits SIGINT ignored, and Python then installs no handler:
    the judge's real Ctrl-C (05) would pass unseen and a correct loader would
    lose its point. Only the main thread may set a handler; it is where the
    student's code runs.
    """
    ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    if ignored and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def answer(
    request: dict[str, Any],
    blobs: list[bytes],
    namespace: dict[str, Any],
    codec: wire.Codec,
    reply_blobs: list[bytes],
) -> dict[str, Any]:
    """The reply to one request of the judge (its blobs go into ``reply_blobs``)."""
    op = request.get("op")
    if op == "names":  # which of these the notebook defines
        return {
            "names": [n for n in request.get("names", []) if isinstance(n, str) and n in namespace]
        }
    if op == "collect":
        names = [n for n in request.get("names", []) if isinstance(n, str) and n in namespace]
        return {"objects": {name: codec.encode(namespace[name], reply_blobs) for name in names}}
    if op == "call":
        return call(request, blobs, codec, reply_blobs)
    if op == "recipe":  # what each fit of a model asked for (a claim: it is what the judge trains)
        return recipes.answer(request, namespace)
    if op == "keep":  # a value the judge will pass again, as the very same object
        return {"kept": codec.keep(codec.decode(request.get("value"), blobs))}
    return {"failure": f"unknown request {str(op)[:40]!r}"}


def call(
    request: dict[str, Any], blobs: list[bytes], codec: wire.Codec, reply_blobs: list[bytes]
) -> dict[str, Any]:
    """Call a student function the judge holds a reference to; report result or error."""
    function = codec.objects.get(request.get("id"))  # type: ignore[arg-type]
    if function is None:
        return {"failure": "no such function"}
    args = codec.decode(request.get("args", {"$": "tuple", "items": []}), blobs)
    kwargs = codec.decode(request.get("kwargs", {"$": "dict", "items": []}), blobs)
    chosen = [(str(name), dict(options)) for name, options in request.get("probes", [])]
    reply: dict[str, Any] = {}
    with probes.applied(chosen) as observed:
        try:
            reply["value"] = codec.encode(function(*args, **kwargs), reply_blobs)
        except KeyboardInterrupt as error:
            if not request.get("report_interrupts"):
                raise  # nbgrader's time limit: stop grading this cell
            reply["error"] = wire.describe_error(error)  # the judge's own Ctrl-C, a finding
        except BaseException as error:  # the student's error (SystemExit too) is a finding
            reply["error"] = wire.describe_error(error)
    reply["observed"] = codec.encode(observed, reply_blobs)
    return reply
