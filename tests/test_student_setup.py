"""Can a student set up in one step, without the grader, and run every notebook?

``assignments/requirements.txt`` is what a student installs (the students' two
commands: a virtual environment, then ``pip install -r requirements.txt``).
The quick tests hold it to the grading environment: the same versions, every
library the released notebooks and ``course_data.py`` import, and nothing of
the grader. The slow test does what a student does, from exactly that file,
in a fresh virtual environment, and runs every released notebook top to
bottom with the reference answers filled in (04 and 06 train their models).
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder import assignments
from autograder.assignments import IDS, REPO_ROOT, release_path
from autograder.course import samples
from source_data import course_data
from tests.conftest import graded_assignments

REQUIREMENTS = REPO_ROOT / "assignments" / "requirements.txt"
GRADER = {"cnn-course-autograder", "nbgrader", "pytest", "distributed", "psycopg"}


def pinned() -> dict[str, str]:
    """The requirements file's ``name==version`` lines, by normalised name."""
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            match = re.fullmatch(r"([A-Za-z0-9._-]+)==([A-Za-z0-9.+!-]+)", line)
            assert match, f"{REQUIREMENTS.name}: {line!r} is not pinned as name==version"
            pins[normalise(match[1])] = match[2]
    return pins


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def released_imports() -> set[str]:
    """Top-level modules imported by the released notebooks and the files beside them."""
    sources = []
    for assignment in IDS:
        folder = release_path(assignment).parent
        nb = nbformat.read(release_path(assignment), as_version=4)
        sources += [cell.source for cell in nb.cells if cell.cell_type == "code"]
        sources += [path.read_text() for path in folder.glob("*.py")]
    modules = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.add(node.module.split(".")[0])
    return modules


def test_the_student_requirements_pin_what_grading_uses():
    pins = pinned()
    assert {"tensorflow", "keras", "numpy", "opencv-python-headless", "matplotlib"} <= set(pins)
    assert "jupyterlab" in pins
    graded = {name: importlib.metadata.version(name) for name in pins}
    assert pins == graded, "pin assignments/requirements.txt to the grading environment's versions"


def test_the_student_requirements_cover_every_library_the_release_imports():
    local = {path.stem for a in IDS for path in release_path(a).parent.glob("*.py")}
    third_party = released_imports() - set(sys.stdlib_module_names) - local
    providers = importlib.metadata.packages_distributions()
    missing = {
        module
        for module in third_party
        if not {normalise(d) for d in providers.get(module, [module])} & set(pinned())
    }
    assert missing == set(), f"released notebooks import {sorted(missing)}, not in requirements"
    assert "autograder" not in third_party  # the students' copies never import the grader


def test_the_student_requirements_leave_the_grader_out():
    assert not set(pinned()) & GRADER


def student_environment(venv: Path, home: Path) -> dict[str, str]:
    """A student's shell: the venv first on PATH, nothing of the grader's environment.

    The course's data come from the same place as the grader's: the mirror
    named by ``$CNN_COURSE_DATA``, else the grader's cache (already filled).
    Jupyter's own folders are fresh, so that only the venv's kernel is found.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "JUPYTER_PATH"}
    }
    grader_bin = str(Path(sys.executable).parent)
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != grader_bin]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *path])
    env[course_data.CACHE_VARIABLE] = str(course_data.cache_dir())
    for variable, folder in [
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("IPYTHONDIR", "ipython"),
        ("MPLCONFIGDIR", "matplotlib"),
    ]:
        env[variable] = str(home / folder)
    return env


# Appended to each notebook: where its kernel ran, and that the grader was not there.
WHERE = "import importlib.util, sys\nprint(sys.prefix, importlib.util.find_spec('autograder'))"


# About 11 minutes (a fresh TensorFlow install, then 04 and 06 train): `make test-student`
# runs it, not `make test` (docs/tests.md).
@pytest.mark.slow
@pytest.mark.student_setup
def test_every_released_notebook_runs_in_a_fresh_student_environment(tmp_path, capsys):
    runnable = graded_assignments()  # a notebook whose data is not here is left out, and said
    for name in {data for a in runnable for data in assignments.get(a).data}:
        course_data.dataset_path(name)  # fail here, clearly, rather than in every notebook
    venv, home = tmp_path / "venv", tmp_path / "home"
    env = student_environment(venv, home)
    times = {}
    started = time.monotonic()
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
        install = subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", "-r", str(REQUIREMENTS)],
            env=env,
            capture_output=True,
            text=True,
        )
        assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
        times["venv and pip install -r requirements.txt"] = time.monotonic() - started
        freeze = subprocess.run(
            [str(venv / "bin" / "pip"), "freeze"], env=env, capture_output=True, text=True
        ).stdout
        installed = {normalise(line.split("==")[0]) for line in freeze.splitlines()}
        assert not installed & GRADER, f"the grader came along: {sorted(installed & GRADER)}"

        for assignment in runnable:
            folder = tmp_path / "student" / assignment
            shutil.copytree(release_path(assignment).parent, folder)  # notebook, course_data.py
            nb = samples.submission(assignment)  # the stub with the reference answers
            nb.cells.append(nbformat.v4.new_code_cell(WHERE))
            nbformat.write(nb, str(folder / f"{assignment}.ipynb"))
            begun = time.monotonic()
            run = subprocess.run(
                [
                    str(venv / "bin" / "jupyter"),
                    "nbconvert",
                    "--to=notebook",
                    "--execute",
                    "--output=executed.ipynb",
                    "--ExecutePreprocessor.timeout=900",
                    "--ExecutePreprocessor.kernel_name=python3",
                    f"{assignment}.ipynb",
                ],
                cwd=folder,
                env=env,
                capture_output=True,
                text=True,
            )
            times[assignment] = time.monotonic() - begun
            assert run.returncode == 0, f"{assignment}:\n{run.stderr[-5000:]}"
            executed = nbformat.read(str(folder / "executed.ipynb"), as_version=4)
            outputs = [o for c in executed.cells for o in c.get("outputs", [])]
            errors = [o for o in outputs if o.output_type == "error"]
            assert errors == [], f"{assignment}: {errors}"
            where = "".join(o.get("text", "") for o in executed.cells[-1].outputs).split()
            assert len(where) == 2 and Path(where[0]).resolve() == venv.resolve(), where
            assert where[1] == "None", f"{assignment}: the kernel could import the grader"
    finally:
        shutil.rmtree(venv, ignore_errors=True)  # about 2 GB
    times["in all"] = time.monotonic() - started
    with capsys.disabled():
        print("\nstudent set-up, measured:")
        for what, seconds in times.items():
            print(f"  {what}: {seconds:.0f} s")
        for assignment in sorted(set(IDS) - set(runnable)):
            print(f"  {assignment}: not run, its data is not here")
