"""nbgrader's commands, each in a fresh process forked from one that has imported nbgrader.

Importing nbgrader (Jupyter server extensions, tornado, SQLAlchemy, nbconvert)
takes seconds, as long as grading a NumPy notebook itself, so it is paid once
per grading process rather than once per notebook. A forkserver
(:mod:`multiprocessing`) imports it once per grading process (each Dask
worker, or the process grading one notebook after another); every command
then runs in a new process forked from it, exactly as ``nbgrader
ARGS`` would from a shell: its own working directory, environment and exit
status. Nothing runs in the forkserver but imports, so no command sees
another's state; the student's code never runs in any of these processes,
only in the sandboxed kernel each command starts.

Ctrl-C at the terminal reaches the grader, not these commands: each runs in
a process group of its own. The grader stops them itself
(:func:`interrupt_run`, :func:`stop_run` on a Dask worker), with the SIGINT
nbgrader answers by cancelling the notebook (its kernel and judge end, its
partial output is removed, no grade is written), and waits for them; a
command whose grading process dies is killed with it.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import sys
import tempfile
import threading
import time
from multiprocessing.process import BaseProcess
from pathlib import Path

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["nbgrader.apps.nbgraderapp", "autograder.sandbox.execute"])

STOPPED = -int(signal.SIGINT)  # the status of a command stopped by its run's interrupt
# A Unix socket's address holds 107 bytes. multiprocessing makes the forkserver's socket in
# a folder of its own in the temporary folder (pymp-XXXXXXXX/listener-XXXXXXXX), which a
# long $TMPDIR, or a Dask worker's folder under a long home, pushes past that.
SOCKET_FOLDER_ROOM = 107 - len("/pymp-XXXXXXXX/listener-XXXXXXXX")
STOP_SECONDS = 30.0  # for nbgrader to cancel a notebook before it is killed
_PR_SET_PDEATHSIG = 1

# Reentrant: interrupt_run may run in a signal handler of the thread holding it.
_lock = threading.RLock()
_running: dict[BaseProcess, str] = {}  # the commands of this process, by grading run
_stopped_runs: set[str] = set()
_deadlines: dict[BaseProcess, float] = {}  # when an interrupted command is killed


def can_fork() -> bool:
    """Whether this process may start the forked commands: a daemonic one (a Dask worker
    left at ``distributed.worker.daemon``'s default) may have no multiprocessing children."""
    return not multiprocessing.current_process().daemon


def run_nbgrader(
    root: Path, args: list[str], env: dict[str, str], run: str = ""
) -> tuple[int, str]:
    """Run ``nbgrader ARGS`` in ``root`` with environment ``env``; its exit status and log.

    ``run`` names the grading run it belongs to: once :func:`interrupt_run`
    has stopped that run, a command of it ends with the status
    :data:`STOPPED` (unless it had finished: then its own), and no new one
    starts.
    """
    # The forked process does not share this one's files: it writes its log to a path.
    with tempfile.NamedTemporaryFile(mode="r", prefix="cnn-nbgrader-", suffix=".log") as log:
        process = _CONTEXT.Process(target=_nbgrader_main, args=(str(root), args, env, log.name))
        _start_forkserver()
        try:
            with _lock:
                if run in _stopped_runs:
                    return STOPPED, "stopped before it started: the grading run was interrupted"
                process.start()
                _running[process] = run
                if run in _stopped_runs:  # interrupted while it started, in this very thread
                    _interrupt(process)
            _wait(process)
        except KeyboardInterrupt:  # a caller that leaves Ctrl-C to raise
            if process.pid is not None:
                with _lock:
                    _interrupt(process)
                _wait(process)
            raise
        finally:
            with _lock:
                _running.pop(process, None)
                stopped = _deadlines.pop(process, None) is not None
        status = process.exitcode if process.exitcode is not None else -1
        return STOPPED if stopped and status != 0 else status, log.read()


def interrupt_run(run: str) -> int:
    """Stop grading run ``run`` in this process, without waiting: its commands get SIGINT
    (nbgrader cancels the notebook), and are killed after :data:`STOP_SECONDS`; no new one
    starts. Returns how many were running. Safe in a signal handler."""
    with _lock:
        _stopped_runs.add(run)
        running = [p for p, r in _running.items() if r == run]
        for process in running:
            _interrupt(process)
    return len(running)


def stop_run(run: str, seconds: float = STOP_SECONDS + 5) -> int:
    """:func:`interrupt_run`, then wait until its commands have ended (what a Dask worker runs,
    through ``Client.run``, when the grader is interrupted)."""
    stopping = interrupt_run(run)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with _lock:
            if run not in _running.values():
                break
        time.sleep(0.05)
    return stopping


def _interrupt(process: BaseProcess) -> None:
    if process not in _deadlines:
        _deadlines[process] = time.monotonic() + STOP_SECONDS
        _signal(process, signal.SIGINT)


def _wait(process: BaseProcess) -> None:
    """Wait for a command to end; kill it once it is past its deadline to stop."""
    while process.exitcode is None:
        process.join(0.2)
        deadline = _deadlines.get(process)
        if deadline is not None and time.monotonic() > deadline:
            _signal(process, signal.SIGKILL)


def _signal(process: BaseProcess, number: int) -> None:
    if process.pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, number)


def _start_forkserver() -> None:
    """Start the forkserver, if it is not running, with SIGINT blocked.

    It keeps SIGINT blocked, and every command forked from it starts so: a
    Ctrl-C or an interrupt that comes before the command is ready for it
    waits until it is (:func:`_nbgrader_main`), instead of being lost or
    printing a traceback on the terminal. In this thread, a Ctrl-C meanwhile
    is only held back.
    """
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    chosen = tempfile.tempdir
    try:
        if len(os.fsencode(tempfile.gettempdir())) > SOCKET_FOLDER_ROOM:
            tempfile.tempdir = "/tmp"  # multiprocessing's folder in it is private (mode 700)
        multiprocessing.forkserver.ensure_running()
    finally:
        tempfile.tempdir = chosen
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _nbgrader_main(root: str, args: list[str], env: dict[str, str], log: str) -> None:
    """The forked process: become ``nbgrader ARGS`` run from a shell in ``root``."""
    _write_to(log)  # first: whatever happens next is the log's, never the terminal's
    os.setpgid(0, 0)  # the terminal's Ctrl-C is the grader's to answer, not this command's
    _die_with_the_grading_process()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # the interrupt: nbgrader cancels
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # one sent meanwhile: now
    os.chdir(root)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = ["nbgrader", *args]
    from nbgrader.apps.nbgraderapp import main

    main()


def _die_with_the_grading_process() -> None:
    """Be killed when the forkserver ends, as it does when the process grading ends.

    The forkserver ends once no process holds the descriptor it hands every
    child to keep it alive: this one lets go of its copy.
    """
    alive = getattr(multiprocessing.forkserver._forkserver, "_forkserver_alive_fd", None)
    if alive is not None:
        with contextlib.suppress(OSError):
            os.close(alive)
    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it ended before the line above
        os._exit(1)


def _write_to(log: str) -> None:
    """Send stdout and stderr to ``log``, or nowhere if the grader has removed it already."""
    try:
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW)
    except OSError:
        fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
