"""Feedback pages that show a student's notebook without running any of it.

The feedback page (nbgrader's ``generate_feedback``) renders the student's
own notebook, which students and TAs open in a browser, so whatever the
student's code displayed could be a script. Three layers keep it inert,
configured in ``nbgrader_config.py``:

* :class:`SanitizeFeedback` keeps, of every output, only text and PNG or
  JPEG pictures (HTML, JavaScript, SVG, Markdown and widget outputs go),
  but for the judge's report in test cells, which only the grader writes
  there; and of every cell's metadata only nbgrader's (tags become HTML
  attributes);
* :func:`clean_markdown_html` cleans the HTML of Markdown cells (the
  template's ``clean_feedback_html`` filter): nbgrader's feedback template
  renders Markdown without nbconvert's ``clean_html``, whose short list of
  tags would also escape headings and tables;
* the page's template (``templates/cnn_feedback``) sets a
  Content-Security-Policy under which no script runs, no event handler
  fires and nothing is fetched, should anything slip through.

The pages are written by :class:`FeedbackExporter`, configured under its own
name: nbgrader's formgrader builds a plain ``HTMLExporter`` from the same
configuration, which the formgrader's own view configures
(:mod:`autograder.course.formgrader`).

The judge's report (text) and its pictures (PNG) still show.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bleach
from nbconvert.exporters import HTMLExporter
from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder import notebooks
from autograder.sandbox.execute import VERDICT_KEY

TEMPLATES = Path(__file__).with_name("templates")
TEMPLATE_NAME = "cnn_feedback"  # nbgrader's "feedback" template, with the policy added
TEMPLATE_FILE = "page.html.j2"
KEPT_MIMETYPES = ("text/plain", "image/png", "image/jpeg")

# What rendered Markdown may hold on a feedback page: prose, lists, tables, code,
# pictures (the page's policy loads only data: ones) and nbgrader's cell frames.
MARKDOWN_TAGS = frozenset(
    {"a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4",
     "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub",
     "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"}
)  # fmt: skip
MARKDOWN_ATTRIBUTES = {
    "*": ["class", "id", "title"],
    "a": ["href", "name"],
    "img": ["src", "alt", "width", "height"],
    "td": ["align"],
    "th": ["align"],
}


def clean_markdown_html(html: str) -> str:
    """Rendered Markdown with every other tag shown as text and no script attribute left."""
    return bleach.clean(
        str(html),
        tags=MARKDOWN_TAGS,
        attributes=MARKDOWN_ATTRIBUTES,
        protocols={"http", "https", "mailto", "data"},
    )


def nbgrader_templates() -> Path:
    """nbgrader's own template folder, which the course's feedback template extends."""
    import nbgrader

    return Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"


class FeedbackExporter(HTMLExporter):
    """The feedback pages' exporter (``GenerateFeedback.exporter_class``).

    A class of its own, so that its template, filters and sanitising are
    configured as ``FeedbackExporter`` and reach no other exporter: the
    formgrader's ``HTMLExporter`` renders nbgrader's grading form, with a
    template of its own.
    """


class SanitizeFeedback(NbGraderPreprocessor):
    """Strip a graded notebook of everything a browser could run, before it becomes a page."""

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> Any:
        metadata = cell.get("metadata")
        nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
        cell.metadata = NotebookNode({"nbgrader": nbgrader} if isinstance(nbgrader, dict) else {})
        cell.pop("attachments", None)
        if cell.cell_type == "code":
            test_cell = notebooks.is_test_cell(cell)
            outputs = cell.get("outputs", [])
            cell.outputs = [kept for kept in (_inert(o, test_cell) for o in outputs) if kept]
        return cell, resources


def _inert(output: NotebookNode, test_cell: bool) -> NotebookNode | None:
    """The output with only text and pictures left, or None if nothing is left.

    The judge's report keeps its (escaped, framed) HTML: in a test cell,
    whose outputs the grader rebuilds, only the grader makes it.
    """
    if output.get("output_type") not in ("display_data", "execute_result"):
        return output  # streams and errors are text
    if test_cell and output.get("metadata", {}).get(VERDICT_KEY) == "report":
        return output
    data = {k: v for k, v in output.get("data", {}).items() if k in KEPT_MIMETYPES}
    if not data:
        return None
    output.data = NotebookNode(data)
    output.metadata = NotebookNode({})
    return output
