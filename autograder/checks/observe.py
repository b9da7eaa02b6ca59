"""What the judge sees for itself, outside the student's process, while a student function runs.

The student's code runs in its own process, which it may rewrite; anything
that process reports about itself could be forged. These observations are
the operating system's instead:

* :class:`OpenedFiles` records, through Linux's inotify, which files and
  folders inside some folders are opened, by anyone, in what order;
* it can also press Ctrl-C for real the moment one file is opened: a SIGINT
  to the student's process (named by the kernel's socket, not by the
  kernel), indistinguishable from the student's own keyboard.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from types import TracebackType

from inotify_simple import INotify, flags


class OpenedFiles:
    """Files and folders opened inside ``folders`` while in the ``with`` block, in order.

    ``opened`` holds their paths (a folder when listed or opened). With
    ``interrupt=(path, process_id)``, the process gets a SIGINT as soon as
    ``path`` is opened; ``interrupted`` says whether it did.
    """

    def __init__(self, folders: list[Path], interrupt: tuple[Path, int] | None = None) -> None:
        self.folders = folders
        self.interrupt = interrupt
        self.opened: list[Path] = []
        self.interrupted = False
        self._inotify = INotify()
        self._watches: dict[int, Path] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)

    def __enter__(self) -> OpenedFiles:
        for folder in self.folders:
            self._watches[self._inotify.add_watch(folder, flags.OPEN)] = folder
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
        self._take(self._inotify.read(timeout=0))  # what came in as the call returned
        self._inotify.close()

    def _follow(self) -> None:
        while not self._stop.is_set():
            self._take(self._inotify.read(timeout=50))

    def _take(self, events: list) -> None:
        for event in events:
            folder = self._watches.get(event.wd)
            if folder is None:
                continue
            path = folder / event.name if event.name else folder
            self.opened.append(path)
            if self.interrupt and not self.interrupted and path == self.interrupt[0]:
                self.interrupted = True
                os.kill(self.interrupt[1], signal.SIGINT)
