"""This project installed as an instructor without ``make`` installs it: ``pip install .``
into an environment of its own, a regular (non-editable) copy in site-packages."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.assignments import REPO_ROOT
from autograder.sandbox import command as sandbox

needs_tools = pytest.mark.skipif(
    bool(sandbox.missing_tools()), reason="bubblewrap is not installed"
)


def installed_as_instructors_install_it(tmp_path: Path) -> Path:
    """An environment with this project installed by a regular (non-editable) ``pip
    install``, the grader's packages in its own site-packages; return its interpreter.

    The wheel is built from a copy of the sources (an in-tree build would leave
    ``build/`` in the checkout). Its dependencies come from this environment, through a
    ``.pth`` line, so nothing is downloaded.
    """
    sources = tmp_path / "sources"
    for name in ("pyproject.toml", "README.md"):
        (sources / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / name, sources / name)
    for package in ("autograder", "source_data"):
        shutil.copytree(REPO_ROOT / package, sources / package, symlinks=True)
    pip = [sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check"]
    quiet = {"check": True, "capture_output": True, "timeout": 300}
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", tmp_path, sources], **quiet
    )
    environment = tmp_path / "environment"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", environment], **quiet)
    python = environment / "bin" / "python"
    (wheel,) = tmp_path.glob("*.whl")
    subprocess.run([*pip, "--python", python, "install", "--no-deps", "--no-index", wheel], **quiet)
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        **quiet,
        text=True,
    ).stdout.strip()
    dependencies = subprocess.run(
        [
            sys.executable,
            "-c",
            "import numpy, pathlib; print(pathlib.Path(numpy.__file__).parents[1])",
        ],
        **quiet,
        text=True,
    ).stdout.strip()
    (Path(site) / "dependencies.pth").write_text(dependencies + "\n")
    return python


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The interpreter of an environment holding a regular install of this project."""
    return installed_as_instructors_install_it(tmp_path_factory.mktemp("install"))


def test_a_regular_install_takes_the_folder_it_runs_in_for_the_course(installed, tmp_path):
    """Installed in site-packages, the package is not in a checkout: the course is the
    folder the instructor runs ``cnn-grader`` in (the clone)."""
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(REPO_ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    result = subprocess.run(
        [installed, "-c", "import autograder.assignments as a; print(a.REPO_ROOT, a.__file__)"],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=60,
    )
    root, module = result.stdout.split()
    assert Path(root) == course
    assert "site-packages" in Path(module).parts


@needs_tools
def test_a_regular_install_keeps_its_checks_out_of_the_kernels_sight(installed, tmp_path):
    """``pip install .`` puts the whole package, hidden checks and all, in the
    environment's site-packages, which the sandbox binds for the interpreter: there
    the kernel finds the grader's packages empty, and still imports its own part."""
    python = installed
    kernel = (
        "import json, os, sys, sysconfig, pathlib, autograder\n"
        "site = pathlib.Path(sysconfig.get_path('purelib'))\n"
        "seen = {p: sorted(os.listdir(site / p)) for p in ('autograder', 'source_data')}\n"
        "try:\n"
        "    check = (site / 'autograder/assignments/a01_output_size/checks.py').read_text()\n"
        "except OSError as error:\n"
        "    check = type(error).__name__\n"
        "print(json.dumps([seen, check, autograder.__file__, str(site)]))\n"
    )
    grader = (
        "import os, subprocess, sys, tempfile, pathlib, autograder\n"
        "from autograder.sandbox import command as sandbox\n"
        "work = pathlib.Path(tempfile.mkdtemp(dir=sys.argv[1]))\n"
        "wrapped = sandbox.sandbox_command([sys.executable, '-c', sys.argv[2]], workdir=work,\n"
        "    handed={}, writable=[], readable=sandbox.readable_paths(), uid=sandbox.kernel_uid())\n"
        "environment = sandbox.kernel_environment(dict(os.environ))\n"
        "print(autograder.__file__, flush=True)\n"
        "sys.exit(subprocess.run(wrapped, env=environment, timeout=60).returncode)\n"
    )
    result = subprocess.run(
        [python, "-c", grader, str(tmp_path), kernel],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    graders, kernels = result.stdout.splitlines()
    seen, check, imported, site = json.loads(kernels)
    assert graders == str(Path(site) / "autograder" / "__init__.py")  # the installed copy
    assert (Path(site) / "autograder/assignments/a01_output_size/checks.py").is_file()
    assert seen == {"autograder": [], "source_data": []}
    assert check == "FileNotFoundError"
    assert Path(imported).parent == sandbox.KERNEL_IMPORT_ROOT / "autograder"
