"""The sandbox a student's kernel runs in: a control group, bubblewrap, setpriv, prlimit, timeout.

A kernel starts under a command of the form::

    [sh -c <join the group>] bwrap <namespaces, mounts> -- [setpriv <own uid>] \\
        prlimit <limits> -- timeout <wall> python -m ipykernel_launcher -f <connection file>

* **a control group** (:mod:`autograder.cgroups`), where one can be made:
  the sandbox's first process joins it before bubblewrap starts, so every
  process of the sandbox is counted (CPU time, reaped or not) and limited
  (memory, with its tmpfs and kernel memory; processes) as a whole.

* **bubblewrap** (``bwrap``, Flatpak's sandbox, a Debian package) gives the
  kernel a network namespace of its own (a loopback with nothing listening,
  no route out), a PID namespace (everything it starts dies with it), and a
  file system made of an allowlist: the system's programs, libraries and
  configuration read-only (:data:`SYSTEM_PATHS`), the interpreter and the
  notebook's data view (:func:`readable_paths`), and the grader's own kernel
  package at a fixed place (:func:`kernel_package_binds`). Where the grader's
  packages are installed inside a bound path (a regular ``pip install`` puts
  them in the interpreter's site-packages), an empty read-only folder takes
  their place (:func:`grader_package_folders`).
  Nothing else of the machine is there: not the course directory, the
  repository, homes, the data sets, nor ``/var``, ``/run`` and the Unix
  sockets in them. Data that a library ships and that accuracy is measured
  on (:data:`LIBRARY_EVALUATION_DATA`) is hidden inside those paths.
* **prlimit** (util-linux) sets kernel-enforced limits: address space,
  processes, CPU seconds, file size, no core dumps.
* **timeout** (coreutils) bounds the kernel's whole life in wall-clock time.
* **setpriv** (util-linux): when grading as root, the kernel runs as an
  unprivileged user id of its own, so it has no root powers over files and
  the process limit counts this kernel's processes only.

What the sandbox does not hide is said in the security model (docs/security.md).
"""

from __future__ import annotations

import os
import shutil
import site
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from autograder.cgroups import Group, GroupLimits
from source_data.course_data import MIRROR_VARIABLE

GiB = 1024**3


@dataclass(frozen=True)
class Limits:
    """What one student kernel may use; each is enforced by the operating system."""

    address_space: int = 8 * GiB  # per process; beyond it allocations raise MemoryError
    # The whole sandbox, where it has a control group: its processes' memory, its tmpfs
    # pages and the kernel memory it makes (files' inodes); the kernel kills a process
    # of the sandbox when it is reached. As large as one process's address space, so that
    # one process meets MemoryError (which a student can read) before the group's limit.
    memory: int = 8 * GiB
    processes: int = 256  # tasks (threads included) of the group, and of the kernel's user id
    cpu_seconds: int = 1800  # per process, summed over its threads
    # A notebook that trains models: its budget of CPU seconds (the soft limit, whose
    # SIGXCPU stops the running cell) and the grace after it, to be graded, before the
    # hard limit ends the kernel.
    cpu_budget: int | None = None
    budget_grace: int = 120
    wall_seconds: int = 2400  # the kernel's whole life
    file_size: int = 1 * GiB  # largest file it may write
    # Everything it may write: its folder and /tmp share one tmpfs of this size, in
    # memory, gone with the kernel; /dev/shm has a small one of its own.
    writable_bytes: int = 1 * GiB
    shm_bytes: int = 64 * 2**20


LIMITS = Limits()


def group_limits(limits: Limits) -> GroupLimits:
    """What the sandbox's control group holds it to, as a whole."""
    return GroupLimits(memory_bytes=limits.memory, processes=limits.processes)


# Inside the sandbox the kernel's folder is /tmp/work, under the one tmpfs it may
# write; the path nbgrader gives the kernel (autograded/<student>/<id>) is a link
# to it, so the files nbgrader writes there are never within the kernel's reach.
WORK = Path("/tmp/work")

# The machine's folders a kernel sees, read-only (those that exist; links such as
# Debian's /lib -> usr/lib stay links). An allowlist, not a list of what to hide:
# a data set, a socket or a course kept anywhere else is simply not there.
SYSTEM_PATHS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "sys")

# Environment variables a kernel keeps; everything else (database URLs,
# tokens, the grader's paths) stays outside.
KEPT_ENVIRONMENT = (
    "PATH",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TF_CPP_MIN_LOG_LEVEL",
    "NBGRADER_EXECUTION",
    "PYTHONHASHSEED",
)

# Every kernel computes on one thread. TensorFlow's results depend on its thread
# count (op determinism holds for one count, not across counts), so a fixed count
# makes a grade the same whatever --workers and the machine's cores; and kernels
# graded side by side do not oversubscribe the cores, where threads of several
# trainings would wait on each other. The locked set-up cell of 04 and 06 sets the
# same count, so a student's own run reproduces the graded one.
ONE_THREAD = {
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}

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


# The part of this package a kernel may import: grade() and the kernel package, never
# the checks, which run in the judge. The very files this grader imported are bound at
# KERNEL_IMPORT_ROOT, first on the kernel's import path: the kernel imports them whatever
# this environment installed (an editable install of another checkout, say).
KERNEL_PATHS = ("__init__.py", "kernel")
KERNEL_IMPORT_ROOT = Path("/opt/cnn-kernel")

# Files that installed libraries ship and that accuracy is measured on, as paths inside
# a site-packages folder: scikit-learn's digits hold 07's 540 test images. Every copy in
# the paths a kernel reads is hidden (:func:`hiding_binds`), whatever the assignment.
LIBRARY_EVALUATION_DATA = ("sklearn/datasets/data/digits.csv.gz",)
# Where site-packages folders lie under a bound prefix: venv/lib/python3.11/site-packages,
# /usr/lib/python3/dist-packages, lib64 on some systems.
SITE_PACKAGES = "lib*/python3*/*-packages"


def readable_paths(data: Path | None = None) -> list[Path]:
    """Paths bound read-only besides the system's and the kernel package
    (:func:`kernel_package_binds`), for the kernel to work at all.

    The interpreter and its packages; the notebook's grading view of the data
    (``source_data.grading_view``), never the data sets themselves.
    """
    candidates = [Path(sys.prefix), Path(sys.base_prefix)]
    if data is not None:
        candidates.append(data)
    return _outermost(p.absolute() for p in candidates if p.exists())


def kernel_package_binds() -> dict[Path, Path]:
    """The kernel's part of this grader's own package (:data:`KERNEL_PATHS`), each bound
    read-only at its place under :data:`KERNEL_IMPORT_ROOT` (the key)."""
    package = Path(__file__).resolve().parents[1]  # the autograder package imported here
    return {KERNEL_IMPORT_ROOT / "autograder" / part: package / part for part in KERNEL_PATHS}


# This grader's packages: wherever an installation of them lies inside a path the kernel
# sees, the kernel must find it empty, or it could read the hidden checks.
GRADER_PACKAGES = ("autograder", "source_data")


def grader_package_folders(
    bound: Iterable[Path], search: Iterable[str] | None = None
) -> list[Path]:
    """Folders of :data:`GRADER_PACKAGES` inside the ``bound`` paths, however installed.

    ``search`` is where Python finds packages (default: this interpreter's import path
    and site folders, the system's and the user's); a regular install's folders are in
    one of them.
    """
    if search is None:
        search = [*sys.path, *site.getsitepackages(), site.getusersitepackages()]
    roots = [Path(b).absolute() for b in bound]
    found = {
        folder
        for entry in search
        for name in GRADER_PACKAGES
        if (folder := Path(entry or ".").absolute() / name).is_dir()
        and any(folder.is_relative_to(root) for root in roots)
    }
    return sorted(found)


def library_evaluation_files(readable: Iterable[Path]) -> list[Path]:
    """The copies of :data:`LIBRARY_EVALUATION_DATA` a kernel could read: in the
    site-packages folders of the readable paths and of the system's ``/usr``."""
    roots = {Path("/usr"), Path("/usr/local"), *readable}
    found = {
        path
        for root in roots
        for data in LIBRARY_EVALUATION_DATA
        for path in root.glob(f"{SITE_PACKAGES}/{data}")
        if path.is_file()
    }
    return sorted(found)


def hiding_binds(hidden: Iterable[Path]) -> list[str]:
    """bwrap's arguments that hide each of these files and keep the rest of its folder.

    The folder becomes an empty read-only tmpfs into which every other entry
    of the real folder is bound back, read-only: the hidden file is not
    there at all (``FileNotFoundError``), its neighbours are as they were.
    """
    binds: list[str] = []
    by_folder: dict[Path, set[str]] = {}
    for path in hidden:
        by_folder.setdefault(path.parent, set()).add(path.name)
    for folder, names in sorted(by_folder.items()):
        binds += ["--size", str(2**20), "--perms", "0755", "--tmpfs", str(folder)]
        for entry in sorted(folder.iterdir()):
            if entry.name not in names:
                binds += ["--ro-bind", str(entry), str(entry)]
        binds += ["--remount-ro", str(folder)]
    return binds


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
    handed: dict[str, Path],
    writable: Iterable[Path],
    readable: Iterable[Path],
    uid: int | None,
    limits: Limits = LIMITS,
    group: Group | None = None,
) -> list[str]:
    """Wrap a kernel's command line in bubblewrap, setpriv, prlimit and timeout.

    The kernel sees :data:`SYSTEM_PATHS` and ``readable`` read-only, and runs
    in :data:`WORK`, where ``workdir`` (the notebook's folder on the host)
    leads, with the ``handed`` files (name: the grader's copy) read-only in
    it; the real folder is never bound. ``writable`` folders (the kernel's
    sockets) are the only host paths it may write. With a ``group``, the
    sandbox starts inside it.
    """
    bwrap = [
        "bwrap",
        "--die-with-parent",
        "--new-session",  # no access to the grader's terminal
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        *system_binds(),
        "--dev", "/dev",
        "--proc", "/proc",
        "--size", str(limits.writable_bytes), "--perms", "1777", "--tmpfs", "/tmp",
        "--size", str(limits.shm_bytes), "--perms", "1777", "--tmpfs", "/dev/shm",
    ]  # fmt: skip
    readable, writable, package = list(readable), list(writable), kernel_package_binds()
    # bwrap would create the folders leading to a bound path as 0700 root:
    # make them traversable for the kernel's user.
    for folder in _folders_leading_to([*readable, *writable, workdir, *package]):
        bwrap += ["--perms", "0755", "--dir", str(folder)]
    for path in readable:
        bwrap += ["--ro-bind", str(path), str(path)]
    for place, source in package.items():
        bwrap += ["--ro-bind", str(source), str(place)]
    for folder in grader_package_folders([*readable, *system_roots()]):
        bwrap += ["--perms", "0555", "--tmpfs", str(folder), "--remount-ro", str(folder)]
    bwrap += hiding_binds(library_evaluation_files(readable))
    for path in writable:
        bwrap += ["--bind", str(path), str(path)]
    bwrap += ["--perms", "1777", "--dir", str(WORK)]
    for name, source in handed.items():
        bwrap += ["--ro-bind", str(source), str(WORK / name)]
    if workdir != WORK:
        bwrap += ["--symlink", str(WORK), str(workdir)]
    bwrap += ["--remount-ro", "/"]  # bwrap's own root: nothing more can be made there
    bwrap += ["--chdir", str(WORK)]
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
        f"--cpu={cpu_limit(limits)}",
        f"--fsize={limits.file_size}",
        "--core=0",
        "--",
    ]
    timeout = ["timeout", "--signal=KILL", str(limits.wall_seconds)]
    joined = group.join_command() if group is not None else []
    return [*joined, *bwrap, "--", *user, *prlimit, *timeout, *command]


def cpu_limit(limits: Limits) -> str:
    """prlimit's ``--cpu``: ``soft:hard``, the soft one at the training budget if there is one."""
    if limits.cpu_budget is None:
        return str(limits.cpu_seconds)
    hard = min(limits.cpu_seconds, limits.cpu_budget + limits.budget_grace)
    return f"{limits.cpu_budget}:{hard}"


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


def system_roots() -> list[Path]:
    """The folders of :data:`SYSTEM_PATHS` bound as folders (not links)."""
    paths = [Path("/") / name for name in SYSTEM_PATHS]
    return [path for path in paths if path.is_dir() and not path.is_symlink()]


def system_binds() -> list[str]:
    """bwrap's arguments for :data:`SYSTEM_PATHS`: read-only binds, links kept as links."""
    binds: list[str] = []
    for name in SYSTEM_PATHS:
        path = Path("/") / name
        if path.is_symlink():
            binds += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            binds += ["--ro-bind", str(path), str(path)]
    return binds


def _folders_leading_to(paths: list[Path]) -> list[Path]:
    """The folders above these paths that bwrap must create, shallowest first: all but
    the root, /tmp and the system's folders, which are there already."""
    given = [Path("/"), Path("/tmp")]
    system = [Path("/") / name for name in SYSTEM_PATHS]
    folders: set[Path] = set()
    for path in paths:
        folders.update(
            a
            for a in path.parents
            if a not in given and not any(a.is_relative_to(s) for s in system)
        )
    return sorted(folders, key=lambda p: len(p.parts))


def kernel_environment(environment: dict[str, str], data: Path | None = None) -> dict[str, str]:
    """The kernel's environment: the kept variables, a home in the sandbox's /tmp, the
    grader's kernel package first on the import path, and the grading view of the data
    as the course's data folder (none without ``data``)."""
    kept = {k: v for k, v in environment.items() if k in KEPT_ENVIRONMENT}
    return {
        **kept,
        "PYTHONPATH": str(KERNEL_IMPORT_ROOT),
        **({MIRROR_VARIABLE: str(data.absolute())} if data is not None else {}),
        "HOME": "/tmp",
        "USER": "student",
        "LOGNAME": "student",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "KERAS_HOME": "/tmp/keras",
        **ONE_THREAD,
    }
