"""How long does grading the PetImages assignments take, and how far above its tiers is 06?

Autogrades the reference of 05_petimages_loading once and of
06_binary_crossentropy twice, with real nbgrader in a scratch course, and
prints for each: the training seconds its cells printed, the binary model's
hold-out accuracy (06), the whole ``nbgrader autograde`` seconds and the
score; then the margin of the reference over 06's full-marks tier.

    export CNN_COURSE_DATA=../shared/datasets   # or online, or a filled cache
    python benchmarks/petimages.py              # about 3 minutes
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

from autograder import notebooks as notebook
from autograder.course import samples
from autograder.course.directory import Course
from autograder.judge.runner import check_points

FULL_MARKS_TIER = 0.68  # the highest tier of 06's checks (autograder/assignments/a06_*)


def printed(course: Course, student: str, assignment: str) -> str:
    return notebook.printed_text(notebook.read(course.graded_path(student, assignment)))


def autograde_one(course: Course, student: str, assignment: str) -> dict[str, str]:
    """Autograde the reference alone; return the figures as printed columns."""
    course.submit(student, assignment, samples.submission(assignment))
    started = time.monotonic()
    course.nbgrader("autograde", assignment, "--student", student, "--force")
    total = time.monotonic() - started
    text = printed(course, student, assignment)
    training = re.findall(r"model trained in (\d+) s", text)
    accuracy = re.search(r"binary hold-out accuracy: ([\d.]+)", text)
    scores = course.cell_scores(assignment)[student]
    full = sum(sum(p.values()) for p in check_points(assignment).values())
    return {
        "training s": " + ".join(training) or "-",
        "hold-out accuracy": accuracy.group(1) if accuracy else "-",
        "autograde s": f"{total:.0f}",
        "score": f"{sum(scores.values()):g} / {full:g}",
    }


def main() -> None:
    runs = [
        ("05 reference", "reference", "05_petimages_loading"),
        ("06 reference, run 1", "reference", "06_binary_crossentropy"),
        ("06 reference, run 2", "reference-again", "06_binary_crossentropy"),
    ]
    with tempfile.TemporaryDirectory() as scratch:
        course = Course.create(Path(scratch) / "course", tuple(sorted({a for *_, a in runs})))
        for assignment in sorted({a for *_, a in runs}):
            course.generate(assignment)
        rows = {name: autograde_one(course, student, a) for name, student, a in runs}
    columns = ["training s", "hold-out accuracy", "autograde s", "score"]
    print(f"{'submission':<22}" + "".join(f"{c:>19}" for c in columns))
    for name, row in rows.items():
        print(f"{name:<22}" + "".join(f"{row[c]:>19}" for c in columns))
    accuracy = float(rows["06 reference, run 1"]["hold-out accuracy"])
    margin = accuracy - FULL_MARKS_TIER
    print(f"06 reference above the full-marks tier ({FULL_MARKS_TIER}): {margin:+.4f}")


if __name__ == "__main__":
    main()
