"""What the judge sees for itself, outside the student's process, while a student function runs.

The student's code runs in its own process, which it may rewrite; anything
that process reports about itself could be forged. These observations are
the operating system's instead:

* :class:`OpenedFiles` records, through Linux's inotify, which files and
  folders inside some folders are opened, by anyone, in what order;
* it can also press Ctrl-C for real while one file is opened: a SIGINT to
  the student's process (named by the kernel's socket, not by the kernel),
  indistinguishable from the student's own keyboard. The judge holds a
  lease on that file (``fcntl(F_SETLEASE)``): whoever opens it waits in
  ``open`` until the judge lets go, which it does once the SIGINT is sent.
  So the interrupt lands inside the loader's read of that file however
  small and quick to read it is, as a Ctrl-C pressed during a long read
  would. Where the file system grants no lease, the SIGINT is sent as the
  open is seen, which a quick read may outrun.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import threading
from pathlib import Path
from types import TracebackType

from inotify_simple import INotify, flags

# The kernel tells a lease's holder that someone waits with a signal (SIGIO unless set):
# one whose default is to be ignored, since the judge looks for the wait itself.
LEASE_SIGNAL = signal.SIGURG
LEASE_POLL_MS = 2  # how often the judge looks whether someone waits on the lease


class Lease:
    """A write lease on a file: anyone else's ``open`` of it waits until it is released
    (or the kernel's ``fs.lease-break-time``, 45 s by default, has passed)."""

    def __init__(self, path: Path) -> None:
        self.fd: int | None = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            fcntl.fcntl(self.fd, fcntl.F_SETSIG, LEASE_SIGNAL)
            fcntl.fcntl(self.fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)
        except OSError:
            self.release()
            raise

    def waited_on(self) -> bool:
        """Whether someone's open is waiting for the lease to go."""
        return self.fd is not None and fcntl.fcntl(self.fd, fcntl.F_GETLEASE) != fcntl.F_WRLCK

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            fcntl.fcntl(self.fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
        os.close(self.fd)
        self.fd = None


def lease_on(path: Path) -> Lease | None:
    """A lease on ``path``, or None where none is granted (the file open elsewhere, a file
    system without leases, leases switched off)."""
    try:
        return Lease(path)
    except OSError:
        return None


class OpenedFiles:
    """Files and folders opened inside ``folders`` while in the ``with`` block, in order.

    ``opened`` holds their paths (a folder when listed or opened). With
    ``interrupt=(path, process_id)``, the process gets a SIGINT while it opens
    ``path`` (see the module's note); ``interrupted`` says whether it did.
    """

    def __init__(self, folders: list[Path], interrupt: tuple[Path, int] | None = None) -> None:
        self.folders = folders
        self.interrupt = interrupt
        self.opened: list[Path] = []
        self.interrupted = False
        self._inotify = INotify()
        self._watches: dict[int, Path] = {}
        self._lease: Lease | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)

    def __enter__(self) -> OpenedFiles:
        for folder in self.folders:
            self._watches[self._inotify.add_watch(folder, flags.OPEN)] = folder
        if self.interrupt is not None:
            self._lease = lease_on(self.interrupt[0])
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        if self._lease is not None:
            self._lease.release()  # the file was never opened
        self._take(self._inotify.read(timeout=0))  # what came in as the call returned
        self._inotify.close()

    def _follow(self) -> None:
        while not self._stop.is_set():
            self._take(self._inotify.read(timeout=LEASE_POLL_MS if self._lease else 50))
            if self._lease is not None and self._lease.waited_on():
                self._press_ctrl_c()
                self._lease.release()  # the open goes on, with the SIGINT already there
                self._lease = None

    def _take(self, events: list) -> None:
        for event in events:
            folder = self._watches.get(event.wd)
            if folder is None:
                continue
            path = folder / event.name if event.name else folder
            self.opened.append(path)
            if self.interrupt and self._lease is None and path == self.interrupt[0]:
                self._press_ctrl_c()  # no lease was granted: as the open is seen

    def _press_ctrl_c(self) -> None:
        if self.interrupt is not None and not self.interrupted:
            self.interrupted = True
            os.kill(self.interrupt[1], signal.SIGINT)
