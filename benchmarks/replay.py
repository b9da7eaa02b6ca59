"""What the grader's own training of the recipes adds to grading 04 and 06.

Grades the reference notebook of 04_mnist_cnn and of 06_binary_crossentropy,
each alone, with ``cnn-grader``'s ``autograde`` (``--workers 1``), in a
scratch course directory, and prints for each: the wall seconds, the points,
and the CPU seconds of the kernel (the notebook's own training) and of the
judge (the checks, and with the replay the grader's training), read from
``/proc`` while it grades. CPU seconds hardly move with what else runs on
the machine; wall seconds do. Run it once in this checkout and once in a
checkout without the replay (the commit before it), one after the other:
the judge's difference is what the replay adds.

    export CNN_COURSE_DATA=../shared/datasets
    python benchmarks/replay.py                               # this checkout
    PYTHONPATH=../before-replay python benchmarks/replay.py   # a checkout without it
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

import autograder
from autograder.course import samples
from autograder.course.directory import Course
from autograder.course.grading import autograde

TRAINING = ("04_mnist_cnn", "06_binary_crossentropy")
ROLES = {"autograder.judge": "judge", "autograder.kernel.launch": "kernel"}
TICKS = os.sysconf("SC_CLK_TCK")


class CpuOfGrading(threading.Thread):
    """CPU seconds of every judge and kernel process named with ``scratch``, by role, sampled
    from ``/proc`` until :meth:`stop` (a process's last reading before it ends counts)."""

    def __init__(self, scratch: str) -> None:
        super().__init__(daemon=True)
        self.scratch, self.done = scratch, threading.Event()
        self.seen: dict[tuple[str, str], tuple[str, float]] = {}

    def run(self) -> None:
        while not self.done.wait(0.5):
            for pid in filter(str.isdigit, os.listdir("/proc")):
                self._read(pid)

    def _read(self, pid: str) -> None:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return
        role = next((r for module, r in ROLES.items() if f"-m {module} " in command), None)
        if role and self.scratch in command and not command.startswith("timeout"):
            self.seen[(pid, stat[19])] = (role, (int(stat[11]) + int(stat[12])) / TICKS)

    def stop(self) -> dict[str, float]:
        """Stop sampling; CPU seconds by role."""
        self.done.set()
        self.join()
        totals: dict[str, float] = {}
        for role, seconds in self.seen.values():
            totals[role] = totals.get(role, 0.0) + seconds
        return totals


def graded_alone(root: Path, assignment: str) -> tuple[float, float, dict[str, float]]:
    """Seconds to autograde the reference of ``assignment`` alone, its points, and the CPU
    seconds of its kernel and judge."""
    course = Course.create(root / assignment, (assignment,))
    course.generate(assignment)
    course.submit("reference", assignment, samples.submission(assignment))
    sampler = CpuOfGrading(os.path.join(tempfile.gettempdir(), "cnn-"))  # its scratch folders
    sampler.start()
    started = time.monotonic()
    outcomes = autograde(course, (assignment,), workers=1, out=lambda line: None)
    seconds = time.monotonic() - started
    cpu = sampler.stop()
    assert all(o.ok for o in outcomes), [o for o in outcomes if not o.ok]
    return seconds, sum(course.cell_scores(assignment)["reference"].values()), cpu


def main() -> None:
    print(f"package: {Path(autograder.__file__).parent}")
    with tempfile.TemporaryDirectory(prefix="replay-bench-") as scratch:
        for assignment in TRAINING:
            seconds, points, cpu = graded_alone(Path(scratch), assignment)
            print(
                f"{assignment:24s} {seconds:6.1f} s wall  {points:g} points  CPU s: kernel "
                f"{cpu.get('kernel', 0):.1f}, judge {cpu.get('judge', 0):.1f}"
            )


if __name__ == "__main__":
    main()
