"""Feedback pages that show a student's notebook without running any of it.

The feedback page (nbgrader's ``generate_feedback``) renders the student's
own notebook, which students and TAs open in a browser, so whatever the
student's code displayed could be a script. Three layers keep it inert,
configured in ``nbgrader_config.py``:

* :class:`SanitizeFeedback` keeps, of every output, only text and PNG or
  JPEG pictures (HTML, JavaScript, SVG, Markdown and widget outputs go);
  of every cell's metadata only nbgrader's (tags become HTML attributes).
  The one HTML it adds is the judge's report box, rebuilt in each test cell
  from the verdict the grader stored in that cell's metadata (never
  recognised in an output), with the score beside it;
* :func:`clean_markdown_html` renders the mathematics of Markdown cells as
  MathML (:mod:`autograder.course.mathml`) and cleans their HTML with the
  course's sanitiser (:func:`autograder.course.sanitise.sanitise_html`, on
  nh3): nbgrader's feedback template renders Markdown unsanitised;
* the page's template (``templates/cnn_feedback``) sets a
  Content-Security-Policy under which no script runs, no event handler
  fires and nothing is fetched, should anything slip through, and loads no
  MathJax: the mathematics is MathML already.

Besides, the page shows no grader-internal path (:func:`hide_grader_paths`),
no empty comment box (nbgrader's automatic "No response."), and at most
:data:`PAGE_OUTPUT_BUDGET` characters of outputs.

The pages are written by :class:`FeedbackExporter`, configured under its own
name: nbgrader's formgrader builds a plain ``HTMLExporter`` from the same
configuration, which the formgrader's own view configures
(:mod:`autograder.course.formgrader`).
"""

from __future__ import annotations

import html
import os
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters import HTMLExporter
from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder import notebooks
from autograder.assignments import REPO_ROOT
from autograder.course.mathml import render_math
from autograder.course.sanitise import sanitise_html
from autograder.sandbox.execute import report_output
from autograder.verdicts import StoredVerdict

TEMPLATES = Path(__file__).with_name("templates")
TEMPLATE_NAME = "cnn_feedback"  # nbgrader's "feedback" template, with the policy added
TEMPLATE_FILE = "page.html.j2"
KEPT_MIMETYPES = ("text/plain", "image/png", "image/jpeg")
PICTURES = ("image/png", "image/jpeg")

# Characters of outputs one page shows (text as the page escapes it, pictures as data):
# the graded notebook is bounded already; escaping could multiply its text.
PAGE_OUTPUT_BUDGET = 6_000_000
# nbgrader's automatic comment on an answer cell handed in as released.
NO_RESPONSE = "No response."


def clean_markdown_html(rendered: str) -> str:
    """Rendered Markdown with its mathematics as MathML and nothing a browser could run."""
    return sanitise_html(render_math(str(rendered)))


def nbgrader_templates() -> Path:
    """nbgrader's own template folder, which the course's feedback template extends."""
    import nbgrader

    return Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"


def _path_prefix(path: str | Path) -> re.Pattern[str]:
    """A folder where it starts a path (not inside another name)."""
    return re.compile(r"(?<![\w.~/-])" + re.escape(str(path).rstrip("/")) + r"(?=/|\b)")


def grader_paths() -> list[tuple[re.Pattern[str], str]]:
    """Grader-internal folders as they appear in outputs and reports, and what the page
    shows instead, most specific first."""
    segments = r"(?:/[^/\s'\"<>]+)*?"
    found = [
        (re.compile(segments + r"/grading-views/view-[0-9a-f]+"), "$CNN_COURSE_DATA"),
        (re.compile(segments + r"/cnn-(?:judge|kernel|handout)-[\w-]+(?:/handout)?"), "<grader>"),
    ]
    cache = os.environ.get("CNN_COURSE_CACHE")
    prefixes: list[tuple[str | Path, str]] = [
        (sys.prefix, "<python>"),
        (REPO_ROOT, "<grader>"),
        (Path.home(), "~"),
    ]
    if cache:
        prefixes.insert(0, (cache, "<cache>"))
    found += [(_path_prefix(path), name) for path, name in prefixes if str(path) not in ("", "/")]
    return found


# A terminal colour code, as IPython writes around each path of a traceback: without
# splitting on them, the code's last letter would read as part of the path's name.
ANSI_ESCAPE = re.compile(r"(\x1b\[[0-9;]*[A-Za-z])")


def hide_grader_paths(text: str) -> str:
    """``text`` with the grader's own folders named instead of written out."""
    patterns = grader_paths()
    pieces = ANSI_ESCAPE.split(text)
    for at in range(0, len(pieces), 2):
        for pattern, name in patterns:
            pieces[at] = pattern.sub(name, pieces[at])
    return "".join(pieces)


class FeedbackExporter(HTMLExporter):
    """The feedback pages' exporter (``GenerateFeedback.exporter_class``).

    A class of its own, so that its template, filters and sanitising are
    configured as ``FeedbackExporter`` and reach no other exporter: the
    formgrader's ``HTMLExporter`` renders nbgrader's grading form, with a
    template of its own.
    """


class SanitizeFeedback(NbGraderPreprocessor):
    """Strip a graded notebook of everything a browser could run, before it becomes a page."""

    def preprocess(self, nb: NotebookNode, resources: Any) -> tuple[NotebookNode, Any]:
        self._budget_left = PAGE_OUTPUT_BUDGET
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> Any:
        verdict = stored_verdict(cell)
        metadata = cell.get("metadata")
        nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
        kept = {"nbgrader": without_empty_comment(nbgrader)} if isinstance(nbgrader, dict) else {}
        cell.metadata = nbformat.from_dict(kept)
        cell.pop("attachments", None)
        if cell.cell_type == "code":
            outputs = [inert for inert in map(_inert, cell.get("outputs", [])) if inert]
            outputs = self._within_budget(outputs)
            cell.outputs = with_verdict(outputs, verdict) if verdict else outputs
        return cell, resources

    def _within_budget(self, outputs: list[NotebookNode]) -> list[NotebookNode]:
        """The outputs this page still has room for; past it, a note."""
        kept: list[NotebookNode] = []
        for output in outputs:
            size = _page_size(output)
            if size > self._budget_left:
                self._budget_left = 0
                left_out = len(outputs) - len(kept)
                kept.append(_stream(f"... {left_out} more outputs not shown (페이지 출력 한도 / "
                                    "the page's output limit) ...\n"))  # fmt: skip
                break
            self._budget_left -= size
            kept.append(output)
        return kept


def stored_verdict(cell: NotebookNode) -> StoredVerdict | None:
    """The verdict the grader stored in a test cell's metadata, if it is a whole one."""
    return StoredVerdict.of_cell(cell) if notebooks.is_test_cell(cell) else None


def with_verdict(outputs: list[NotebookNode], verdict: StoredVerdict) -> list[NotebookNode]:
    """A test cell's outputs rebuilt around its stored verdict: the text the kernel printed,
    the judge's report box, its pictures, and the score."""
    printed = [o for o in outputs if o.output_type in ("stream", "error")]
    pictures = [o for o in outputs if any(kind in o.get("data", {}) for kind in PICTURES)]
    box = report_output(hide_grader_paths(verdict.report))
    box.data["text/html"] = sanitise_html(box.data["text/html"])
    score = NotebookNode(
        output_type="execute_result",
        execution_count=None,
        data={"text/plain": repr(verdict.earned)},
        metadata={},
    )
    return [*printed, box, *pictures, score]


def without_empty_comment(nbgrader: dict[str, Any]) -> dict[str, Any]:
    """nbgrader's metadata without a comment that says nothing: none, blank, or nbgrader's
    automatic one for an answer cell handed in as released (its score says so)."""
    comment = nbgrader.get("comment")
    if isinstance(comment, str) and comment.strip() not in ("", NO_RESPONSE):
        return nbgrader
    return {key: value for key, value in nbgrader.items() if key != "comment"}


def _inert(output: NotebookNode) -> NotebookNode | None:
    """The output with only text and pictures left (grader paths hidden), or None."""
    kind = output.get("output_type")
    if kind == "stream":
        output.text = hide_grader_paths(str(output.get("text", "")))
        return output
    if kind == "error":
        output.evalue = hide_grader_paths(str(output.get("evalue", "")))
        output.traceback = [hide_grader_paths(str(line)) for line in output.get("traceback", [])]
        return output
    if kind not in ("display_data", "execute_result"):
        return None
    data = {k: v for k, v in output.get("data", {}).items() if k in KEPT_MIMETYPES}
    if not data:
        return None
    if "text/plain" in data:
        data["text/plain"] = hide_grader_paths(str(data["text/plain"]))
    output.data = NotebookNode(data)
    output.metadata = NotebookNode({})
    return output


def _page_size(output: NotebookNode) -> int:
    """About the characters an inert output takes on the page (text escaped)."""
    texts = [output.get("text", ""), output.get("evalue", ""), *output.get("traceback", [])]
    data = output.get("data", {})
    texts.append(data.get("text/plain", ""))
    pictures = sum(len(str(data[kind])) for kind in PICTURES if kind in data)
    return sum(len(html.escape(str(text))) for text in texts) + pictures + 100


def _stream(text: str) -> NotebookNode:
    return NotebookNode(output_type="stream", name="stdout", text=text)
