"""Grading's scratch folders are removed on every failure path, a kernel that never starts too.

A real ``SandboxedExecute`` runs a real notebook in the real sandbox; the
kernel is one whose command exits at once (a kernelspec of its own, found
through ``JUPYTER_PATH``), as a kernel that cannot start would.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from autograder import notebooks
from autograder.assignments import REPO_ROOT
from autograder.course import samples
from autograder.sandbox import command as sandbox
from autograder.sandbox.execute import SandboxedExecute


@pytest.mark.skipif(bool(sandbox.missing_tools()), reason="bubblewrap is not installed")
def test_a_kernel_that_never_starts_leaves_no_scratch_folder(tmp_path, monkeypatch):
    spec = tmp_path / "jupyter" / "kernels" / "dies-at-once"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-c", "raise SystemExit(3)", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "dies"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    scratch = Path(tempfile.mkdtemp(prefix="scratch-"))  # short: sockets' paths are bounded
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # only this test's folders in it
    nb = samples.submission("03_one_hot")
    nb.metadata["kernelspec"] = {"name": "dies-at-once", "display_name": "dies"}
    work = tmp_path / "autograded" / "s" / "03_one_hot"
    work.mkdir(parents=True)
    execute = SandboxedExecute()
    execute.config.CourseDirectory.root = str(REPO_ROOT)
    execute.config.CourseDirectory.release_directory = "assignments"
    resources = {"nbgrader": {"assignment": "03_one_hot"}, "metadata": {"path": str(work)}}
    graded, _ = execute.preprocess(nb, resources)
    [test_cell, *_] = notebooks.test_cells(graded)
    assert test_cell.outputs and test_cell.outputs[-1].output_type == "error"  # scored zero
    assert "Kernel died before replying" in test_cell.outputs[-1].evalue  # it never started
    left = sorted(p.name for p in scratch.iterdir())
    shutil.rmtree(scratch)
    assert left == []
