"""The README's two commands: CI runs ``make test``, whose slow tier runs the demo itself."""

from __future__ import annotations

import subprocess

from autograder.assignments import REPO_ROOT
from tests.conftest import DEMO_COMMAND


def make_recipe(target: str) -> list[str]:
    """The commands ``make`` would run for a target, without running them."""
    dry = subprocess.run(
        ["make", "--dry-run", "--always-make", target],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return dry.stdout.splitlines()


def test_make_demo_runs_the_demo_the_slow_tier_grades():
    assert f"cnn-grader {' '.join(DEMO_COMMAND)}" in make_recipe("demo")


def first_code_block(markdown: str) -> str:
    return markdown.split("```", 2)[1]


def test_ci_runs_the_readmes_test_command():
    ci = (REPO_ROOT / ".ci" / "run").read_text().splitlines()
    assert "make test" in ci
    assert "make test" in first_code_block((REPO_ROOT / "README.md").read_text())


def test_make_check_builds_the_docs_strictly():
    assert any("mkdocs build --strict" in line for line in make_recipe("check"))


def test_ci_tests_a_clone_other_users_cannot_enter():
    ci = (REPO_ROOT / ".ci" / "run").read_text().splitlines()
    assert ci.index("chmod 0700 .") < ci.index("make test")
