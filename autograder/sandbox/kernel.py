"""Starting a student's kernel in the sandbox, with its judge beside it.

nbgrader's execution (:class:`~autograder.sandbox.execute.SandboxedExecute`)
starts one :class:`Judge` per notebook, outside the sandbox, and kernels
through :class:`SandboxedKernelManager`, whose command line is
:func:`~autograder.sandbox.command.sandbox_command`. The kernel talks to
nbgrader over Unix sockets (Jupyter's ``ipc`` transport) in a runtime folder
that is bound into the sandbox; TCP would need the network the sandbox takes
away. The judge's socket is the one other thing the kernel can reach.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager

from autograder.kernel import serve
from autograder.sandbox.command import (
    hidden_paths,
    kernel_environment,
    kernel_uid,
    readable_paths,
    sandbox_command,
)


class Judge:
    """The judge process of one notebook (:mod:`autograder.judge`) and the folders it shares.

    ``socket_dir`` holds its socket; ``exchange`` is where it writes files for
    the kernel (read-only there), ``outbox`` where the kernel writes models
    for it. Verdicts accumulate in ``results``, one JSON line per test cell.
    """

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="cnn-judge-"))
        self.socket_dir, self.exchange, self.outbox = (
            self.folder / name for name in ("socket", "exchange", "outbox")
        )
        for folder in (self.folder, self.socket_dir, self.exchange, self.outbox):
            folder.mkdir(exist_ok=True)
            folder.chmod(0o755)
        self.socket = self.socket_dir / "judge.sock"
        self.results = self.folder / "results.jsonl"
        self.results.touch()
        self.log_path = self.folder / "judge.log"
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "autograder.judge", "--socket", str(self.socket),
                 "--results", str(self.results), "--exchange", str(self.exchange)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        self._wait_for_socket()

    def _wait_for_socket(self, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = self.log_path.read_text()[-3000:]
                self.close()
                raise RuntimeError(f"the judge did not start:\n{log}")
            time.sleep(0.05)

    def verdicts(self) -> list[dict[str, Any]]:
        """Every verdict so far, oldest first, once the judge is done with the current cell."""
        deadline = time.monotonic() + 120
        while (self.folder / "busy").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        lines = self.results.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def close(self) -> None:
        """Stop the judge and remove its folders."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


class SandboxedKernelManager(AsyncKernelManager):
    """Starts a kernel inside :func:`sandbox_command`, talking over Unix sockets."""

    judge: Judge | None = None  # set by SandboxedExecute before the kernel starts

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runtime_dir = Path(tempfile.mkdtemp(prefix="cnn-kernel-"))
        self.transport = "ipc"
        self.connection_file = str(self.runtime_dir / "kernel.json")
        self.ip = str(self.runtime_dir / "kernel-ipc")
        self.uid = kernel_uid()
        root = self.config.get("CourseDirectory", {}).get("root") or os.getcwd()
        self.course_root = Path(root).resolve()

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        # ipykernel's signal-mode interrupt would signal bwrap, which does not
        # pass it on; an interrupt request over the control socket reaches Python.
        self.kernel_spec.interrupt_mode = "message"
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        workdir = Path(kw.get("cwd") or os.getcwd()).resolve()
        owned = [workdir, self.runtime_dir]  # folders the kernel writes in
        shared: list[Path] = []  # the judge's socket folder and the files it writes
        environment = kernel_environment(kw.get("env") or dict(os.environ))
        if self.judge is not None:
            owned.append(self.judge.outbox)
            shared = [self.judge.socket_dir, self.judge.exchange]
            environment[serve.JUDGE_SOCKET] = str(self.judge.socket)
            environment[serve.OUTBOX] = str(self.judge.outbox)
        self._hand_over(owned)
        command = sandbox_command(
            kernel_cmd,
            workdir=workdir,
            writable=owned,
            hidden=hidden_paths(self.course_root),
            readable=[*readable_paths(), *shared],
            uid=self.uid,
        )
        kw["env"] = environment
        return command, kw

    def _hand_over(self, folders: list[Path]) -> None:
        """Give the kernel's own user id the folders it writes in."""
        if self.uid is None:
            return
        for folder in folders:
            for path in [folder, *folder.rglob("*")]:
                os.chown(path, self.uid, self.uid, follow_symlinks=False)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self.runtime_dir, ignore_errors=True)
