"""Student kernels in an operating-system sandbox, so that grading runs untrusted code safely.

nbgrader executes each submitted notebook in a Jupyter kernel. In this course
(``nbgrader_config.py``) it does so through :class:`SandboxedExecute`, whose
kernels start with :class:`SandboxedKernelManager` under a command of the form::

    bwrap <namespaces, mounts> -- [setpriv <own uid>] prlimit <limits> -- \\
        timeout <wall> python -m ipykernel_launcher -f <connection file>

* **bubblewrap** (``bwrap``, Flatpak's sandbox, a Debian package) gives the
  kernel a network namespace of its own (a loopback with nothing listening,
  no route out), a PID namespace (everything it starts dies with it), a
  read-only view of the system, and empty folders in place of the course
  directory, the repository and the grader's home: solutions, the
  gradebook, other students' work and the exchange are not there. Only the
  notebook's own folder, and ``/tmp``, can be written.
* **prlimit** (util-linux) sets kernel-enforced limits: address space,
  processes, CPU seconds, file size, no core dumps.
* **timeout** (coreutils) bounds the kernel's whole life in wall-clock time.
* **setpriv** (util-linux): when grading as root, the kernel runs as an
  unprivileged user id of its own, so it has no root powers over files and
  the process limit counts this kernel's processes only.

The kernel talks to nbgrader over Unix sockets (Jupyter's ``ipc``
transport) in a runtime folder that is bound into the sandbox; TCP would
need the network the sandbox takes away.

The hidden checks are not in the sandbox either: :class:`SandboxedExecute`
starts a :class:`Judge` (:mod:`autograder.judge`) per notebook outside it,
whose socket is the one thing the kernel can reach, and makes the judge's
verdict each test cell's score (:func:`apply_verdict`).

When a kernel dies (a segfault, ``os._exit``, a limit reached) or the wall
clock runs out, :class:`SandboxedExecute` records the reason in the cell that
was running and in every test cell that could not run, so those cells score
zero with an explanation instead of the whole submission failing. What the
sandbox does not hide is said in the README's security note.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool, Integer

from autograder import kernel_side
from autograder.course import REPO_ROOT

GiB = 1024**3


@dataclass(frozen=True)
class Limits:
    """What one student kernel may use; each is enforced by the operating system."""

    address_space: int = 8 * GiB  # per process; beyond it allocations raise MemoryError
    processes: int = 256  # tasks (threads included) of the kernel's own user id
    cpu_seconds: int = 1800  # per process, summed over its threads
    wall_seconds: int = 2400  # the kernel's whole life
    file_size: int = 1 * GiB  # largest file it may write


LIMITS = Limits()

# Environment variables a kernel keeps; everything else (database URLs,
# tokens, the grader's paths) stays outside.
KEPT_ENVIRONMENT = (
    "PATH",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TF_CPP_MIN_LOG_LEVEL",
    "CNN_COURSE_DATA",
    "CNN_COURSE_CACHE",
    "NBGRADER_EXECUTION",
    "PYTHONHASHSEED",
)

REQUIRED_TOOLS = ("bwrap", "prlimit", "timeout")
SETPRIV_CAPABILITIES = ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP")


class SandboxUnavailable(RuntimeError):
    """The sandbox's tools are missing; grading stops rather than run unconfined."""


def missing_tools() -> list[str]:
    """The sandbox's command-line tools that are not on PATH."""
    tools = [*REQUIRED_TOOLS, *(["setpriv"] if os.geteuid() == 0 else [])]
    return [tool for tool in tools if shutil.which(tool) is None]


def kernel_uid() -> int | None:
    """The user id a kernel runs as when grading as root, distinct per nbgrader process.

    ``RLIMIT_NPROC`` counts all tasks of a user id, so kernels graded side
    by side each get their own id and one student's fork bomb cannot starve
    another student's kernel. Not root: the kernel keeps the grader's id.
    """
    if os.geteuid() != 0:
        return None
    return 200_000 + os.getpid() % 100_000


def hidden_paths(course_root: Path) -> list[Path]:
    """Folders replaced by empty ones in the sandbox: the course, the repository, the home."""
    return _outermost(p.resolve() for p in [course_root, REPO_ROOT, Path.home()])


# The part of this package a kernel may import: grade() and what serves the judge.
KERNEL_MODULES = ("__init__.py", "kernel_side.py", "wire.py", "probes.py")


def readable_paths() -> list[Path]:
    """Paths bound back, read-only, inside the hidden ones, for the kernel to work at all.

    The interpreter and its packages; the few modules of this package the
    test cells import (never the checks, which run in the judge); the
    course's data.
    """
    package = REPO_ROOT / "autograder"
    candidates = [Path(sys.prefix), Path(sys.base_prefix), *(package / m for m in KERNEL_MODULES)]
    for variable in ("CNN_COURSE_DATA", "CNN_COURSE_CACHE"):
        if os.environ.get(variable):
            candidates.append(Path(os.environ[variable]))
    candidates.append(Path.home() / ".cache" / "cnn-course")
    # As named, not resolved: the kernel reaches them by these names (a data
    # folder behind a symbolic link is bound where the variable says).
    return _outermost(p.absolute() for p in candidates if p.exists())


def _outermost(paths: Iterable[Path]) -> list[Path]:
    """The paths without any that lies inside another, shallowest first."""
    kept: list[Path] = []
    for path in sorted(set(paths), key=lambda p: len(p.parts)):
        if not any(path.is_relative_to(k) for k in kept):
            kept.append(path)
    return kept


def sandbox_command(
    command: list[str],
    *,
    workdir: Path,
    writable: Iterable[Path],
    hidden: Iterable[Path],
    readable: Iterable[Path],
    uid: int | None,
    limits: Limits = LIMITS,
) -> list[str]:
    """Wrap a kernel's command line in bubblewrap, setpriv, prlimit and timeout."""
    bwrap = [
        "bwrap",
        "--die-with-parent",
        "--new-session",  # no access to the grader's terminal
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--ro-bind", "/", "/",
        "--dev", "/dev",
        "--proc", "/proc",
        "--perms", "1777", "--tmpfs", "/tmp",
        "--perms", "1777", "--tmpfs", "/dev/shm",  # multiprocessing's semaphores
    ]  # fmt: skip
    hidden, readable, writable = list(hidden), list(readable), list(writable)
    for path in hidden:
        bwrap += ["--perms", "0755", "--tmpfs", str(path)]
    # bwrap would create the folders between a hidden one (or /tmp) and a path
    # bound inside it as 0700 root: make them traversable for the kernel's user.
    for folder in _folders_between([*hidden, Path("/tmp")], [*readable, *writable]):
        bwrap += ["--perms", "0755", "--dir", str(folder)]
    for path in readable:
        bwrap += ["--ro-bind", str(path), str(path)]
    for path in writable:
        bwrap += ["--bind", str(path), str(path)]
    bwrap += ["--chdir", str(workdir)]
    user: list[str] = []
    if uid is not None:
        # Run as root, bwrap keeps every capability unless told otherwise.
        # setpriv needs SETPRIV_CAPABILITIES to change to the kernel's own id, and drops
        # them, the inheritable and bounding sets, and setuid programs' powers.
        bwrap += ["--cap-drop", "ALL"]
        for capability in SETPRIV_CAPABILITIES:
            bwrap += ["--cap-add", capability]
        user = [
            "setpriv",
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
            "--",
        ]
    # RLIMIT_NPROC counts every task of the user id: a kernel without an id
    # of its own may start `processes` more than the grader's user runs now.
    processes = limits.processes + (tasks_of_this_user() if uid is None else 0)
    prlimit = [
        "prlimit",
        f"--as={limits.address_space}",
        f"--nproc={processes}",
        f"--cpu={limits.cpu_seconds}",
        f"--fsize={limits.file_size}",
        "--core=0",
        "--",
    ]
    timeout = ["timeout", "--signal=KILL", str(limits.wall_seconds)]
    return [*bwrap, "--", *user, *prlimit, *timeout, *command]


def tasks_of_this_user() -> int:
    """Processes and threads running under this process's real user id."""
    uid, count = str(os.getuid()), 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines())
        except (OSError, ValueError):
            continue  # the process ended while we looked
        if fields.get("Uid", "").split()[:1] == [uid]:
            count += int(fields.get("Threads", "1"))
    return count


def _folders_between(hidden: list[Path], readable: list[Path]) -> list[Path]:
    """Folders strictly between a hidden path and a readable path inside it, shallowest first."""
    folders: set[Path] = set()
    for path in readable:
        for top in hidden:
            if path != top and path.is_relative_to(top):
                folders.update(a for a in path.parents if a != top and a.is_relative_to(top))
    return sorted(folders, key=lambda p: len(p.parts))


def kernel_environment(environment: dict[str, str]) -> dict[str, str]:
    """The kernel's environment: the kept variables, and a home in the sandbox's /tmp."""
    kept = {k: v for k, v in environment.items() if k in KEPT_ENVIRONMENT}
    return {
        **kept,
        "HOME": "/tmp",
        "USER": "student",
        "LOGNAME": "student",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "KERAS_HOME": "/tmp/keras",
    }


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
            environment[kernel_side.JUDGE_SOCKET] = str(self.judge.socket)
            environment[kernel_side.OUTBOX] = str(self.judge.outbox)
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


class SandboxedExecute(Execute):
    """nbgrader's Execute: a sandboxed kernel, a judge beside it, the judge's scores.

    Per notebook it starts a :class:`Judge` and a kernel in the sandbox,
    runs the cells, and after each test cell replaces what the kernel showed
    with the judge's verdict (:func:`apply_verdict`). nbgrader gives full
    marks to a test cell with no error output, and a cell that never ran has
    none; so once the kernel is gone every remaining test cell gets an error
    output that says why.
    """

    sandbox = Bool(
        True,
        help="Run kernels in the bubblewrap sandbox and judge outside them. Off, the checks "
        "run in the student's kernel: only to debug the grader itself.",
    ).tag(config=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)
        self.kernel_gone: str | None = None
        self.judge: Judge | None = None

    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None) -> Any:
        self.kernel_gone = None
        if not self.sandbox:
            self.kernel_manager_class = AsyncKernelManager
            return super().preprocess(nb, resources, km)
        missing = missing_tools()
        if missing:
            raise SandboxUnavailable(
                f"cannot sandbox student kernels: {', '.join(missing)} not found. "
                "Install them (Debian: apt-get install bubblewrap util-linux coreutils)."
            )
        self.judge = Judge()
        try:
            return super().preprocess(nb, resources, km)
        finally:
            self.judge.close()
            self.judge = None

    def create_kernel_manager(self) -> Any:
        km = super().create_kernel_manager()
        if isinstance(km, SandboxedKernelManager):
            km.judge = self.judge
        return km

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> Any:
        call = grade_call(cell) if self.judge is not None and is_graded(cell) else None
        already = len(self.judge.verdicts()) if call else 0
        self._execute(cell, resources, index)
        if call:
            verdicts = [
                v
                for v in self.judge.verdicts()[already:]
                if (v["assignment"], v["cell"]) == call and v["complete"]
            ]
            apply_verdict(cell, verdicts[-1] if verdicts else None)
        return cell, resources

    def _execute(self, cell: NotebookNode, resources: Any, index: int) -> None:
        if self.kernel_gone is not None:
            if cell.cell_type == "code":
                cell.outputs = [kernel_gone_output(self.kernel_gone)] if is_graded(cell) else []
            return
        try:
            super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self.kernel_gone = (
                f"the kernel stopped while cell {index} was running: the code crashed Python, "
                "called os._exit(), or went over a memory, CPU or time limit"
            )
            cell.outputs.append(kernel_gone_output(self.kernel_gone))


GRADE_CALL = re.compile(r'grade\("(?P<assignment>[^"]+)", "(?P<cell>[^"]+)", globals\(\)\)')


def grade_call(cell: NotebookNode) -> tuple[str, str] | None:
    """The (assignment, cell) a test cell's hidden ``grade(...)`` call judges, if any.

    nbgrader has restored the test cell's source from the gradebook by now,
    so this is the instructor's call, whatever the student wrote.
    """
    match = GRADE_CALL.search(cell.source) if cell.cell_type == "code" else None
    return (match["assignment"], match["cell"]) if match else None


def apply_verdict(cell: NotebookNode, verdict: dict[str, Any] | None) -> None:
    """Make the judge's verdict the test cell's score, whatever the kernel printed.

    nbgrader scores a test cell from its outputs: zero with an error output,
    else the number of an ``execute_result``. With a verdict, the kernel's
    printed lines (the visible self-check's) stay, everything else it
    produced goes, and the judge's report, picture and points are added.
    Without one, the checks never ran (the self-check failed, the code
    stopped or hung): the kernel's error stands, or one is added.
    """
    if verdict is None:
        if not any(o.output_type == "error" for o in cell.outputs):
            cell.outputs.append(
                error_output(
                    "ChecksDidNotRun",
                    "the hidden checks of this cell did not run, so it scores zero "
                    "(채점 코드가 실행되지 않았습니다)",
                )
            )
        return
    printed = [o for o in cell.outputs if o.output_type == "stream" and o.name == "stdout"]
    cell.outputs = [
        *printed,
        NotebookNode(output_type="stream", name="stdout", text=verdict["report"] + "\n"),
    ]
    if verdict.get("figure"):
        cell.outputs.append(
            NotebookNode(
                output_type="display_data",
                data={"image/png": verdict["figure"], "text/plain": "<feedback figure>"},
                metadata={},
            )
        )
    cell.outputs.append(
        NotebookNode(
            output_type="execute_result",
            execution_count=cell.get("execution_count"),
            data={"text/plain": repr(float(verdict["earned"]))},
            metadata={},
        )
    )


def is_graded(cell: NotebookNode) -> bool:
    """A cell nbgrader scores automatically."""
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade"))


def kernel_gone_output(reason: str) -> NotebookNode:
    """The error output that makes nbgrader score a cell zero, with the reason for the student."""
    return error_output("KernelDied", f"{reason}. (커널이 중지되어 이 셀은 실행되지 않았습니다.)")


def error_output(name: str, message: str) -> NotebookNode:
    """An error output: nbgrader scores its cell zero; the feedback shows the message."""
    return NotebookNode(
        output_type="error", ename=name, evalue=message, traceback=[f"{name}: {message}"]
    )


class LimitOutputSize(NbGraderPreprocessor):
    """Cut each text output to ``max_characters``, as nbgrader's LimitOutput cuts lines.

    nbgrader's LimitOutput counts lines only, so one printed line of 50 MB
    would reach the gradebook's notebook and the student's feedback page whole.
    """

    max_characters = Integer(
        100_000, help="largest text output kept, in characters (-1: no limit)"
    ).tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> Any:
        if self.max_characters < 0 or cell.cell_type != "code":
            return cell, resources
        for output in cell.outputs:
            if output.output_type == "stream":
                output.text = self._cut(output.text)
            elif "text/plain" in output.get("data", {}):
                output.data["text/plain"] = self._cut(output.data["text/plain"])
        return cell, resources

    def _cut(self, text: str) -> str:
        if len(text) <= self.max_characters:
            return text
        return f"{text[: self.max_characters]}\n... Output truncated ({len(text):,} characters) ..."
