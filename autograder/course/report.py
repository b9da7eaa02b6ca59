"""The instructor's item analysis: how the class did on each assignment and each check.

Scores come from the gradebook, so the report's numbers are nbgrader's.
Per-check results come from the judge's verdict that grading keeps in each
graded test cell's metadata (``cnn_grader``, written by
:func:`autograder.sandbox.execute.apply_verdict`); a check whose cell has no
verdict (the self-check above it failed, or the cell ran out of time) counts
as failed, as it earned nothing. Grading times come from
``grading_times.csv``, which ``cnn-grader autograde`` keeps.

Writes ``index.html`` (plots embedded, one file to mail around) and
``item_analysis.csv`` (one row per check) into the output folder: by default
``report/`` for the whole course and ``report/<id>[+<id>...]/`` for some of
its assignments (:func:`report_folder`), so that a report of one assignment
never replaces the course's. With nothing graded it writes nothing.
"""

from __future__ import annotations

import base64
import csv
import html
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from autograder import notebooks
from autograder.course import spreadsheet
from autograder.course.directory import Course, Score
from autograder.course.grading import read_times
from autograder.judge.runner import collect_checks
from autograder.verdicts import StoredVerdict

NEARLY_EVERYONE = 0.8  # a check failed by at least this share of the class is flagged


class NothingGraded(RuntimeError):
    """No submission of the chosen assignments is graded: there is nothing to report."""


def report_folder(root: Path, assignments: Iterable[str], every: Iterable[str]) -> Path:
    """The default folder of a report: ``report/`` when it covers ``every`` assignment of
    the course, else ``report/<id>+<id>.../``, inside the course's but never it."""
    chosen, every = sorted(set(assignments)), sorted(set(every))
    folder = root / "report"
    return folder if set(every) <= set(chosen) else folder / "+".join(chosen)


@dataclass(frozen=True)
class CheckStats:
    """How the class did on one hidden check."""

    assignment: str
    cell: str
    name: str
    title: str
    points: float
    students: int
    failed: int

    @property
    def share_failed(self) -> float:
        return self.failed / self.students if self.students else 0.0

    @property
    def flagged(self) -> bool:
        return self.students > 0 and self.share_failed >= NEARLY_EVERYONE


def passed_checks(graded: Path) -> set[tuple[str, str]]:
    """(cell, check name) of every check the judge passed in a graded notebook."""
    passed = set()
    for cell in notebooks.test_cells(notebooks.read(graded)):
        verdict = StoredVerdict.of_cell(cell)
        if verdict is not None:
            passed |= {(verdict.cell, result.name) for result in verdict.checks if result.passed}
    return passed


def check_stats(course: Course, assignment: str, students: Iterable[str]) -> list[CheckStats]:
    """Per check: how many graded students failed it."""
    students = [s for s in students if course.graded_path(s, assignment).exists()]
    passed = {s: passed_checks(course.graded_path(s, assignment)) for s in students}
    return [
        CheckStats(
            assignment,
            info.cell,
            info.name,
            info.title,
            info.points,
            len(students),
            sum((info.cell, info.name) not in passed[s] for s in students),
        )
        for info in collect_checks(assignment)
    ]


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def score_histogram(scores: list[float], maximum: float, title: str) -> str:
    """A base64 PNG of the score distribution."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.5, 2.4), layout="constrained")
    ax = figure.subplots()
    ax.hist(scores, bins=min(20, int(maximum) + 1), range=(0, maximum), color="#4477aa")
    ax.set(title=title, xlabel="score", ylabel="students")
    return _png(figure)


def write_report(course: Course, assignments: Iterable[str], out: Path) -> tuple[Path, Path]:
    """Write ``index.html`` and ``item_analysis.csv`` into ``out``; return their paths.

    Raises :class:`NothingGraded`, writing nothing, if no submission of
    ``assignments`` is graded; an assignment with nothing graded has no section.
    """
    assignments = tuple(assignments)
    graded = graded_scores(course, assignments)
    if not graded:
        raise NothingGraded(f"no submission of {', '.join(assignments)} is graded")
    out.mkdir(parents=True, exist_ok=True)
    sections, stats = [], []
    for assignment, rows in graded.items():
        mine = check_stats(course, assignment, [r.student for r in rows])
        stats += mine
        sections.append(_section(assignment, rows, mine))
    table = out / "item_analysis.csv"
    with table.open("w", newline="") as handle:
        writer = csv.DictWriter(
            handle, [*CheckStats.__dataclass_fields__, "share_failed", "flagged"]
        )
        writer.writeheader()
        for s in stats:
            writer.writerow(
                spreadsheet.record(
                    {**asdict(s), "share_failed": f"{s.share_failed:.3f}", "flagged": s.flagged}
                )
            )
    page = out / "index.html"
    page.write_text(_page(sections, _slowest(course, assignments)), encoding="utf-8")
    return page, table


def graded_scores(course: Course, assignments: Iterable[str]) -> dict[str, list[Score]]:
    """The gradebook's scores of each assignment that has a graded notebook, by assignment."""
    assignments = tuple(assignments)
    graded: dict[str, list[Score]] = {}
    for score in course.scores(assignments):
        if course.graded_path(score.student, score.assignment).exists():
            graded.setdefault(score.assignment, []).append(score)
    return {a: graded[a] for a in assignments if a in graded}


def _section(assignment: str, graded: list[Score], stats: list[CheckStats]) -> str:
    scores = [r.score for r in graded]
    maximum = graded[0].max_score
    mean = sum(scores) / len(scores)
    image = score_histogram(scores, maximum, assignment)
    rows = "".join(
        f"<tr class='{'flag' if s.flagged else ''}'><td>{html.escape(s.cell)}</td>"
        f"<td>{html.escape(s.title)}</td><td>{s.points:g}</td>"
        f"<td>{s.failed} / {s.students}</td><td>{s.share_failed:.0%}</td>"
        f"<td>{'⚑ nearly everyone fails' if s.flagged else ''}</td></tr>"
        for s in sorted(stats, key=lambda s: -s.share_failed)
    )
    return (
        f"<h2>{html.escape(assignment)}</h2>"
        f"<p>{len(scores)} students · mean {mean:.1f} / {maximum:g} · "
        f"full marks {sum(s == maximum for s in scores)} · zero {sum(s == 0 for s in scores)}</p>"
        f"<img alt='score distribution' src='data:image/png;base64,{image}'>"
        "<table><tr><th>cell</th><th>check</th><th>points</th><th>failed</th>"
        f"<th>share</th><th></th></tr>{rows}</table>"
    )


def _slowest(course: Course, assignments: tuple[str, ...], count: int = 10) -> str:
    mine = [r for r in read_times(course) if r["assignment"] in assignments]
    times = sorted(mine, key=lambda r: -float(r["seconds"]))[:count]
    if not times:
        return "<p>No grading times recorded (grade with <code>cnn-grader autograde</code>).</p>"
    rows = "".join(
        f"<tr><td>{html.escape(r['assignment'])}</td><td>{html.escape(r['student'])}</td>"
        f"<td>{float(r['seconds']):.0f} s</td>"
        f"<td>{'ok' if r['ok'] == 'True' else 'failed'}</td></tr>"
        for r in times
    )
    return (
        "<h2>Slowest notebooks</h2><table><tr><th>assignment</th><th>student</th>"
        f"<th>autograde time</th><th>nbgrader</th></tr>{rows}</table>"
    )


def _page(sections: list[str], slowest: str) -> str:
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.2em .5em}"
        "tr.flag{background:#fde2e2}"
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Item analysis</title>"
        f"<style>{style}</style></head><body><h1>Item analysis · 문항 분석</h1>"
        f"<p>Checks failed by at least {NEARLY_EVERYONE:.0%} of the class are flagged ⚑: "
        "look at the check, the notebook's instructions, or the lecture.</p>"
        + "".join(sections)
        + slowest
        + "</body></html>"
    )
