"""Grades for the learning platform: Canvas's and Moodle's gradebook import files.

Both are nbgrader export plugins (:class:`nbgrader.plugins.ExportPlugin`), so
``cnn-grader export --format canvas`` and plain nbgrader give the same file::

    nbgrader export --exporter=autograder.course.export.CanvasExportPlugin \\
        --CanvasExportPlugin.roster=roster.csv --to grades_canvas.csv
    nbgrader export --exporter=autograder.course.export.MoodleExportPlugin \\
        --MoodleExportPlugin.user_field=idnumber

Scores are nbgrader's own: each submission's score less its late penalty,
never below zero, and zero for a student with no submission, exactly as
nbgrader's CSV exporter computes them. ``--assignment`` and ``--student``
narrow the export as they do nbgrader's.

The roster (CSV, UTF-8, one row per student) maps nbgrader's student ids to
the platform's: a ``student_id`` column (the folder name under
``submitted/``), then any of ``name``, ``canvas_id``, ``sis_user_id``,
``sis_login_id``, ``section`` (Canvas; the headers of Canvas's own gradebook
export, ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``,
are read too) and the column Moodle is to match users on (``email``,
``username``, ``idnumber``...). A student of the export missing from the
roster, or without the identifier the platform needs, is an error naming
every such student: nobody is dropped from the file without a word. A
roster student the gradebook does not know (who never submitted anything)
gets a row all the same, with no grade (:data:`NO_GRADE`), and a warning
names them; such a row whose ``student_id`` is outside the course's shape of
id (:mod:`autograder.course.students`) is set aside instead, with a warning.

Every cell goes through :func:`autograder.course.spreadsheet.to_cell`: text
a spreadsheet would run as a formula (a student id ``=HYPERLINK(...)``, say)
is written with an apostrophe in front, and the log says whose. The plain
CSV export (:class:`CsvExportPlugin`, nbgrader's columns) does the same; the
course's ``nbgrader_config.py`` makes it ``nbgrader export``'s default.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Assignment, Gradebook, MissingEntry, Student
from nbgrader.plugins import ExportPlugin
from traitlets import Dict, Unicode

from autograder.course import spreadsheet
from autograder.course.directory import Course
from autograder.course.students import RULE, is_safe_student_id

ROSTER_ID = "student_id"
# Canvas's columns: the roster's column for each, and the header Canvas's own export gives it.
CANVAS_COLUMNS = {
    "Student": ("name", "Student"),
    "ID": ("canvas_id", "ID"),
    "SIS User ID": ("sis_user_id", "SIS User ID"),
    "SIS Login ID": ("sis_login_id", "SIS Login ID"),
    "Section": ("section", "Section"),
}
CANVAS_KEYS = ("ID", "SIS User ID", "SIS Login ID")  # Canvas matches a row on one of these
POINTS_POSSIBLE = "    Points Possible"  # Canvas's own spelling, leading spaces and all
# "No grade" for both platforms' imports: Canvas's own export leaves such a cell empty,
# and Moodle's import reads "" (or "-", which CSV cells escape as a formula's start).
NO_GRADE = ""


class RosterError(ValueError):
    """The roster cannot be read, or does not name every student of the export."""


def read_roster(path: Path) -> dict[str, dict[str, str]]:
    """The roster's rows by nbgrader student id, every value stripped."""
    path = Path(path)
    if not path.is_file():
        raise RosterError(
            f"no roster at {path}: a CSV with a {ROSTER_ID} column (nbgrader's student ids) "
            "and the platform's identifiers (see autograder/course/export.py)"
        )
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = [
            {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            for row in csv.DictReader(handle)
        ]
    if rows and ROSTER_ID not in rows[0]:
        raise RosterError(f"the roster {path} has no {ROSTER_ID} column: {sorted(rows[0])}")
    roster: dict[str, dict[str, str]] = {}
    repeated = set()
    for row in rows:
        if row[ROSTER_ID] in roster:
            repeated.add(row[ROSTER_ID])
        roster[row[ROSTER_ID]] = row
    if repeated:
        raise RosterError(f"the roster {path} lists students more than once: {sorted(repeated)}")
    roster.pop("", None)  # a blank line
    return roster


@dataclass(frozen=True)
class Grades:
    """The export's table: assignments with their points, students, and every score."""

    assignments: list[tuple[str, float]]  # name, points possible
    students: list[tuple[str, str]]  # nbgrader id, "Last, First" as the gradebook has it
    scores: dict[tuple[str, str], float]  # (student, assignment): score after late penalty

    def row(self, student: str, no_grade: str) -> list[str]:
        """A student's scores; ``no_grade`` in every column for a student the gradebook
        does not know, 0 for a known student's missing submission (as nbgrader's CSV)."""
        if student not in {s for s, _ in self.students}:
            return [no_grade] * len(self.assignments)
        return [number(self.scores.get((student, a), 0.0)) for a, _ in self.assignments]


def read_grades(
    gradebook: Gradebook, assignments: Iterable[str] = (), students: Iterable[str] = ()
) -> Grades:
    """The gradebook's scores as nbgrader's CSV exporter computes them (zero if not submitted)."""
    wanted_a, wanted_s = set(map(str, assignments)), set(map(str, students))
    chosen = sorted(
        (a for a in gradebook.assignments if not wanted_a or a.name in wanted_a),
        key=lambda a: a.name,
    )
    people = [s for s in gradebook.students if not wanted_s or s.id in wanted_s]
    scores = {}
    for assignment in chosen:
        for submission in gradebook.assignment_submissions(assignment.name):
            penalty = submission.late_submission_penalty or 0.0
            scores[(submission.student_id, assignment.name)] = max(
                0.0, float(submission.score) - penalty
            )
    return Grades(
        [(a.name, float(a.max_score)) for a in chosen],
        sorted(
            (s.id, ", ".join(n for n in (s.last_name, s.first_name) if n) or s.id) for s in people
        ),
        scores,
    )


def number(value: float) -> str:
    """A score as the platforms read it: ``12``, ``3.5``."""
    return format(round(value, 4), "g")


def missing_from(roster: dict[str, dict[str, str]], students: list[str], needs: str) -> None:
    """Raise, naming every student, if any is not in the roster."""
    missing = [s for s in students if s not in roster]
    if missing:
        raise RosterError(
            f"{len(missing)} student(s) with grades are not in the roster, so {needs} cannot "
            f"match them; add a row for each: {', '.join(missing)}"
        )


class RosterExportPlugin(ExportPlugin):
    """An exporter that names students by the platform's identifiers, from a roster.

    Its rows are every student of the gradebook and every student of the
    roster (both narrowed by ``student``, when given).
    """

    roster = Unicode("roster.csv", help="CSV mapping nbgrader student ids to the platform's").tag(
        config=True
    )
    default_to = "grades.csv"
    platform = "the platform"  # its name in messages

    def __init__(self, *args, warn: Callable[[str], None] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.warn = warn

    def grades(self, gradebook: Gradebook) -> tuple[Grades, dict[str, dict[str, str]], list[str]]:
        """The gradebook's grades, the roster, and the ids of every row, sorted."""
        roster = read_roster(Path(self.roster))
        grades = read_grades(gradebook, self.assignment, self.student)
        known = {s for s, _ in grades.students}
        wanted = set(map(str, self.student))
        new = sorted(s for s in roster if s not in known and (not wanted or s in wanted))
        unsafe = [repr(s) for s in new if not is_safe_student_id(s)]
        if unsafe:
            self.warning(
                f"set aside from the roster, not exported: {', '.join(unsafe)}: a student id "
                f"is {RULE}"
            )
        never = [s for s in new if is_safe_student_id(s)]
        if never:
            self.warning(
                f"{len(never)} student(s) of the roster have no grades at all (never submitted, "
                f"or not graded yet), exported with an empty cell, {self.platform}'s no grade: "
                f"{', '.join(never)}"
            )
        return grades, roster, sorted([*known, *never])

    def warning(self, message: str) -> None:
        """Log a warning, and hand it to ``warn`` (the command line prints it)."""
        self.log.warning(message)
        if self.warn is not None:
            self.warn(message)

    def write(self, rows: list[list[str]]) -> Path:
        return write_rows(self, Path(self.to or self.default_to), rows, self.warning)


class CanvasExportPlugin(RosterExportPlugin):
    """Canvas's gradebook import CSV: identity columns, "Points Possible", one column each."""

    default_to = "grades_canvas.csv"
    platform = "Canvas"
    assignment_ids = Dict(
        value_trait=Unicode(),
        help="Canvas's id of each assignment, {nbgrader name: id}: the column becomes 'name (id)'",
    ).tag(config=True)

    def export(self, gradebook: Gradebook) -> None:
        grades, roster, ids = self.grades(gradebook)
        missing_from(roster, ids, "Canvas")
        keyless = [s for s in ids if not any(canvas_value(roster[s], k) for k in CANVAS_KEYS)]
        if keyless:
            raise RosterError(
                f"Canvas matches a student on canvas_id, sis_user_id or sis_login_id; the roster "
                f"gives none for: {', '.join(keyless)}"
            )
        titles = [
            f"{a} ({self.assignment_ids[a]})" if a in self.assignment_ids else a
            for a, _ in grades.assignments
        ]
        rows = [[*CANVAS_COLUMNS, *titles]]
        rows.append([POINTS_POSSIBLE, "", "", "", "", *(number(p) for _, p in grades.assignments)])
        names = dict(grades.students)
        for student in ids:
            identity = [canvas_value(roster[student], column) for column in CANVAS_COLUMNS]
            name = identity[0] or names.get(student, student)
            rows.append([name, *identity[1:], *grades.row(student, NO_GRADE)])
        self.write(rows)


def canvas_value(row: dict[str, str], column: str) -> str:
    """A roster row's value for one of Canvas's identity columns, under either of its names."""
    return next((row[name] for name in CANVAS_COLUMNS[column] if row.get(name)), "")


class MoodleExportPlugin(RosterExportPlugin):
    """Moodle's grade import CSV: the user field Moodle maps on, then one column each."""

    default_to = "grades_moodle.csv"
    platform = "Moodle"
    user_field = Unicode(
        "email", help="the roster column Moodle matches users on: email, username, idnumber..."
    ).tag(config=True)

    def export(self, gradebook: Gradebook) -> None:
        grades, roster, ids = self.grades(gradebook)
        missing_from(roster, ids, "Moodle")
        empty = [s for s in ids if not roster[s].get(self.user_field)]
        if empty:
            raise RosterError(
                f"Moodle matches users on {self.user_field!r}; the roster gives none for: "
                + ", ".join(empty)
            )
        rows = [[self.user_field, *(a for a, _ in grades.assignments)]]
        rows += [[roster[s][self.user_field], *grades.row(s, NO_GRADE)] for s in ids]
        self.write(rows)


def write_rows(
    plugin: ExportPlugin,
    path: Path,
    rows: list[list[str]],
    warn: Callable[[str], None] | None = None,
) -> Path:
    """Write an export's rows, every cell as text no spreadsheet runs; say whose were marked
    (to ``warn``, or the plugin's log)."""
    safe = [spreadsheet.row(row) for row in rows]
    marked = sorted({cell for cells in rows for cell in cells if spreadsheet.to_cell(cell) != cell})
    if marked:
        (warn or plugin.log.warning)(
            f"{len(marked)} cell(s) start like a spreadsheet formula and were written with an "
            "apostrophe in front (check that the platform still matches these students): "
            f"{marked}"
        )
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(safe)
    plugin.log.info("Exported %d rows to %s", len(rows), path)
    return path


CSV_COLUMNS = (
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
)


class CsvExportPlugin(ExportPlugin):
    """nbgrader's own CSV export (``grades.csv``, its columns and scores), every cell
    written as text no spreadsheet runs."""

    def export(self, gradebook: Gradebook) -> None:
        wanted_a, wanted_s = set(map(str, self.assignment)), set(map(str, self.student))
        rows = [list(CSV_COLUMNS)]
        for assignment in gradebook.assignments:
            if wanted_a and assignment.name not in wanted_a:
                continue
            for student in gradebook.students:
                if not wanted_s or student.id in wanted_s:
                    rows.append(csv_row(gradebook, assignment, student))
        write_rows(self, Path(self.to or "grades.csv"), rows)


def csv_row(gradebook: Gradebook, assignment: Assignment, student: Student) -> list[str]:
    """One student's row of nbgrader's CSV export, as nbgrader computes it."""
    try:
        submission = gradebook.find_submission(assignment.name, student.id)
        penalty = submission.late_submission_penalty
        scores = [submission.timestamp, submission.score, penalty]
        scores.append(max(0.0, submission.score - penalty))
    except MissingEntry:
        scores = ["", 0.0, 0.0, 0.0]
    values = [
        assignment.name,
        assignment.duedate,
        scores[0],
        student.id,
        student.last_name,
        student.first_name,
        student.email,
        *scores[1:],
        assignment.max_score,
    ]
    return ["" if value is None else str(value) for value in values]


PLUGINS: dict[str, type[RosterExportPlugin]] = {
    "canvas": CanvasExportPlugin,
    "moodle": MoodleExportPlugin,
}


def export_for(
    course: Course,
    platform: str,
    to: Path | None = None,
    roster: Path | None = None,
    user_field: str = "email",
    warn: Callable[[str], None] | None = None,
) -> Path:
    """Write a platform's import file from the course's gradebook; return its path.

    Each warning (roster students without grades, say) goes to ``warn`` too.
    """
    plugin_class = PLUGINS[platform]
    path = Path(to or course.root / plugin_class.default_to).resolve()
    options = {"user_field": user_field} if platform == "moodle" else {}
    roster_path = str(roster or course.root / "roster.csv")
    plugin = plugin_class(to=str(path), roster=roster_path, warn=warn, **options)
    with course.gradebook() as gradebook:
        plugin.export(gradebook)
    return path
