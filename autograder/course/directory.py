"""An nbgrader course directory, driven through nbgrader's own commands.

The repository root is the instructor's course directory. :meth:`Course.create`
makes a scratch copy elsewhere (for the demo and the tests), so sample
students never enter the instructor's real gradebook.
"""

from __future__ import annotations

import datetime
import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder.assignments import COURSE_ID, IDS, REPO_ROOT, release_path
from autograder.course.students import is_safe_student_id


def tool_environment() -> dict[str, str]:
    """This environment with its ``bin/`` first on PATH.

    nbgrader runs ``alembic`` through PATH when it opens a gradebook, and its
    kernels must import this package, so both come from this interpreter's
    environment whether or not it was activated.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


@dataclass(frozen=True)
class Score:
    """One student's total on one assignment, as the gradebook holds it."""

    assignment: str
    student: str
    score: float
    max_score: float


class NbgraderFailed(RuntimeError):
    """An nbgrader command exited with an error; its log is in the message."""


@dataclass
class Course:
    """An nbgrader course directory: ``nbgrader_config.py``, ``solutions/``, ``assignments/``.

    ``db_url`` names the gradebook when it is not the course's SQLite file,
    for example ``postgresql://grader@dbhost/cnn``; every nbgrader command of
    this course is then pointed at it.
    """

    root: Path
    db_url: str | None = None

    @property
    def gradebook_url(self) -> str:
        """The gradebook's SQLAlchemy URL (as ``nbgrader_config.py`` sets it by default)."""
        return self.db_url or f"sqlite:///{self.root / 'gradebook.db'}?timeout=60"

    @classmethod
    def create(
        cls, root: Path, assignments: tuple[str, ...] = IDS, db_url: str | None = None
    ) -> Course:
        """Copy the course's configuration and solutions into a new, empty course at ``root``."""
        root = Path(root)
        if root.exists():
            shutil.rmtree(root)
        (root / "solutions").mkdir(parents=True)
        shutil.copy(REPO_ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
        for assignment in assignments:
            shutil.copytree(REPO_ROOT / "solutions" / assignment, root / "solutions" / assignment)
        return cls(root, db_url)

    def nbgrader(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``nbgrader ARGS`` in this course directory."""
        result = subprocess.run(
            [str(Path(sys.executable).parent / "nbgrader"), *self.nbgrader_args(*args)],
            cwd=self.root,
            env=tool_environment(),
            capture_output=True,
            text=True,
        )
        if check and result.returncode != 0:
            raise NbgraderFailed(f"nbgrader {' '.join(args)} failed:\n{result.stderr[-4000:]}")
        return result

    def nbgrader_args(self, *args: str) -> list[str]:
        """``ARGS`` of an nbgrader command in this course (with its gradebook's URL, if set)."""
        return [*args, *([f"--CourseDirectory.db_url={self.db_url}"] if self.db_url else [])]

    def generate(self, assignment: str) -> Path:
        """Generate the student version of an assignment; return its notebook."""
        self.nbgrader("generate_assignment", assignment, "--force")
        return release_path(assignment, self.root)

    def submit(
        self,
        student: str,
        assignment: str,
        notebook: NotebookNode | bytes | None,
        filename: str | None = None,
    ) -> Path:
        """Place a student's notebook (or raw file content) as ``nbgrader collect`` leaves it.

        Beside it go the ``timestamp.txt`` and ``submission_secret.txt`` that
        ``nbgrader submit`` writes, which ``release_feedback`` needs to release
        feedback that only this submission's student can fetch. ``filename``
        replaces the notebook's expected name; ``None`` submits no notebook.
        """
        folder = self.root / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        now = datetime.datetime.now(datetime.UTC)
        (folder / "timestamp.txt").write_text(now.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
        (folder / "submission_secret.txt").write_text(secrets.token_hex(64))
        path = folder / (filename or f"{assignment}.ipynb")
        if notebook is None:
            return path
        if isinstance(notebook, bytes):
            path.write_bytes(notebook)
        else:
            nbformat.write(notebook, str(path))
        return path

    def autograde(self, assignment: str, *options: str) -> subprocess.CompletedProcess[str]:
        """Autograde every submitted student's copy of an assignment.

        nbgrader exits non-zero when any one student could not be graded; the
        others are graded all the same, so this does not raise.
        """
        return self.nbgrader("autograde", assignment, "--force", *options, check=False)

    def submitted_students(self, assignment: str) -> list[str]:
        """Students with a submission of ``assignment`` under ``submitted/``, sorted.

        Only folders named by a safe student id (:mod:`autograder.course.students`);
        :meth:`refused_students` names the others.
        """
        return [s for s in self._submission_folders(assignment) if is_safe_student_id(s)]

    def refused_students(self, assignment: str) -> list[str]:
        """Folders under ``submitted/`` holding ``assignment`` whose name is no safe student id."""
        return [s for s in self._submission_folders(assignment) if not is_safe_student_id(s)]

    def _submission_folders(self, assignment: str) -> list[str]:
        folder = self.root / "submitted"
        if not folder.is_dir():
            return []
        return sorted(p.parent.name for p in folder.glob(f"*/{assignment}") if p.is_dir())

    def gradebook(self):
        """The course's nbgrader Gradebook, to use as a context manager."""
        from nbgrader.api import Gradebook

        os.environ["PATH"] = tool_environment()["PATH"]  # Gradebook may run alembic
        return Gradebook(self.gradebook_url, COURSE_ID)

    def add_students(self, students: list[str]) -> None:
        """Enter students in the gradebook (nbgrader would on first grading)."""
        with self.gradebook() as gradebook:
            for student in students:
                gradebook.update_or_create_student(student)

    def has_finished_grades(self, assignment: str, student: str) -> bool:
        """Whether the gradebook holds a finished autograde of this submission.

        nbgrader enters a submission's grades empty when it starts grading and
        fills them in at the end, so a run killed halfway leaves empty ones.
        """
        from nbgrader.api import MissingEntry

        if not self.graded_path(student, assignment).exists():
            return False
        with self.gradebook() as gradebook:
            try:
                submission = gradebook.find_submission(assignment, student)
            except MissingEntry:
                return False
            grades = [g for nb in submission.notebooks for g in nb.grades]
            return bool(grades) and all(g.auto_score is not None for g in grades)

    def graded_path(self, student: str, assignment: str) -> Path:
        """A student's notebook as nbgrader executed and graded it."""
        return self.root / "autograded" / student / assignment / f"{assignment}.ipynb"

    def generate_feedback(self, assignment: str) -> int:
        """Write every graded student's feedback HTML under ``feedback/``; return how many
        pages of the assignment are there."""
        self.nbgrader("generate_feedback", assignment, "--force")
        return len(list((self.root / "feedback").glob(f"*/{assignment}/*.html")))

    def feedback_path(self, student: str, assignment: str) -> Path:
        """A student's feedback page for an assignment."""
        return self.root / "feedback" / student / assignment / f"{assignment}.html"

    def release_feedback(self, assignment: str, exchange: Path | None = None) -> int:
        """Copy the feedback into nbgrader's exchange, where students fetch it; return how
        many pages nbgrader released (its log says each)."""
        options = [f"--Exchange.root={exchange}"] if exchange else []
        if exchange:
            Path(exchange).mkdir(parents=True, exist_ok=True)
        log = self.nbgrader("release_feedback", assignment, *options).stderr
        return log.count("Releasing feedback for student")

    def release_assignment(
        self, assignment: str, exchange: Path | None = None, *, force: bool = False
    ) -> None:
        """Copy the student version into nbgrader's exchange, where students fetch it."""
        options = [f"--Exchange.root={exchange}"] if exchange else []
        self.nbgrader("release_assignment", assignment, *options, *(["--force"] if force else []))

    def collect(self, assignment: str, exchange: Path | None = None) -> None:
        """Copy each student's latest submission from the exchange into ``submitted/``.

        ``nbgrader collect --update``: a later submission replaces the one
        collected before; an earlier one never does.
        """
        options = [f"--Exchange.root={exchange}"] if exchange else []
        self.nbgrader("collect", assignment, "--update", *options)

    def submission_time(self, student: str, assignment: str) -> datetime.datetime | None:
        """When a collected submission was handed in (its ``timestamp.txt``), in naive UTC."""
        from nbgrader.utils import parse_utc

        path = self.root / "submitted" / student / assignment / "timestamp.txt"
        try:
            return parse_utc(path.read_text().strip()) if path.is_file() else None
        except (ValueError, OverflowError, UnicodeDecodeError):
            return None

    def duedate(self, assignment: str) -> datetime.datetime | None:
        """The assignment's due date in the gradebook, in naive UTC, if it has one."""
        from nbgrader.api import MissingEntry

        with self.gradebook() as gradebook:
            try:
                return gradebook.find_assignment(assignment).duedate
            except MissingEntry:
                return None

    def export(self, path: Path | None = None) -> Path:
        """Export the gradebook to a CSV file (``grades.csv`` by default); return its path."""
        path = Path(path or self.root / "grades.csv").resolve()
        self.nbgrader("export", "--to", str(path))
        return path

    def scores(self, assignments: tuple[str, ...] | None = None) -> list[Score]:
        """Every graded submission's total, from the gradebook (the one reader of grades)."""
        rows = []
        with self.gradebook() as gradebook:
            for assignment in assignments or [a.name for a in gradebook.assignments]:
                for submission in gradebook.assignment_submissions(assignment):
                    rows.append(
                        Score(
                            assignment,
                            submission.student_id,
                            float(submission.score),
                            float(submission.max_score),
                        )
                    )
        return sorted(rows, key=lambda r: (r.assignment, r.student))

    def cell_scores(self, assignment: str) -> dict[str, dict[str, float]]:
        """Autograded score of every test cell, by student then cell ``grade_id``."""
        from nbgrader.api import MissingEntry

        scores: dict[str, dict[str, float]] = {}
        with self.gradebook() as gradebook:
            for student in gradebook.students:
                try:
                    submission = gradebook.find_submission(assignment, student.id)
                except MissingEntry:
                    continue
                scores[student.id] = {
                    grade.name: grade.auto_score
                    for notebook in submission.notebooks
                    for grade in notebook.grades
                }
        return scores
