"""A sandbox as one control group: its CPU time, memory and processes counted as a whole.

Each student kernel's sandbox runs in a control group of its own, made
below the grader's own group (as ``/proc/self/cgroup`` names it), so that
any limit set above the grader still applies. The group:

* counts the CPU time of every process that ever ran in it, reaped or not
  (a child whose parent ignores ``SIGCHLD`` reaches no parent's counter);
* limits the memory of the whole sandbox: its processes, the pages of its
  tmpfs and the kernel memory it makes (inodes and dentries of its files);
* limits its processes and threads;
* freezes it, so that the judge reads the CPU time with no student code
  running, and kills every process in it at once.

One interface, :class:`Group`, over cgroup v1 (a hierarchy per controller:
``cpuacct``, ``memory``, ``freezer``, ``pids``) and v2 (one unified
hierarchy, its ``memory`` and ``pids`` controllers delegated to the
grader's group). Where no group can be made (not root, no delegation),
:func:`group_unavailable` says why, and :class:`ProcessTree` counts the
weaker way, from ``/proc``. The judge reads either through :func:`open_meter`.

This module imports nothing from the rest of the package: the sandbox makes
the groups and the judge reads them.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import secrets
import signal
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import psutil

CGROUP_ROOT = Path("/sys/fs/cgroup")
PREFIX = "cnn-sandbox-"  # every group this grader makes: cnn-sandbox-<grader pid>-<n>-<random>
V1_CONTROLLERS = ("cpuacct", "memory", "freezer", "pids")
V2_CONTROLLERS = ("memory", "pids")
FREEZE_SECONDS = 10.0  # how long freezing may take before the group counts as unfreezable
EMPTY_SECONDS = 10.0  # how long the killed processes of a group may take to be gone

# A shell that writes its own process id into each file given before `--`, so that it
# joins the group, then becomes the command after it: bubblewrap starts in the group,
# and everything it starts stays there.
JOIN_SCRIPT = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'

_numbers = itertools.count(1)


class GroupUnavailable(RuntimeError):
    """No control group can be made for a sandbox here; the message says why."""


class GroupError(RuntimeError):
    """A control group did not do what it was asked (it would not freeze, or not empty)."""


@dataclass(frozen=True)
class GroupLimits:
    """What a whole sandbox may hold at once."""

    memory_bytes: int  # its processes, its tmpfs pages and the kernel memory it makes
    processes: int  # processes and threads


class Meter(Protocol):
    """How the judge reads a sandbox's CPU time: a control group, or the weaker process tree."""

    way: str  # how it counts, said in the feedback

    def cpu_seconds(self) -> float | None:
        """CPU seconds the sandbox has used so far; None once it has gone."""

    def freeze(self) -> None:
        """Hold every process of the sandbox still, where it can."""

    def thaw(self) -> None:
        """Let them run again."""


class Group(ABC):
    """One sandbox's control group: its processes counted, limited, frozen and killed together.

    ``folders`` are the group's folders, one per hierarchy it spans (one in
    v2). Made by :func:`make_group`, opened again from :meth:`to_data` by
    :func:`open_meter` in the judge.
    """

    version: int
    way = "the sandbox's control group (every process, reaped or not)"

    def __init__(self, folders: dict[str, Path]) -> None:
        self.folders = folders

    @property
    def name(self) -> str:
        """The group's name, the last part of each of its folders."""
        return next(iter(self.folders.values())).name

    def to_data(self) -> dict[str, Any]:
        """The group as JSON data, for the judge (:func:`open_meter`)."""
        return {"cgroup": self.version, "folders": {k: str(v) for k, v in self.folders.items()}}

    def join_command(self) -> list[str]:
        """A prefix for a command line that starts the command inside this group."""
        files = [str(folder / "cgroup.procs") for folder in self._distinct()]
        return ["sh", "-c", JOIN_SCRIPT, "join-cgroup", *files, "--"]

    def join(self, pid: int) -> None:
        """Move a process into the group (its later children start there)."""
        for folder in self._distinct():
            (folder / "cgroup.procs").write_text(str(pid))

    def processes(self) -> set[int]:
        """The processes in the group now, by their ids in the grader's view."""
        found: set[int] = set()
        for folder in self._distinct():
            with contextlib.suppress(FileNotFoundError):
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
        return found

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        """Freeze the group while the block runs, then thaw it."""
        self.freeze()
        try:
            yield
        finally:
            self.thaw()

    def kill_all(self) -> None:
        """Kill every process in the group and wait until they are gone.

        Frozen first, so that none can start another between the listing and
        the kill; a frozen process dies once thawed.
        """
        with contextlib.suppress(GroupError, OSError):
            self.freeze()
        for pid in self.processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.thaw()
        deadline = time.monotonic() + EMPTY_SECONDS
        while self.processes() and time.monotonic() < deadline:
            time.sleep(0.02)

    def remove(self) -> None:
        """Kill what is left in the group and remove its folders."""
        if not any(folder.exists() for folder in self.folders.values()):
            return
        self.kill_all()
        for folder in self._distinct():
            _remove_folder(folder)

    def _distinct(self) -> list[Path]:
        """The group's folders, each once (v1 hierarchies may share one, as cpu,cpuacct)."""
        return list(dict.fromkeys(self.folders.values()))

    @abstractmethod
    def cpu_seconds(self) -> float | None:
        """CPU seconds every process that ran in the group has used; None once it has gone."""

    @abstractmethod
    def freeze(self) -> None:
        """Stop every process in the group; raises :class:`GroupError` if it would not."""

    @abstractmethod
    def thaw(self) -> None:
        """Let the group's processes run again."""

    @abstractmethod
    def memory_peak(self) -> int | None:
        """The most memory the group has held at once, in bytes (None where not counted)."""

    @abstractmethod
    def out_of_memory_kills(self) -> int:
        """How many processes the kernel killed in the group for going over its memory limit."""

    @abstractmethod
    def set_limits(self, limits: GroupLimits) -> None:
        """Limit the group's memory (with its tmpfs and kernel memory) and processes."""


class GroupV1(Group):
    """A group in cgroup v1: one folder per controller hierarchy (:data:`V1_CONTROLLERS`)."""

    version = 1

    def cpu_seconds(self) -> float | None:
        try:
            return int(self._read("cpuacct", "cpuacct.usage")) / 1e9
        except (FileNotFoundError, ValueError):
            return None

    def freeze(self) -> None:
        state = self.folders["freezer"] / "freezer.state"
        deadline = time.monotonic() + FREEZE_SECONDS
        while True:
            state.write_text("FROZEN")  # written again, it tries the processes left again
            if state.read_text().strip() == "FROZEN":
                return
            if time.monotonic() > deadline:
                self.thaw()
                raise GroupError(f"the group {self.name} did not freeze")
            time.sleep(0.005)

    def thaw(self) -> None:
        (self.folders["freezer"] / "freezer.state").write_text("THAWED")

    def memory_peak(self) -> int | None:
        try:
            return int(self._read("memory", "memory.max_usage_in_bytes"))
        except (FileNotFoundError, ValueError):
            return None

    def out_of_memory_kills(self) -> int:
        try:
            return _field(self._read("memory", "memory.oom_control"), "oom_kill")
        except FileNotFoundError:
            return 0

    def set_limits(self, limits: GroupLimits) -> None:
        memory = self.folders["memory"]
        (memory / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
        swap = memory / "memory.memsw.limit_in_bytes"  # memory and swap together, where counted
        if swap.exists():
            swap.write_text(str(limits.memory_bytes))
        (self.folders["pids"] / "pids.max").write_text(str(limits.processes))

    def _read(self, controller: str, name: str) -> str:
        return (self.folders[controller] / name).read_text()


class GroupV2(Group):
    """A group in cgroup v2: one folder in the unified hierarchy."""

    version = 2

    @property
    def folder(self) -> Path:
        return self.folders["unified"]

    def cpu_seconds(self) -> float | None:
        try:
            return _field((self.folder / "cpu.stat").read_text(), "usage_usec") / 1e6
        except FileNotFoundError:
            return None

    def freeze(self) -> None:
        (self.folder / "cgroup.freeze").write_text("1")
        deadline = time.monotonic() + FREEZE_SECONDS
        while _field((self.folder / "cgroup.events").read_text(), "frozen") != 1:
            if time.monotonic() > deadline:
                self.thaw()
                raise GroupError(f"the group {self.name} did not freeze")
            time.sleep(0.005)

    def thaw(self) -> None:
        (self.folder / "cgroup.freeze").write_text("0")

    def kill_all(self) -> None:
        kill = self.folder / "cgroup.kill"  # Linux 5.14: the kernel kills them, frozen or not
        if not kill.exists():
            super().kill_all()
            return
        with contextlib.suppress(FileNotFoundError):
            kill.write_text("1")
        deadline = time.monotonic() + EMPTY_SECONDS
        while self.processes() and time.monotonic() < deadline:
            time.sleep(0.02)

    def memory_peak(self) -> int | None:
        try:
            return int((self.folder / "memory.peak").read_text())
        except (FileNotFoundError, ValueError):
            return None

    def out_of_memory_kills(self) -> int:
        try:
            return _field((self.folder / "memory.events").read_text(), "oom_kill")
        except FileNotFoundError:
            return 0

    def set_limits(self, limits: GroupLimits) -> None:
        (self.folder / "memory.max").write_text(str(limits.memory_bytes))
        swap = self.folder / "memory.swap.max"
        if swap.exists():
            swap.write_text("0")
        (self.folder / "pids.max").write_text(str(limits.processes))


def _field(text: str, key: str) -> int:
    """The number after ``key`` in a cgroup file of ``key value`` lines (0 if absent)."""
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key:
            return int(parts[1])
    return 0


def _remove_folder(folder: Path) -> None:
    """Remove an emptied group folder; the kernel refuses until its last process is reaped."""
    deadline = time.monotonic() + EMPTY_SECONDS
    while True:
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as error:
            if error.errno != errno.EBUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


# --- Where groups can be made -----------------------------------------------------------


@dataclass(frozen=True)
class Hierarchy:
    """A mounted cgroup hierarchy and this process's group in it."""

    mount: Path
    own: Path  # this process's group folder in it


def mounted_hierarchies(
    mountinfo: str | None = None, own_groups: str | None = None
) -> dict[str, Hierarchy]:
    """This process's group in each mounted hierarchy, by controller (``unified`` for v2).

    Read from ``/proc/self/mountinfo`` and ``/proc/self/cgroup`` unless given.
    """
    mountinfo = mountinfo if mountinfo is not None else Path("/proc/self/mountinfo").read_text()
    own_groups = own_groups if own_groups is not None else Path("/proc/self/cgroup").read_text()
    owned: dict[str, str] = {}
    for line in own_groups.splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else ["unified"]:
            owned[controller] = path
    found: dict[str, Hierarchy] = {}
    for line in mountinfo.splitlines():
        fields, _, tail = line.partition(" - ")
        parts, extra = fields.split(), tail.split()
        if len(parts) < 5 or len(extra) < 3 or extra[0] not in ("cgroup", "cgroup2"):
            continue
        root, mount = parts[3], Path(parts[4])
        names = ["unified"] if extra[0] == "cgroup2" else extra[2].split(",")
        for name in names:
            if name in owned and name not in found:
                found[name] = Hierarchy(mount, _inside(mount, root, owned[name]))
    return found


def _inside(mount: Path, root: str, path: str) -> Path:
    """The folder of group ``path`` in a hierarchy mounted at ``mount`` from ``root``."""
    relative = Path(path).relative_to(root) if Path(path).is_relative_to(root) else Path(path)
    return mount / str(relative).lstrip("/")


def _v2_reason(hierarchies: dict[str, Hierarchy]) -> str | None:
    """Why no v2 group can be made here (None: one can)."""
    unified = hierarchies.get("unified")
    if unified is None:
        return "no cgroup v2 hierarchy is mounted"
    own = unified.own
    try:
        available = (own / "cgroup.controllers").read_text().split()
    except OSError as error:
        return f"cannot read {own}: {error.strerror}"
    missing = [c for c in V2_CONTROLLERS if c not in available]
    if missing:
        return f"cgroup v2 has no {', '.join(missing)} controller for {own}"
    enabled = (own / "cgroup.subtree_control").read_text().split()
    if not set(V2_CONTROLLERS) <= set(enabled):
        try:
            (own / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in V2_CONTROLLERS))
        except OSError as error:  # EBUSY: the grader's group holds processes itself
            return f"cannot delegate memory and pids below {own}: {error.strerror}"
    if not os.access(own, os.W_OK):
        return f"cannot make groups in {own}: not writable"
    return None


def _v1_reason(hierarchies: dict[str, Hierarchy]) -> str | None:
    """Why no v1 group can be made here (None: one can)."""
    missing = [c for c in V1_CONTROLLERS if c not in hierarchies]
    if missing:
        return f"cgroup v1 has no {', '.join(missing)} hierarchy mounted"
    unwritable = [str(h.own) for c, h in hierarchies.items() if c in V1_CONTROLLERS]
    unwritable = [f for f in dict.fromkeys(unwritable) if not os.access(f, os.W_OK)]
    if unwritable:
        return f"cannot make groups in {', '.join(unwritable)}: not writable"
    return None


def _choose() -> tuple[type[Group], dict[str, Path]] | str:
    """The kind of group to make and the folders to make it in, or why none can be made."""
    try:
        hierarchies = mounted_hierarchies()
    except OSError as error:
        return f"cannot read this process's control groups: {error.strerror}"
    v2 = _v2_reason(hierarchies)
    if v2 is None:
        return GroupV2, {"unified": hierarchies["unified"].own}
    v1 = _v1_reason(hierarchies)
    if v1 is None:
        return GroupV1, {c: hierarchies[c].own for c in V1_CONTROLLERS}
    return f"{v1}; {v2}"


def group_unavailable() -> str | None:
    """Why no control group can be made for a sandbox here; None when one can."""
    chosen = _choose()
    return chosen if isinstance(chosen, str) else None


def make_group(limits: GroupLimits) -> Group:
    """A new control group for one sandbox, below the grader's own, with these limits.

    Raises :class:`GroupUnavailable` with the reason when none can be made.
    """
    chosen = _choose()
    if isinstance(chosen, str):
        raise GroupUnavailable(chosen)
    kind, parents = chosen
    name = f"{PREFIX}{os.getpid()}-{next(_numbers)}-{secrets.token_hex(3)}"
    for parent in dict.fromkeys(parents.values()):
        remove_abandoned(parent)
    group = kind({c: parent / name for c, parent in parents.items()})
    try:
        for folder in group._distinct():
            folder.mkdir(mode=0o755)
        group.set_limits(limits)
    except OSError as error:
        group.remove()
        raise GroupUnavailable(f"cannot make the group {name}: {error}") from error
    return group


def remove_abandoned(parent: Path) -> None:
    """Remove the empty groups that graders which have ended left in ``parent``."""
    for folder in parent.glob(f"{PREFIX}*"):
        owner = folder.name.removeprefix(PREFIX).split("-")[0]
        if owner.isdigit() and not psutil.pid_exists(int(owner)):
            with contextlib.suppress(OSError):
                folder.rmdir()  # refused while processes remain: only empty ones go


# --- What the judge reads -----------------------------------------------------------------


class ProcessTree:
    """The weaker count, where no group can be made: the sandbox's processes in ``/proc``.

    Every process still under the sandbox's first one, and what each has
    reaped of its children. A process nobody reaps (its parent ignores
    ``SIGCHLD``) takes its CPU time with it when it ends; nothing can be
    frozen.
    """

    way = "the sandbox's processes in /proc (no control group: an unreaped process is not counted)"

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def to_data(self) -> dict[str, Any]:
        return {"pid": self.pid}

    def cpu_seconds(self) -> float | None:
        return tree_cpu_seconds(self.pid)

    def freeze(self) -> None:
        """Nothing: without a group the sandbox cannot be frozen."""

    def thaw(self) -> None:
        """Nothing, as nothing was frozen."""


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU seconds of a process and all its descendants, the ended and waited-for included.

    None if the process has gone.
    """
    try:
        root = psutil.Process(pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.Error:
        return None
    total = 0.0
    for process in tree:
        with contextlib.suppress(psutil.Error):  # a process that ended as we looked
            t = process.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
    return total


def open_meter(data: dict[str, Any]) -> Meter:
    """The meter nbgrader described (:meth:`Group.to_data`, :meth:`ProcessTree.to_data`).

    Group folders are taken only under :data:`CGROUP_ROOT`, named as this
    grader names them.
    """
    if "pid" in data:
        return ProcessTree(int(data["pid"]))
    kinds: dict[int, type[Group]] = {1: GroupV1, 2: GroupV2}
    kind = kinds[int(data["cgroup"])]
    folders = {str(k): Path(v) for k, v in dict(data["folders"]).items()}
    for folder in folders.values():
        if not folder.is_relative_to(CGROUP_ROOT) or not folder.name.startswith(PREFIX):
            raise ValueError(f"not a sandbox's control group: {folder}")
    return kind(folders)
