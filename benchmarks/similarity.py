"""How long does the similarity report take for a class of 200?

Builds a scratch course with 200 submissions of ``02_manual_convolution``
(the assignment with the most code to compare) under ``submitted/``, then
times what ``cnn-grader similarity`` does for it: read every notebook,
fingerprint it, compare all 19,900 pairs, write ``pairs.csv`` and
``index.html``. The class (``tests/similarity_cases.py``): 189 students
whose answer cells are drawn from the reference and the mistake
catalogue's answers, each with statements of their own added at random;
8 untouched stubs; 3 disguised copies (names changed, comments changed,
cells reordered) of three of the students.

    python benchmarks/similarity.py     # a few seconds on 2 cores
"""

from __future__ import annotations

import csv
import shutil
import sys
import tempfile
import time
from pathlib import Path

from autograder.assignments import REPO_ROOT
from autograder.course.directory import Course
from autograder.course.similarity import compare_class, write_csv
from autograder.course.similarity_page import page

sys.path.insert(0, str(REPO_ROOT))  # tests/ is not installed
from tests.similarity_cases import generated_class

ASSIGNMENT = "02_manual_convolution"
CLASS_SIZE = 200


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="cnn-similarity-") as scratch:
        course = Course.create(Path(scratch) / "course", (ASSIGNMENT,))
        shutil.copytree(
            REPO_ROOT / "assignments" / ASSIGNMENT, course.root / "assignments" / ASSIGNMENT
        )
        for student, notebook in generated_class(ASSIGNMENT, CLASS_SIZE).items():
            course.submit(student, ASSIGNMENT, notebook)
        out = course.root / "similarity" / ASSIGNMENT
        out.mkdir(parents=True)

        started = time.monotonic()
        comparison = compare_class(course, ASSIGNMENT)
        compared = time.monotonic()
        write_csv(comparison, out / "pairs.csv")
        (out / "index.html").write_text(page(comparison), encoding="utf-8")
        done = time.monotonic()

        with (out / "pairs.csv").open(newline="") as handle:
            ranks = {
                row["first"] if row["first"].startswith("copy") else row["second"]: int(row["rank"])
                for row in csv.DictReader(handle)
                if "copy-of" in row["first"] + row["second"]
                and row["first"].removeprefix("copy-of-") == row["second"].removeprefix("copy-of-")
            }
        print(
            f"{len(comparison.prints)} submissions of {ASSIGNMENT}, {len(comparison.pairs)} pairs"
        )
        print(f"read and fingerprinted, all pairs compared: {compared - started:.1f} s")
        print(f"pairs.csv and index.html written:          {done - compared:.1f} s")
        print(f"total:                                     {done - started:.1f} s")
        print(f"rank of each disguised copy beside its original: {sorted(ranks.values())}")
        print(f"no code of their own: {len(comparison.without_own_code)} (the stubs)")


if __name__ == "__main__":
    main()
