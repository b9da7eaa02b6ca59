"""Starting a student's kernel in the sandbox, with its judge beside it.

nbgrader's execution (:class:`~autograder.sandbox.execute.SandboxedExecute`)
starts one :class:`JudgeProcess` per notebook, outside the sandbox, and kernels
through :class:`SandboxedKernelManager`, whose command line is
:func:`~autograder.sandbox.command.sandbox_command`. The kernel talks to
nbgrader over Unix sockets (Jupyter's ``ipc`` transport) in a runtime folder
that is bound into the sandbox; TCP would need the network the sandbox takes
away. The judge's socket is the one other thing the kernel can reach.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import Type

from autograder import assignments
from autograder.cgroups import Group, GroupUnavailable, ProcessTree, make_group
from autograder.judge import zygote
from autograder.kernel import launch, serve
from autograder.sandbox.command import (
    LIMITS,
    ONE_THREAD,
    GiB,
    Limits,
    SandboxUnavailable,
    group_limits,
    kernel_environment,
    kernel_uid,
    readable_paths,
    sandbox_command,
)
from autograder.verdicts import CellVerdict
from source_data.grading_view import grading_view

# The judge's own limits: it reads what the kernel sends and must die alone if that is
# too much. TensorFlow maps gigabytes of address space, as in the kernel.
JUDGE_LIMITS = zygote.JudgeLimits(
    address_space=8 * GiB, cpu_seconds=1800, file_size=Limits().file_size, wall_seconds=2400
)


class JudgeProcess:
    """The judge process of one notebook (:mod:`autograder.judge.service`) and its folders.

    ``socket_dir`` holds its socket and ``handout`` the files it writes for
    the kernel (both read-only in the sandbox); ``scratch`` is its own, where
    it unpacks the models a kernel sends. nbgrader tells it, line by line on
    its standard input, which cell may be judged now (:meth:`announce`);
    verdicts accumulate in ``results``, one JSON line per judged cell. The
    judge runs under its own limits, in a session of its own, so that it can
    die alone; :meth:`announce` starts it again if it did.
    """

    def __init__(
        self, assignment: str, connection_seconds: float, sources: dict[str, str] | None = None
    ) -> None:
        self.assignment, self.connection_seconds = assignment, connection_seconds
        self.folder = Path(tempfile.mkdtemp(prefix="cnn-judge-"))
        self.process: subprocess.Popen[str] | zygote.ForkedJudge | None = None
        try:
            self._lay_out(sources)
            self._start()
        except BaseException:  # Ctrl-C included: nothing of it is left behind
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def _lay_out(self, sources: dict[str, str] | None) -> None:
        """Make the judge's folders and files, each with its mode."""
        self.folder.chmod(0o755)  # the kernel's own user reaches the socket and the handout
        self.socket_dir, self.handout, self.scratch = (
            self.folder / name for name in ("socket", "handout", "scratch")
        )
        for folder, mode in (
            (self.socket_dir, 0o755),
            (self.handout, 0o755),
            (self.scratch, 0o700),
        ):
            folder.mkdir()
            folder.chmod(mode)
        self.socket = self.socket_dir / "judge.sock"
        self.results = self.folder / "results.jsonl"
        self.busy = self.folder / "busy"
        self.log_path = self.folder / "judge.log"
        self.results.touch()
        self.sources = self.folder / "sources.json"  # the answer cells, as nbgrader read them
        self.sources.write_text(json.dumps(sources or {}))

    def __enter__(self) -> JudgeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _arguments(self) -> list[str]:
        return [
            "--socket", str(self.socket), "--results", str(self.results),
            "--handout", str(self.handout), "--scratch", str(self.scratch),
            "--assignment", self.assignment,
            "--connection-seconds", str(self.connection_seconds),
            "--sources", str(self.sources),
        ]  # fmt: skip

    def _command(self) -> list[str]:
        limits = JUDGE_LIMITS
        return [
            "prlimit", f"--as={limits.address_space}", f"--cpu={limits.cpu_seconds}",
            f"--fsize={limits.file_size}", "--core=0", "--",
            "timeout", "--signal=KILL", str(limits.wall_seconds),
            sys.executable, "-m", "autograder.judge", *self._arguments(),
        ]  # fmt: skip

    def _start(self) -> None:
        """Start the judge; it gets ready while the kernel starts (see :meth:`_wait_ready`).

        Forked from the grading process's zygote where one runs (TensorFlow
        already imported, :mod:`autograder.judge.zygote`), else a process of its own.
        """
        self.socket.unlink(missing_ok=True)
        self.busy.unlink(missing_ok=True)
        environment = {**os.environ, **ONE_THREAD}  # it trains recipes as the kernel does
        address = os.environ.get(zygote.ADDRESS_VARIABLE)
        with self.log_path.open("a") as log:
            if address:
                try:
                    self.process = zygote.fork_judge(
                        address, self._arguments(), JUDGE_LIMITS, log, environment
                    )
                    return
                except (OSError, ValueError, KeyError):
                    pass  # no zygote answers there: the judge starts on its own
            self.process = subprocess.Popen(
                self._command(),
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,  # its end, or a signal to its group, is its alone
                env=environment,
            )

    def _wait_ready(self, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while not self.socket.exists():
            if not self.alive() or time.monotonic() > deadline:
                log_tail = self.log_path.read_text(errors="replace")[-3000:]
                self.close()
                raise RuntimeError(f"the judge did not start:\n{log_tail}")
            time.sleep(0.02)

    def alive(self) -> bool:
        """Whether the judge process is running."""
        return self.process is not None and self.process.poll() is None

    def announce(self, said: dict[str, Any] | None) -> None:
        """Tell the judge which cell it may judge now (``{"cell", "token"}``), or none."""
        if not self.alive():
            self._start()
        self._wait_ready()
        assert self.process is not None and self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(said) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            self._start()  # it died between the check and the write
            self._wait_ready()
            assert self.process is not None and self.process.stdin is not None
            self.process.stdin.write(json.dumps(said) + "\n")
            self.process.stdin.flush()

    def verdict(
        self, token: int, kernel_alive: Callable[[], bool], seconds: float
    ) -> CellVerdict | None:
        """The verdict on the cell announced as ``token``, once the judge is done with it.

        It waits only while the judge is busy, alive, the kernel still there,
        and for at most ``seconds``: a verdict whose kernel is gone could not
        be complete. Returns the last verdict of that token, complete or not.
        """
        deadline = time.monotonic() + seconds
        while self.busy.exists() and self.alive() and kernel_alive():
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        found = None
        for line in self.results.read_text(errors="replace").splitlines():
            verdict = CellVerdict.from_json(line)
            if verdict is not None and verdict.token == token:
                found = verdict
        return found

    def close(self) -> None:
        """Stop the judge and remove its folders, even when Ctrl-C comes while it stops."""
        try:
            self._stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _stop(self) -> None:
        if self.process is None:
            return
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()  # the judge ends when nbgrader stops talking
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._kill()
        except BaseException:  # Ctrl-C while waiting: the judge ends all the same
            self._kill()
            raise

    def _kill(self) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def handed_files(release: Path) -> dict[str, Path]:
    """The files released beside a notebook (``course_data.py``): regular, top level."""
    if not release.is_dir():
        return {}
    return {
        path.name: path
        for path in sorted(release.iterdir())
        if path.is_file() and not path.is_symlink() and path.suffix != ".ipynb"
    }


def launched_by_the_course(kernel_cmd: list[str]) -> list[str]:
    """The kernelspec's command with the course's launcher (:mod:`autograder.kernel.launch`)
    in place of ``ipykernel_launcher``, which it runs after installing the budget's stop."""
    return [launch.__name__ if part == "ipykernel_launcher" else part for part in kernel_cmd]


# The largest message the grader reads from a kernel. Output past 2,000,000 characters
# per cell is dropped anyway (SandboxedExecute), but a kernel whose thread prints without
# end can send single messages of gigabytes, each read and decoded in full unless ZeroMQ
# refuses it first.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


class GraderKernelClient(AsyncKernelClient):
    """The grader's client of a student's kernel: ZeroMQ refuses any message over
    :data:`MAX_MESSAGE_BYTES` before it takes memory here.

    It ends that channel's connection for good (a protocol error): a kernel that
    sends one hears no more on it, and its later cells show no output. Their
    verdicts come from the judge, not from that output.
    """

    def _context_default(self) -> zmq.asyncio.Context:
        context = super()._context_default()
        context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        return context


class SandboxedKernelManager(AsyncKernelManager):
    """Starts a kernel inside :func:`sandbox_command`, talking over Unix sockets.

    The kernel gets the files released beside its notebook (copies, read-only)
    in a folder of its own in the sandbox's memory, never the notebook's
    real folder: whatever it leaves there (links, pipes, huge files) is gone
    with it, and nothing nbgrader writes afterwards can follow it.
    """

    client_factory = Type(GraderKernelClient)
    judge: JudgeProcess | None = None  # set by SandboxedExecute before the kernel starts
    cpu_budget: int | None = None  # likewise: the notebook's training budget, if it has one
    require_group: bool = False  # likewise: refuse to start a kernel without a control group
    group: Group | None = None  # the sandbox's control group, while it exists

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runtime_dir = Path(tempfile.mkdtemp(prefix="cnn-kernel-"))
        self.handout_dir = Path(tempfile.mkdtemp(prefix="cnn-handout-"))
        self.handout_dir.chmod(0o755)
        self.transport = "ipc"
        self.connection_file = str(self.runtime_dir / "kernel.json")
        self.ip = str(self.runtime_dir / "kernel-ipc")
        self.uid = kernel_uid()
        coursedir = self.config.get("CourseDirectory", {})
        self.course_root = Path(coursedir.get("root") or os.getcwd()).resolve()
        self.release_directory = str(coursedir.get("release_directory") or "release")

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        # ipykernel's signal-mode interrupt would signal bwrap, which does not
        # pass it on; an interrupt request over the control socket reaches Python.
        if self.kernel_spec is not None:
            self.kernel_spec.interrupt_mode = "message"
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        workdir = Path(kw.get("cwd") or os.getcwd()).resolve()
        data = self._data_view(workdir.name)
        environment = kernel_environment(kw.get("env") or dict(os.environ), data)
        shared: list[Path] = []  # the judge's socket folder and the files it writes
        if self.judge is not None:
            shared = [self.judge.socket_dir, self.judge.handout]
            environment[serve.JUDGE_SOCKET] = str(self.judge.socket)
        if self.cpu_budget is not None:
            environment[launch.BUDGET_VARIABLE] = str(self.cpu_budget)
        self._hand_over(self.runtime_dir)
        limits = dataclasses.replace(LIMITS, cpu_budget=self.cpu_budget)
        self.group = self._make_group(limits)
        command = sandbox_command(
            launched_by_the_course(kernel_cmd),
            workdir=workdir,
            handed=self._copy_handed(workdir.name),
            writable=[self.runtime_dir],
            readable=[*readable_paths(data), *shared],
            uid=self.uid,
            limits=limits,
            group=self.group,
        )
        kw["env"] = environment
        return command, kw

    def _make_group(self, limits: Limits) -> Group | None:
        """The sandbox's control group; None where none can be made (unless one is required)."""
        self.remove_group()  # a kernel started again gets a group of its own
        try:
            return make_group(group_limits(limits))
        except GroupUnavailable as error:
            if self.require_group:
                raise SandboxUnavailable(
                    f"no control group for the sandbox ({error}); "
                    "SandboxedExecute.require_cgroup is set"
                ) from error
            self.log.warning("the sandbox's spending is counted from /proc: %s", error)
            return None

    @staticmethod
    def _data_view(assignment: str) -> Path | None:
        """The grading view of the data sets the notebook loads (none if it loads none)."""
        names = assignments.get(assignment).data if assignment in assignments.IDS else ()
        return grading_view(names) if names else None

    def _copy_handed(self, assignment: str) -> dict[str, Path]:
        """The grader's own copies of the notebook's released files, for the sandbox."""
        release = self.course_root / self.release_directory / assignment
        copies = {}
        for name, path in handed_files(release).items():
            copies[name] = self.handout_dir / name
            shutil.copyfile(path, copies[name])
            copies[name].chmod(0o444)
        return copies

    def _hand_over(self, folder: Path) -> None:
        """Give the kernel's own user id the folder it creates its sockets in."""
        if self.uid is None:
            return
        for path in [folder, *folder.iterdir()]:
            os.chown(path, self.uid, self.uid, follow_symlinks=False)

    def close_runtime_folder(self) -> None:
        """Once the kernel's sockets exist, take the folder back: it can create nothing more.

        With a user id of its own (grading as root) the kernel then has no host
        folder it can write in. Without one it keeps this folder: see the
        security model (docs/security.md).
        """
        if self.uid is not None:
            os.chown(self.runtime_dir, os.getuid(), os.getgid())
            self.runtime_dir.chmod(0o755)

    def meter(self) -> dict[str, Any] | None:
        """How the judge reads the sandbox's CPU time (``autograder.cgroups.open_meter``): its
        control group, else its first process's tree in /proc; None once it has ended."""
        if self.group is not None:
            return self.group.to_data()
        process = getattr(self.provisioner, "process", None)
        if process is None or process.poll() is not None:
            return None
        return ProcessTree(process.pid).to_data()

    def thaw_sandbox(self) -> None:
        """Let the sandbox run again if it was left frozen (a judge that died while reading)."""
        if self.group is not None:
            with contextlib.suppress(OSError):
                self.group.thaw()

    def kill_sandbox(self) -> None:
        """End the kernel's sandbox at once: everything in its process namespace and its
        control group dies with it, and the group is removed."""
        process = getattr(self.provisioner, "process", None)
        if process is not None and process.poll() is None:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
        self.remove_group()

    def remove_group(self) -> None:
        """Kill whatever is left in the sandbox's control group and remove the group."""
        group, self.group = self.group, None
        if group is None:
            return
        peak, spent = group.memory_peak(), group.cpu_seconds()
        self.log.info(
            "the sandbox used %s CPU seconds and at most %s MiB",
            "?" if spent is None else f"{spent:.1f}",
            "?" if peak is None else f"{peak / 2**20:.0f}",
        )
        with contextlib.suppress(OSError):  # left behind, make_group removes it later
            group.remove()

    def remove_folders(self) -> None:
        """Remove the kernel's runtime and handout folders (once it has ended)."""
        shutil.rmtree(self.runtime_dir, ignore_errors=True)
        shutil.rmtree(self.handout_dir, ignore_errors=True)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        try:
            await super()._async_cleanup_resources(restart=restart)
        finally:
            self.remove_group()
            if not restart:
                self.remove_folders()

    async def cleanup_resources(self, restart: bool = False) -> None:  # type: ignore[override]
        """What nbclient calls after a kernel that never started: jupyter_client binds this
        name to its own method, which would pass over the folders' removal above."""
        await self._async_cleanup_resources(restart=restart)
