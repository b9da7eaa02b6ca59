"""An nbgrader course directory, driven through nbgrader's own commands.

The repository root is the instructor's course directory. :meth:`Course.create`
makes a scratch copy elsewhere (for the demo and the tests), so sample
students never enter the instructor's real gradebook.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = (
    "01_output_size",
    "02_manual_convolution",
    "03_one_hot",
    "04_mnist_cnn",
    "05_petimages_loading",
)


def solution_path(assignment: str, root: Path = REPO_ROOT) -> Path:
    """The instructor's notebook (nbgrader's source) of an assignment."""
    return root / "solutions" / assignment / f"{assignment}.ipynb"


def release_path(assignment: str, root: Path = REPO_ROOT) -> Path:
    """The student version (nbgrader's release) of an assignment."""
    return root / "assignments" / assignment / f"{assignment}.ipynb"


def tool_environment() -> dict[str, str]:
    """This environment with its ``bin/`` first on PATH.

    nbgrader runs ``alembic`` through PATH when it opens a gradebook, and its
    kernels must import this package, so both come from this interpreter's
    environment whether or not it was activated.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


class NbgraderFailed(RuntimeError):
    """An nbgrader command exited with an error; its log is in the message."""


@dataclass
class Course:
    """An nbgrader course directory: ``nbgrader_config.py``, ``solutions/``, ``assignments/``."""

    root: Path

    @classmethod
    def create(cls, root: Path, assignments: tuple[str, ...] = ASSIGNMENTS) -> Course:
        """Copy the course's configuration and solutions into a new, empty course at ``root``."""
        root = Path(root)
        if root.exists():
            shutil.rmtree(root)
        (root / "solutions").mkdir(parents=True)
        shutil.copy(REPO_ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
        for assignment in assignments:
            shutil.copytree(REPO_ROOT / "solutions" / assignment, root / "solutions" / assignment)
        return cls(root)

    def nbgrader(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``nbgrader ARGS`` in this course directory."""
        result = subprocess.run(
            [str(Path(sys.executable).parent / "nbgrader"), *args],
            cwd=self.root,
            env=tool_environment(),
            capture_output=True,
            text=True,
        )
        if check and result.returncode != 0:
            raise NbgraderFailed(f"nbgrader {' '.join(args)} failed:\n{result.stderr[-4000:]}")
        return result

    def generate(self, assignment: str) -> Path:
        """Generate the student version of an assignment; return its notebook."""
        self.nbgrader("generate_assignment", assignment, "--force")
        return release_path(assignment, self.root)

    def submit(self, student: str, assignment: str, notebook: NotebookNode | bytes) -> Path:
        """Place a student's notebook (or raw file content) where nbgrader collects it."""
        folder = self.root / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{assignment}.ipynb"
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

    def graded_path(self, student: str, assignment: str) -> Path:
        """A student's notebook as nbgrader executed and graded it."""
        return self.root / "autograded" / student / assignment / f"{assignment}.ipynb"

    def generate_feedback(self, assignment: str) -> None:
        """Write every graded student's feedback HTML under ``feedback/``."""
        self.nbgrader("generate_feedback", assignment, "--force")

    def feedback_path(self, student: str, assignment: str) -> Path:
        """A student's feedback page for an assignment."""
        return self.root / "feedback" / student / assignment / f"{assignment}.html"

    def export(self) -> Path:
        """Export the gradebook to ``grades.csv`` and return its path."""
        path = self.root / "grades.csv"
        self.nbgrader("export", "--to", str(path))
        return path

    def grades(self) -> list[dict[str, str]]:
        """The rows of the exported ``grades.csv``."""
        with self.export().open(newline="") as handle:
            return list(csv.DictReader(handle))

    def cell_scores(self, assignment: str) -> dict[str, dict[str, float]]:
        """Autograded score of every test cell, by student then cell ``grade_id``."""
        from nbgrader.api import Gradebook, MissingEntry

        os.environ["PATH"] = tool_environment()["PATH"]  # Gradebook may run alembic
        scores: dict[str, dict[str, float]] = {}
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gradebook:
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
