"""What do 04 and 06 cost in CPU seconds, on the one thread a graded kernel computes on?

Runs the reference notebooks' code cells (their hidden tests left out) in
this process with one TensorFlow thread, as the sandbox sets it, and prints
the CPU seconds of each training cell and of the whole notebook; then one
epoch of the lecture's CNN as written (the notebook's worked example), whose
30 epochs are what a student who copies the lecture would train.

    export CNN_COURSE_DATA=../shared/datasets
    python benchmarks/budget.py        # about 8 minutes on 2 cores
"""

from __future__ import annotations

import os
import resource
import sys
import time

from autograder.sandbox.command import ONE_THREAD

os.environ.update(ONE_THREAD)  # before TensorFlow is imported
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

from autograder import notebooks
from autograder.assignments import REPO_ROOT, solution_path
from autograder.course import samples

LECTURE_EPOCH = (
    samples.LECTURE_BUILD_CNN
    + "build_cnn().fit(X_train, Y_train, validation_split=0.1, epochs=1, batch_size=128, "
    "verbose=0)\n"
)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(assignment: str, extra: str = "") -> None:
    """Run a reference notebook's cells here; print each training cell's CPU seconds."""
    sys.path.insert(0, str(REPO_ROOT / "solutions" / assignment))  # its course_data.py
    namespace: dict = {}
    started = cpu_seconds()
    for cell in notebooks.read(solution_path(assignment)).cells:
        if cell.cell_type != "code" or "plt.show" in cell.source:
            continue
        source = cell.source.split("### BEGIN HIDDEN TESTS")[0]
        before, wall = cpu_seconds(), time.monotonic()
        exec(compile(source, assignment, "exec"), namespace)
        name = notebooks.grade_id_of(cell) or ""
        if name.startswith("train"):
            print(f"  {name}: {cpu_seconds() - before:.0f} CPU s ({time.monotonic() - wall:.0f} s)")
    print(f"{assignment}: {cpu_seconds() - started:.0f} CPU s in all")
    if extra:
        before = cpu_seconds()
        exec(compile(extra, "lecture", "exec"), namespace)
        print(f"the lecture's CNN as written, one epoch: {cpu_seconds() - before:.0f} CPU s")


def main() -> None:
    run("04_mnist_cnn", LECTURE_EPOCH)
    run("06_binary_crossentropy")


if __name__ == "__main__":
    main()
