"""Judges forked from one process that has imported TensorFlow, instead of each importing it.

A judge of a TensorFlow assignment spends about 7 CPU seconds importing
Keras before it can load the first model a kernel sends: as long as judging
a NumPy notebook whole, once per notebook. A grading process therefore
starts one zygote (:func:`start`): a process of the grader's own user that
imports Keras, the judge and pytest, with one thread, and then only listens.
Each judge is forked from it (:func:`fork_judge`) exactly as
``prlimit ... timeout ... python -m autograder.judge ARGS`` would start it:
its own session, the judge's limits (address space, CPU, file size, no core
file, a wall-clock limit after which the zygote kills its session), its
standard input a pipe from nbgrader's process and its output the judge's log,
the caller's working folder and environment. The judge ends when that pipe
closes, as before.

No thread runs in the zygote when it forks (one-thread BLAS, no TensorFlow op
ever run there), so a child starts from a consistent copy. It answers only
processes of its own user (the socket's peer credentials): a student's kernel
runs as another user, in another network namespace. nbgrader's process talks
only to a zygote of its own user, and the address is in no command line, so
nobody else can listen there first and pose as one. It ends when the grading
process does (the end of a pipe only that process holds). Where no zygote runs
(``JUDGE_ZYGOTE`` unset, or it cannot be reached), the judge is started as a
process of its own (:class:`autograder.sandbox.processes.JudgeProcess`).

Run as ``python -m autograder.judge.zygote ALIVE_FD MODULE...`` with its address in
``JUDGE_ZYGOTE``.
"""

from __future__ import annotations

import array
import contextlib
import dataclasses
import json
import os
import resource
import secrets
import select
import signal
import socket
import struct
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ADDRESS_VARIABLE = "JUDGE_ZYGOTE"  # the zygote's abstract socket name, for nbgrader's process
PRELOAD = ("keras", "pytest", "autograder.judge.service", "autograder.checks.replay")
MAX_REQUEST = 1 << 20  # bytes: arguments, the environment and the working folder
PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding this autograder/


@dataclass(frozen=True)
class JudgeLimits:
    """What ``prlimit`` and ``timeout`` set for a judge started as a process of its own."""

    address_space: int
    cpu_seconds: int
    file_size: int
    wall_seconds: int


# --- The grading process's side -------------------------------------------------------------


class Zygote:
    """A running zygote: its address, and the pipe whose end tells it to stop."""

    def __init__(self, process: subprocess.Popen[bytes], address: str, alive: int) -> None:
        self.process, self.address, self._alive = process, address, alive

    def ready(self, seconds: float = 120.0) -> bool:
        """Wait until it listens (it imports TensorFlow first); False if it ended or took longer."""
        deadline = time.monotonic() + seconds
        while not answers(self.address):
            if self.process.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def stop(self) -> None:
        """End the zygote (its judges end with their nbgrader processes)."""
        with contextlib.suppress(OSError):
            os.close(self._alive)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(environment: dict[str, str], preload: tuple[str, ...] = PRELOAD) -> Zygote:
    """Start a zygote with ``environment`` (one thread for BLAS and TensorFlow).

    It listens once it has imported ``preload`` (:meth:`Zygote.ready`).
    """
    address = f"cnn-judge-zygote-{secrets.token_hex(16)}"
    alive_r, alive_w = os.pipe()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(alive_r), *preload],
            pass_fds=(alive_r,),
            # Not in its command line, which every user may read: whoever knows the address
            # before the zygote listens could listen there first.
            env={**environment, ADDRESS_VARIABLE: address},
            cwd=PACKAGE_ROOT,  # `-m` imports from there: the very package this grader runs
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,  # TensorFlow's notices are no news to the grader's user;
            stderr=subprocess.DEVNULL,  # a zygote that fails leaves judges to start on their own
            start_new_session=True,  # Ctrl-C at the terminal is the grader's to pass on
        )
    except BaseException:
        os.close(alive_w)
        raise
    finally:
        os.close(alive_r)
    return Zygote(process, address, alive_w)


def answers(address: str) -> bool:
    """Whether a zygote listens at ``address``."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            _connect(probe, address)
        except OSError:
            return False
        with contextlib.suppress(OSError):
            probe.sendall(b"\n")  # an empty request: the zygote hangs up,
            probe.settimeout(5)
            probe.recv(1)  # which is waited for, so that no probe outlives this call
        return True


# --- nbgrader's side: a judge forked by the zygote ------------------------------------------


class ForkedJudge:
    """A judge forked by the zygote, handled as :class:`subprocess.Popen` handles one.

    ``pid`` leads a session of its own; ``stdin`` is the pipe the judge
    reads nbgrader's expectations from. Its exit status comes from the
    zygote, which reaps it, over the connection that asked for it.
    """

    def __init__(
        self, connection: socket.socket, pid: int, stdin: IO[str], received: bytes = b""
    ) -> None:
        self._connection, self.pid, self.stdin = connection, pid, stdin
        self.returncode: int | None = None
        self._received = received
        self._read_status()

    def poll(self) -> int | None:
        """The exit status, if the judge has ended."""
        if self.returncode is None:
            self._read(0.0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the judge to end; :class:`subprocess.TimeoutExpired` after ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired("judge", timeout or 0.0)
            self._read(left)
        return self.returncode

    def _read(self, seconds: float | None) -> None:
        readable, _, _ = select.select([self._connection], [], [], seconds)
        if not readable:
            return
        try:
            data = self._connection.recv(4096)
        except OSError:
            data = b""
        self._received += data
        if not self._read_status() and not data:
            # The zygote has ended, and with it the judge's status; not the judge itself.
            if _running(self.pid):
                time.sleep(0.05)
            else:
                self._ended(-signal.SIGKILL)

    def _read_status(self) -> bool:
        if b"\n" not in self._received:
            return False
        reply = json.loads(self._received.split(b"\n", 1)[0])
        self._ended(int(reply.get("returncode", -signal.SIGKILL)))
        return True

    def _ended(self, returncode: int) -> None:
        self.returncode = returncode
        self._connection.close()


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie nobody reaps has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _connect(connection: socket.socket, address: str) -> None:
    """Connect to the zygote at ``address``, if it is one of this user's processes."""
    connection.connect("\0" + address)
    if peer_credentials(connection)[1] != os.getuid():
        raise PermissionError(f"{address} is another user's")


def peer_credentials(connection: socket.socket) -> tuple[int, int, int]:
    """The process, user and group at the other end of a Unix socket, as the kernel says."""
    size = struct.calcsize("3i")
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, size)
    pid, uid, gid = struct.unpack("3i", credentials)
    return pid, uid, gid


def fork_judge(
    address: str, argv: list[str], limits: JudgeLimits, log: IO[Any], environment: dict[str, str]
) -> ForkedJudge:
    """Ask the zygote at ``address`` for a judge run with ``argv`` (the judge's arguments).

    Raises :class:`OSError` when no zygote answers there.
    """
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    read_end, write_end = os.pipe()
    try:
        _connect(connection, address)
        request = {
            "argv": argv,
            "limits": dataclasses.asdict(limits),
            "cwd": os.getcwd(),
            "env": environment,
        }
        fds = array.array("i", [read_end, log.fileno()])
        connection.sendmsg(
            [json.dumps(request).encode() + b"\n"],
            [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds.tobytes())],
        )
        os.close(read_end)
        read_end = -1
        reply, rest = _line(connection, 60.0)
        pid = int(json.loads(reply)["pid"])
    except BaseException:
        connection.close()
        if read_end >= 0:
            os.close(read_end)
        os.close(write_end)
        raise
    return ForkedJudge(connection, pid, os.fdopen(write_end, "w"), rest)


def _line(connection: socket.socket, seconds: float) -> tuple[bytes, bytes]:
    """The first line the zygote sends, and whatever came after it."""
    received = b""
    deadline = time.monotonic() + seconds
    while b"\n" not in received:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([connection], [], [], left)[0]:
            raise OSError("the judges' zygote did not answer")
        data = connection.recv(4096)
        if not data:
            raise OSError("the judges' zygote hung up")
        received += data
    line, rest = received.split(b"\n", 1)
    return line, rest


# --- The zygote itself ----------------------------------------------------------------------


def serve(address: str, alive: int, preload: tuple[str, ...] = PRELOAD) -> None:
    """Import ``preload``, then fork a judge for each request until ``alive`` closes."""
    import importlib

    for module in preload:
        importlib.import_module(module)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0" + address)
    listener.listen(16)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    children: dict[int, tuple[socket.socket, float]] = {}  # pid: its caller, its deadline
    while True:
        waiting = [min(d for _, d in children.values()) - time.monotonic()] if children else []
        timeout = max(0.0, min([1.0, *waiting]))
        readable, _, _ = select.select([listener.fileno(), alive, wake_r], [], [], timeout)
        if alive in readable:
            return  # the grading process has ended: judges end with their nbgrader processes
        if wake_r in readable:
            with contextlib.suppress(BlockingIOError):
                os.read(wake_r, 4096)
        if listener.fileno() in readable:
            _accept(listener, children, closing=(listener.fileno(), alive, wake_r, wake_w))
        _reap(children)
        now = time.monotonic()
        for pid, (_, deadline) in list(children.items()):
            if now > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)


def _accept(
    listener: socket.socket,
    children: dict[int, tuple[socket.socket, float]],
    closing: tuple[int, ...],
) -> None:
    connection, _ = listener.accept()
    try:
        uid = peer_credentials(connection)[1]
        if uid != os.getuid():
            raise PermissionError(f"a request from uid {uid}")
        request, fds = _request(connection)
    except (OSError, ValueError):
        connection.close()
        return
    if request is None:  # a probe
        connection.close()
        return
    pid = -1
    try:
        limits = JudgeLimits(**request["limits"])
        others = [c.fileno() for c, _ in children.values()]
        pid = os.fork()
    except (OSError, KeyError, TypeError):
        pass
    if pid == 0:
        _become_judge(request, limits, fds, (*closing, connection.fileno(), *others))
    for fd in fds:
        os.close(fd)
    if pid < 0:  # the caller hears nothing and starts a judge of its own
        connection.close()
        return
    try:
        connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    except OSError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    children[pid] = (connection, time.monotonic() + limits.wall_seconds)


def _request(connection: socket.socket) -> tuple[dict[str, Any] | None, list[int]]:
    """One request line and the two descriptors sent with it (stdin's pipe, the log)."""
    connection.settimeout(10)
    received, fds = b"", list[int]()
    while b"\n" not in received:
        data, ancillary, _, _ = connection.recvmsg(65536, socket.CMSG_SPACE(2 * 4))
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                usable = len(payload) - len(payload) % 4
                fds.extend(array.array("i", payload[:usable]))
        if not data:
            break
        received += data
        if len(received) > MAX_REQUEST:
            break
    line = received.split(b"\n", 1)[0].strip()
    request = None
    try:
        if line:
            if len(fds) != 2:
                raise ValueError("a request without its two descriptors")
            request = json.loads(line)
    finally:
        if request is None:  # a probe, or a request it cannot read: nothing to hand on
            for fd in fds:
                os.close(fd)
    return (request, fds) if request is not None else (None, [])


def _become_judge(
    request: dict[str, Any], limits: JudgeLimits, fds: list[int], closing: tuple[int, ...]
) -> None:
    """In the forked child: the judge's session, limits, descriptors and folder; then the judge."""
    status = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in closing:
            with contextlib.suppress(OSError):
                os.close(fd)
        os.setsid()
        for kind, value in (
            (resource.RLIMIT_AS, limits.address_space),
            (resource.RLIMIT_CPU, limits.cpu_seconds),
            (resource.RLIMIT_FSIZE, limits.file_size),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(kind, (value, value))
        stdin, log = fds
        os.dup2(stdin, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(stdin)
        os.close(log)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        from autograder.judge import service

        service.main(list(request["argv"]))
        status = 0
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(status)


def _reap(children: dict[int, tuple[socket.socket, float]]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        connection, _ = children.pop(pid, (None, 0.0))
        if connection is None:
            continue
        with contextlib.suppress(OSError):
            code = os.waitstatus_to_exitcode(status)
            connection.sendall(json.dumps({"returncode": code}).encode() + b"\n")
        connection.close()


if __name__ == "__main__":
    serve(os.environ.pop(ADDRESS_VARIABLE), int(sys.argv[1]), tuple(sys.argv[2:]))
