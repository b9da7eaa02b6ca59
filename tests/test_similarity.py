"""The similarity report on generated classes: a disguised copy tops it, honest work does not.

The honest work is the reference against the mistake catalogue's answers of
01-03, which were written apart from it (04-06's catalogue answers are the
reference with a line changed, and rightly score high against it). Nothing
here grades a notebook: the report reads ``submitted/`` only.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.assignments import REPO_ROOT
from autograder.course import samples
from autograder.course.cli import main
from autograder.course.directory import Course
from autograder.course.similarity import (
    COMMON_MIN,
    Fingerprints,
    compare,
    compare_all,
    fingerprint,
    locked_cells,
    scaffolding,
    student_code,
    tokens,
)
from tests.similarity_cases import catalogue_answers, catalogue_student, disguised_copy, renamed

WRITTEN_APART = ("01_output_size", "02_manual_convolution", "03_one_hot")


def course_with_release(root: Path, assignment: str) -> Course:
    """A scratch course with the assignment's released files, as ``generate`` leaves them."""
    course = Course.create(root, (assignment,))
    shutil.copytree(REPO_ROOT / "assignments" / assignment, root / "assignments" / assignment)
    return course


def read_pairs(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("assignment", WRITTEN_APART)
def test_a_disguised_copy_tops_the_report_and_honest_work_ranks_low(tmp_path, assignment, capsys):
    course = course_with_release(tmp_path / "course", assignment)
    reference = samples.submission(assignment)
    course.submit("reference", assignment, reference)
    course.submit("copier", assignment, disguised_copy(reference))
    course.submit("stub", assignment, samples.stub(assignment))
    honest = [
        f"catalogue-{i}" for i in range(max(map(len, catalogue_answers(assignment).values())))
    ]
    for i, student in enumerate(honest):
        course.submit(student, assignment, catalogue_student(assignment, i))

    assert main(["similarity", "--course", str(course.root), assignment]) == 0
    out = course.root / "similarity" / assignment
    assert str(out / "index.html") in capsys.readouterr().out
    pairs = read_pairs(out / "pairs.csv")

    students = 3 + len(honest)
    assert len(pairs) == students * (students - 1) // 2
    top = pairs[0]
    assert {top["first"], top["second"]} == {"copier", "reference"}
    assert float(top["score"]) >= 0.95
    assert all(float(p["score"]) < float(top["score"]) for p in pairs[1:])
    score = {frozenset((p["first"], p["second"])): float(p["score"]) for p in pairs}
    for student in honest:
        assert score[frozenset(("reference", student))] < 0.5, student
        assert score[frozenset(("copier", student))] < 0.5, student
    assert all(s == 0.0 for pair, s in score.items() if "stub" in pair)  # never flagged

    page = (out / "index.html").read_text(encoding="utf-8")
    assert "default-src 'none'" in page and "data:image/png;base64," in page
    assert not re.search(r"(src|href)=['\"]?(https?:|//)", page)  # nothing leaves the machine
    assert "No code of their own" in page and "stub" in page
    assert "<mark>" in page and "id='pair-1'" in page


def test_names_comments_and_layout_do_not_count_but_library_calls_do():
    written = "def f(image, k):\n    out = np.zeros((3, 3))  # result\n    return out * k\n"
    copied = (
        "def f(image, k):\n    # my own\n    res = np.zeros(\n        (3, 3)\n    )\n\n"
        "    return res * k\n"
    )
    other = "def f(image, k):\n    out = np.ones((3, 3))\n    return out * k\n"
    assert [t.text for t in tokens(written)] == [t.text for t in tokens(copied)]
    assert [t.text for t in tokens(written)] != [t.text for t in tokens(other)]
    assert [t.text for t in tokens('def f():\n    """Docstring."""\n    return 1\n')] == [
        t.text for t in tokens("def f():\n    return 1\n")
    ]
    tokens("def broken(:\n    x = 'unterminated\n")  # never raises on a student's broken code


def test_reordered_cells_and_renamed_variables_change_no_fingerprint():
    assignment = "02_manual_convolution"
    ignored = scaffolding(REPO_ROOT, assignment)
    locked = locked_cells(REPO_ROOT, assignment)
    original = student_code(samples.submission(assignment), locked)
    copied = student_code(disguised_copy(samples.submission(assignment)), locked)
    assert list(original) != list(copied)  # the answer cells come in another order
    assert original != dict(copied)  # with other names and comments
    assert any(renamed(src) != src for src in original.values())
    a, b = fingerprint("a", original, ignored), fingerprint("b", copied, ignored)
    assert a.hashes == b.hashes and a.hashes
    assert compare(a, b).share_first == compare(a, b).share_second == 1.0


@pytest.mark.parametrize(
    "assignment", ["04_mnist_cnn", "05_petimages_loading", "06_binary_crossentropy"]
)
def test_the_untouched_stub_has_no_fingerprint_in_any_assignment(assignment):
    locked = locked_cells(REPO_ROOT, assignment)
    stub = fingerprint(
        "stub", student_code(samples.stub(assignment), locked), scaffolding(REPO_ROOT, assignment)
    )
    reference = fingerprint("ref", student_code(samples.submission(assignment), locked), set())
    assert not stub.where and stub.coverage == 0
    assert compare(stub, reference).score == 0.0


def test_code_the_whole_class_shares_is_the_assignments_idiom():
    idiom = (
        "model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])\n"
    )

    def student(i: int) -> Fingerprints:
        own = f"def helper_{i}(x):\n" + "".join(f"    x = x * {i} + {j}\n" for j in range(6))
        return fingerprint(f"s{i}", {"a": idiom, "b": own}, set())

    few = compare_all([student(0), student(1)])
    assert few[0].score > 0.2  # a pair alone: the idiom is code they share
    many = compare_all([student(i) for i in range(COMMON_MIN)])
    assert all(p.score == 0.0 for p in many)


def test_an_unreadable_submission_is_listed_and_a_renamed_one_compared(tmp_path):
    assignment = "03_one_hot"
    course = course_with_release(tmp_path / "course", assignment)
    course.submit("reference", assignment, samples.submission(assignment))
    course.submit("broken", assignment, b"{not json")
    renamed_nb = samples.submission(assignment)
    course.submit("renamed", assignment, renamed_nb, filename="Untitled.ipynb")
    evil = samples.submission(
        assignment, {"from_one_hot": "x = '</pre><script>alert(1)</script>'\n"}
    )
    course.submit("evil", assignment, nbformat.from_dict(evil))
    assert main(["similarity", "--course", str(course.root), assignment]) == 0
    page = (course.root / "similarity" / assignment / "index.html").read_text(encoding="utf-8")
    assert "broken (the file is not valid JSON" in page
    assert "<script>" not in page
    assert {
        p["first"] for p in read_pairs(course.root / "similarity" / assignment / "pairs.csv")
    } <= {
        "evil",
        "reference",
    }


def test_what_is_locked_is_the_instructors_word_not_the_submissions(tmp_path):
    # A copy that marks its answer cells locked still shows them to the comparison.
    assignment = "03_one_hot"
    course = course_with_release(tmp_path / "course", assignment)
    course.submit("reference", assignment, samples.submission(assignment))
    hidden = samples.submission(assignment)
    for cell in samples.answer_cells(hidden).values():
        cell.metadata.nbgrader["locked"] = True
    added = nbformat.v4.new_code_cell(samples.reference_answers(assignment)["one_hot"])
    added.metadata["nbgrader"] = {"locked": True}  # a cell of its own, locked without an id
    hidden.cells.append(added)
    course.submit("hider", assignment, hidden)
    assert main(["similarity", "--course", str(course.root), assignment]) == 0
    [pair] = read_pairs(course.root / "similarity" / assignment / "pairs.csv")
    assert float(pair["score"]) >= 0.95
