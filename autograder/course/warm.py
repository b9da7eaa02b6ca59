"""nbgrader's commands, each in a fresh process forked from one that has imported nbgrader.

Importing nbgrader (Jupyter server extensions, tornado, SQLAlchemy, nbconvert)
takes about 2 s, which was a third of the time to autograde a NumPy notebook.
A forkserver (:mod:`multiprocessing`) imports it once per grading process
(each Dask worker, or the process grading one notebook after another); every
command then runs in a new process forked from it, exactly as ``nbgrader
ARGS`` would from a shell: its own working directory, environment and exit
status. Nothing runs in the forkserver but imports, so no command sees
another's state; the student's code never runs in any of these processes,
only in the sandboxed kernel each command starts.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
from pathlib import Path

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["nbgrader.apps.nbgraderapp", "autograder.sandbox.execute"])


def can_fork() -> bool:
    """Whether this process may start the forked commands: a daemonic one (a Dask worker
    left at ``distributed.worker.daemon``'s default) may have no multiprocessing children."""
    return not multiprocessing.current_process().daemon


def run_nbgrader(root: Path, args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run ``nbgrader ARGS`` in ``root`` with environment ``env``; its exit status and log."""
    # The forked process does not share this one's files: it writes its log to a path.
    with tempfile.NamedTemporaryFile(mode="r", prefix="cnn-nbgrader-", suffix=".log") as log:
        process = _CONTEXT.Process(target=_nbgrader_main, args=(str(root), args, env, log.name))
        process.start()
        process.join()
        return process.exitcode if process.exitcode is not None else -1, log.read()


def _nbgrader_main(root: str, args: list[str], env: dict[str, str], log: str) -> None:
    """The forked process: become ``nbgrader ARGS`` run from a shell in ``root``."""
    os.chdir(root)
    os.environ.clear()
    os.environ.update(env)
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.argv = ["nbgrader", *args]
    from nbgrader.apps.nbgraderapp import main

    main()
