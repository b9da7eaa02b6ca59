"""Other users' way into folders only this account may enter, for tests that run as them.

The exchange's test runs commands as other Unix users, who must run this
interpreter, this environment's ``cnn-grader`` and the repository's package.
On a hub those are installed for everyone; here they may sit in a private
folder: a clone in ``mktemp -d`` (mode 700), a home, pyenv under ``/root``.
Nothing on the machine is opened for that. The command runs in a mount
namespace of its own (``unshare --mount``, private: the machine sees no
change), where, as root, this module (run as a script) first rebuilds the
way to each path to show:

* a closed folder on the way becomes an open, empty tmpfs, through which
  only the way to the shown paths leads (nothing else of it is there);
* a shown folder is bound in as it is; a closed one becomes an open tmpfs
  holding its entries, each bound in as it is (a closed one stays closed).

Then it runs the command. Files keep their owners and modes: other users
read and write what the owner's permissions let them, as anywhere else.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path


def closed(path: Path | int) -> bool:
    """Whether other users cannot enter this folder (it lacks their execute bit)."""
    mode = os.fstat(path).st_mode if isinstance(path, int) else path.stat().st_mode
    return not mode & stat.S_IXOTH


def first_closed(path: Path) -> Path | None:
    """The outermost closed folder above ``path``, or None if all of them are open."""
    return next((a for a in reversed(path.parents) if closed(a)), None)


def shown_to_others(paths: Iterable[Path]) -> list[str]:
    """A command prefix that shows ``paths`` to other users wherever they are kept.

    Empty when other users can reach them all already. Run the command as
    root; its own user may be anyone (``runuser -u NAME -- ...``).
    """
    wanted = sorted({p.resolve() for p in paths}, key=lambda p: len(p.parts))
    if not any(closed(p) or first_closed(p) for p in wanted):
        return []
    view = [sys.executable, str(Path(__file__).resolve()), *map(str, wanted), "--"]
    return ["unshare", "--mount", "--propagation", "private", *view]


def tools_for_all(base: Path) -> list[str]:
    """A prefix that lets other users run this Python, this environment's commands and the
    repository's package, and reach ``base``, wherever they are kept.

    On a JupyterHub they are installed for everyone. Here they may sit in a
    folder only root may enter: pyenv's interpreter under ``/root``, a clone in
    ``mktemp -d`` (mode 700).
    """
    from autograder.assignments import REPO_ROOT  # not when run as a script, as root

    return shown_to_others([Path(sys.base_prefix), Path(sys.prefix), REPO_ROOT, base])


def _mount(*args: str, fd: int | None = None) -> None:
    subprocess.run(["mount", *args], check=True, pass_fds=() if fd is None else (fd,))


def _bind(fd: int, target: Path) -> None:
    """Bind what ``fd`` holds onto ``target``: the real file, even where a tmpfs now hides it."""
    _mount("--no-canonicalize", "--rbind", f"/proc/self/fd/{fd}", str(target), fd=fd)


def _open_tmpfs(target: Path) -> None:
    _mount("-t", "tmpfs", "-o", "mode=0755", "tmpfs", str(target))


def _show_entries(folder: int, target: Path) -> None:
    """Make ``target`` an open tmpfs holding the entries of the closed ``folder``."""
    _open_tmpfs(target)
    for name in os.listdir(f"/proc/self/fd/{folder}"):
        place = target / name
        kind = os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode
        if stat.S_ISLNK(kind):
            place.symlink_to(os.readlink(name, dir_fd=folder))
            continue
        if not (stat.S_ISDIR(kind) or stat.S_ISREG(kind)):
            continue  # sockets and pipes: nothing a test runs needs them
        place.mkdir() if stat.S_ISDIR(kind) else place.touch()
        entry = os.open(name, os.O_PATH | os.O_NOFOLLOW, dir_fd=folder)
        try:
            _bind(entry, place)
        finally:
            os.close(entry)


def _show(path: Path, held: int) -> None:
    """Lay the way to ``path`` (held open as ``held``) open to others, in this namespace."""
    hiding = first_closed(path)
    if hiding is not None:
        _open_tmpfs(hiding)
        path.mkdir(parents=True, exist_ok=True)
    if closed(held):
        _show_entries(held, path)
    elif hiding is not None:
        _bind(held, path)


def main(argv: list[str]) -> None:
    """``PATH ... -- COMMAND ...``: show the paths, then become the command."""
    split = argv.index("--")
    paths, command = [Path(p) for p in argv[:split]], argv[split + 1 :]
    os.umask(0o022)
    # Each path is held before any folder is hidden: binding the held file reaches the
    # real one even under a tmpfs laid over a folder above it.
    held = {path: os.open(path, os.O_PATH) for path in paths}
    for path, fd in held.items():
        _show(path, fd)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
